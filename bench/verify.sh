#!/usr/bin/env bash
# Issue 12's verify-page and start-up benchmark at archive size. N generated translations
# (bench/corpus.rs, the search benchmark's corpus, through the store's bulk path with
# `search_bench fill`: each one a published, signed revision) in a fresh SQLite data folder,
# the search index built, then the release binary on 127.0.0.1:
#
# 1. start-up: time from `pressroom serve` to the first 200 of `/readyz`, and resident memory
#    after start and after a few thousand requests over release pages, listings and feeds
#    (wrk; the page cache's budget is PRESSROOM_PAGE_CACHE_MB, 64 unless set);
# 2. the verify page: pasted texts (exact copies, passages, modified passages and full texts
#    with a few words changed, unknown texts) POSTed by `search_bench verify`, which checks
#    every verdict, with the index, then against a second server on the same data folder
#    whose own index is still being rebuilt (the "index unavailable" path; only requests sent
#    before its index is ready are counted).
#
#   bench/verify.sh [N]        # default 100000; ROUNDS=3 passes over the 120 pastes per client
#   DATA=/path bench/verify.sh # keep the filled data folder there (reused when it exists)
#   BIN=… TOOL=…               # other builds of pressroom and search_bench (a before/after)
#
# Targets (issue 12): verify p99 under 50 ms with and without the index; start-up under 2 s;
# resident memory under 150 MB plus the page cache's budget.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
rounds="${ROUNDS:-3}"
if [ -z "${BIN:-}" ] || [ -z "${TOOL:-}" ]; then
  cargo build --release -q -p pressroom -p pressroom-store --bin pressroom --example search_bench
fi
bin=${BIN:-$PWD/target/release/pressroom}
tool=${TOOL:-$PWD/target/release/examples/search_bench}

work=$(mktemp -d)
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
data=${DATA:-$work/data}
unset PRESSROOM_CONFIG PRESSROOM_DATABASE_URL
export PRESSROOM_BASE_URL=http://127.0.0.1:8080 PRESSROOM_LOG=warn
export PRESSROOM_API_REQUESTS_PER_MINUTE=0
cache_mb=${PRESSROOM_PAGE_CACHE_MB:-64}
export PRESSROOM_PAGE_CACHE_MB=$cache_mb

echo "# Verify and start-up benchmark: $n translations, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
echo
if [ ! -e "$data/pressroom.db" ]; then
  "$bin" --data "$data" init >/dev/null
  echo "- fill: $("$tool" fill "$data" "$n" "$PRESSROOM_BASE_URL" 2>"$work/fill.err" || { cat "$work/fill.err" >&2; exit 1; })"
  echo "- reindex: $("$bin" --data "$data" reindex 2>/dev/null | tail -n 1)"
fi
echo "- SQLite database: $(($(du -sk "$data/pressroom.db" | cut -f1) / 1024)) MiB, search index $(($(du -sk "$data/search" | cut -f1) / 1024)) MiB"

# Starts `pressroom serve` on DATA; sets `addr`, `pid` and `took` (milliseconds from the
# spawn to the first ready answer).
start() {
  local out=$work/serve.$RANDOM
  local t0
  t0=$(date +%s%N)
  "$bin" --data "$data" serve --listen 127.0.0.1:0 >"$out.out" 2>"$out.err" &
  pid=$!
  servers+=("$pid")
  addr=""
  for _ in $(seq 1 6000); do
    [ -z "$addr" ] && addr=$(sed -n 's|.*running at http://\([0-9.:]*\)/.*|\1|p' "$out.out")
    if [ -n "$addr" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/readyz")" = 200 ]; then
      took=$((($(date +%s%N) - t0) / 1000000))
      return
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$out.err" >&2; exit 1; }
    sleep 0.01
  done
  echo "pressroom serve did not get ready" >&2
  exit 1
}
rss() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

# 1. Start-up and memory. The first start after a fill may migrate; the second is the one a
# restart costs, the page cache of the operating system warm.
start; first=$took; stop "$pid"
start; ready=$took
after_start=$(rss "$pid")
# Paths: release pages from the sitemaps, listing pages, archives, topics and feeds.
curl -s "http://$addr/sitemap.xml" | grep -o '<loc>[^<]*</loc>' | sed 's|<loc>http://[^/]*||; s|</loc>||' >"$work/maps"
: >"$work/paths"
while read -r map; do
  curl -s "http://$addr$map" | grep -o '<loc>[^<]*</loc>' | sed 's|<loc>http://[^/]*||; s|</loc>||' >>"$work/paths"
done < <(head -n 8 "$work/maps")
releases=$(grep -c /releases/ "$work/paths" || true)
awk 'NR % 7 == 1' "$work/paths" | head -n 3000 >"$work/load"
for lang in az en ru; do
  for p in $(seq 1 40); do echo "/$lang/releases/?page=$((p * 13))"; done
  for y in $(seq 2015 2030); do echo "/$lang/releases/$y/"; echo "/$lang/releases/$y/$(printf %02d $((y % 12 + 1)))/"; done
  for t in border energy iran culture trade security consular peace; do echo "/$lang/topics/$t/"; done
  echo "/$lang/feed.atom"; echo "/$lang/feed.rss"; echo "/$lang/feed.json"; echo "/$lang/"
done >>"$work/load"
shuf --random-source=<(yes) "$work/load" -o "$work/load"
cat >"$work/paths.lua" <<LUA
local paths, i = {}, 0
for line in io.lines("$work/load") do paths[#paths + 1] = line end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA
wrk -t 2 -c 8 -d 20s -s "$work/paths.lua" "http://$addr" >"$work/wrk.out"
after_load=$(rss "$pid")
served=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/wrk.out")
non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$work/wrk.out")

# 2. The verify page, with the index (this server's, current).
"$tool" verify "$addr" "$n" "$rounds" 1 "with the index, 1 client" >"$work/verify.tsv"
"$tool" verify "$addr" "$n" "$rounds" 2 "with the index, 2 clients" >>"$work/verify.tsv"
# A second server on the same data folder: its index folder is taken, so it builds a private
# one from the store, and checks every paste without an index until it is ready.
main=$pid
start
"$tool" verify "$addr" "$n" "$rounds" 1 "index unavailable (rebuilding), 1 client" \
  "/api/v1/search?q=Iran" >>"$work/verify.tsv"
stop "$pid"; stop "$main"

echo
echo "## Start-up and memory"
echo
echo "| | value | target |"
echo "| --- | ---: | ---: |"
echo "| first start (may migrate) to ready | $first ms | |"
echo "| restart to ready | $ready ms | < 2,000 ms |"
echo "| resident memory after start | $after_start MB | |"
echo "| resident memory after ${served:-?} requests (${releases} release pages known, ${non2xx:-0} non-2xx) | $after_load MB | < $((150 + cache_mb)) MB (150 + page cache $cache_mb) |"
echo
echo "## Verify page ($rounds passes over the pastes per client, verdicts checked)"
echo
echo "| run | case | n | requests/s | p50 ms | p99 ms |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$work/verify.tsv"
