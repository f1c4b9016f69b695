#!/usr/bin/env bash
# Issue 11's search benchmark: N generated translations (bench/corpus.rs, a fixed seed; a
# third each in Azerbaijani, English and Russian) published into a fresh SQLite data folder
# through the store's bulk path, `pressroom reindex` timed, then `pressroom serve` on
# 127.0.0.1 answering the fixed query mix over HTTP (the JSON API and the HTML search page,
# 1 and 4 clients); then the same corpus and mix in PostgreSQL full-text search (a stored
# tsvector per language configuration, a GIN index, websearch_to_tsquery + ts_rank +
# ts_headline) when PRESSROOM_TEST_DATABASE_URL is set, in a throwaway schema. Prints
# Markdown: the indexing rates, the index sizes on disk and the latencies side by side.
#
#   bench/search.sh [N]          # default 100000; ROUNDS=30 runs of the 36-search mix per client
#
# Targets (issue 11): indexing at least 5,000 translations/s; query p99 at most 5 ms end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
rounds="${ROUNDS:-30}"
# One invocation, so both share one feature set (built apart, each undoes the other's build).
cargo build --release -q -p pressroom -p pressroom-store --bin pressroom --example search_bench
bin=$PWD/target/release/pressroom
tool=$PWD/target/release/examples/search_bench

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
data=$work/data
unset PRESSROOM_CONFIG PRESSROOM_DATABASE_URL
export PRESSROOM_BASE_URL=http://127.0.0.1:8080 PRESSROOM_LOG=warn
# One client address sends every search: the API's per-address limit would only answer 429.
export PRESSROOM_API_REQUESTS_PER_MINUTE=0

echo "# Search benchmark: $n translations, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
echo
"$bin" --data "$data" init >/dev/null
fill=$("$tool" fill "$data" "$n" "$PRESSROOM_BASE_URL" 2>/dev/null)
reindex=$("$bin" --data "$data" reindex 2>/dev/null | tail -n 1)
rate=$(sed -n 's/.*(\([0-9]*\)\/s).*/\1/p' <<<"$reindex")
tantivy=$(du -sk "$data/search" | cut -f1)
db=$(du -sk "$data/pressroom.db" | cut -f1)

"$bin" --data "$data" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
addr=""
for _ in $(seq 1 300); do
  addr=$(sed -n 's|.*running at http://\([0-9.:]*\)/.*|\1|p' "$work/serve.out")
  [ -n "$addr" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "pressroom serve did not start" >&2; exit 1; }
# The first query waits for the served index (503 until it has its sequence).
for _ in $(seq 1 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/api/v1/search?q=Iran")" = 200 ] && break
  sleep 0.1
done
"$tool" http "$addr" "$rounds" 1 4 >"$work/http.tsv"
kill "$server"; wait "$server" 2>/dev/null || true; server=""

if [ -n "${PRESSROOM_TEST_DATABASE_URL:-}" ]; then
  "$tool" pg "$PRESSROOM_TEST_DATABASE_URL" "$n" "$rounds" 1 4 >"$work/pg.tsv"
else
  echo "(PostgreSQL skipped: set PRESSROOM_TEST_DATABASE_URL)"
  : >"$work/pg.tsv"
fi
pg_rate=$(sed -n 's/^# pg indexing: .*(\([0-9]*\)\/s.*/\1/p' "$work/pg.tsv")

echo "## Indexing and size on disk"
echo
echo "| | Pressroom (tantivy) | PostgreSQL FTS |"
echo "| --- | ---: | ---: |"
echo "| indexing, translations/s (target ≥ 5,000) | ${rate:-?} | ${pg_rate:-–} |"
echo "| index on disk | $((tantivy / 1024)) MiB (\`DATA/search\`) | $(sed -n 's/^# pg size: GIN index \([0-9.]*\) MiB.*/\1 MiB (GIN index)/p' "$work/pg.tsv") |"
echo
echo "- fill: $fill"
echo "- reindex: $reindex"
echo "- SQLite database: $((db / 1024)) MiB"
sed -n 's/^# \(pg .*\)/- \1/p' "$work/pg.tsv" | grep -v 'pg total'
echo
echo "## What each text finds (plain, first page)"
echo
echo "| text | language | Pressroom total | PostgreSQL total |"
echo "| --- | --- | ---: | ---: |"
join -t $'\t' \
  <(sed -n 's/^# pressroom total\t//p' "$work/http.tsv" | awk -F'\t' '{print $1"|"$2"\t"$3}' | sort) \
  <(sed -n 's/^# pg total\t//p' "$work/pg.tsv" | awk -F'\t' '{print $1"|"$2"\t"$3}' | sort) -a 1 |
  awk -F'\t' '{split($1, k, "|"); printf "| %s | %s | %s | %s |\n", k[1], k[2], $2, ($3 == "" ? "–" : $3)}'
echo
echo "## Query latency ($rounds rounds of the 36-search mix per client, after a warm-up round)"
echo
echo "Pressroom: HTTP/1.1 keep-alive from the client to \`pressroom serve\` (release build), whole"
echo "answer read. PostgreSQL: two statements per search (the page of hits with ts_headline, the"
echo "counts per kind) from the same client over TCP, no HTTP or rendering."
"$tool" table "$work/http.tsv" "$work/pg.tsv"
