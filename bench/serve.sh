#!/usr/bin/env bash
# Issue 12's serving benchmark, side by side in one run: nginx serving a release page's bytes
# from a file, and Pressroom serving the same page from its page cache and uncached, with the
# listing's first page and a deep page, over an archive of N translations (three languages per
# release) published through the store's bulk path (crates/store/examples/search_bench fill).
# With `postgres`, the same archive is moved to PostgreSQL by `pressroom backup` + `restore`.
#
#   bench/serve.sh [TRANSLATIONS] [sqlite|postgres] [SECONDS] [CONNECTIONS]
#                  # defaults: 30000 (10,000 releases), sqlite, 10, 64
#   PRESSROOM_BENCH_BUILT=1 bench/serve.sh …   # the release binaries in target/, not rebuilt
#
# Needs wrk and nginx (apt-get install wrk nginx-light). Binds only 127.0.0.1 and stops what
# it started. PostgreSQL: PRESSROOM_TEST_DATABASE_URL (a throwaway database is created beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-30000}"
backend="${2:-sqlite}"
seconds="${3:-10}"
connections="${4:-64}"
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install wrk nginx-light curl" >&2; exit 1; }
done
# PRESSROOM_BENCH_BUILT=1: use the release binaries in target/ as they are (no build).
if [ -z "${PRESSROOM_BENCH_BUILT:-}" ]; then
  cargo build --release -q -p pressroom --bin pressroom
  cargo build --release -q -p pressroom-store --example search_bench
fi
bin=$PWD/target/release/pressroom
tool=$PWD/target/release/examples/search_bench

work=$(mktemp -d)
pids=()
pg_db=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -n "$pg_db" ]; then psql -q "$PRESSROOM_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
data=$work/data
unset PRESSROOM_CONFIG PRESSROOM_DATABASE_URL
export PRESSROOM_BASE_URL=http://127.0.0.1:8080 PRESSROOM_LOG=warn PRESSROOM_API_REQUESTS_PER_MINUTE=0

"$bin" --data "$data" init >/dev/null
"$tool" fill "$data" "$n" "$PRESSROOM_BASE_URL" >"$work/fill.out" 2>/dev/null
if [ "$backend" = postgres ]; then
  : "${PRESSROOM_TEST_DATABASE_URL:?set PRESSROOM_TEST_DATABASE_URL to a PostgreSQL server}"
  pg_db="pressroom_serve_bench_$$"
  psql -q "$PRESSROOM_TEST_DATABASE_URL" -c "CREATE DATABASE $pg_db" >/dev/null
  pg_url="${PRESSROOM_TEST_DATABASE_URL%/*}/$pg_db"
  "$bin" --data "$data" backup "$work/site.backup" >/dev/null 2>&1
  "$bin" --data "$data" restore "$work/site.backup" --database-url "$pg_url" >/dev/null 2>&1
  export PRESSROOM_DATABASE_URL="$pg_url"
fi

start() { # $1 = page cache MiB; sets $addr to host:port
  PRESSROOM_PAGE_CACHE_MB=$1 "$bin" --data "$data" serve --listen 127.0.0.1:0 >"$work/serve-$1.out" 2>"$work/serve-$1.err" &
  pids+=($!)
  addr=""
  for _ in $(seq 1 300); do
    addr=$(sed -n 's|.*running at http://\([0-9.:]*\)/.*|\1|p' "$work/serve-$1.out")
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$work/serve-$1.err" >&2; exit 1; }
}

# "requests/s p99_ms" of one URL.
measure() {
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$1" >"$work/wrk.out"
  awk -v url="$1" '/Requests\/sec/ {rps=$2} /^ +99%/ {v=$2; if (v ~ /us$/) ms=v/1000; else if (v ~ /ms$/) ms=v+0; else ms=v*1000} /Non-2xx/ {bad=$NF}
       END {if (bad) {print "non-2xx answers from " url ":", bad > "/dev/stderr"; exit 1}; printf "%.0f %.2f\n", rps, ms}' "$work/wrk.out"
}

start 64; cached=$addr
page=$(curl -fsS "http://$cached/en/releases/" | grep -o '/en/releases/[0-9]*/[0-9a-z]*-[^"]*' | head -n1)
[ -n "$page" ] || { echo "no release on the listing" >&2; exit 1; }
# A deep page of the listing: page 500 (10,000 releases a language), or as deep as there is.
deep=""
for n in 500 250 100 20 2; do
  for form in "/en/releases/page/$n/" "/en/releases/?page=$n"; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$cached$form")" = 200 ]; then deep=$form; deep_page=$n; break 2; fi
  done
done
[ -n "$deep" ] || { echo "the listing has no second page" >&2; exit 1; }
# nginx serving the page's bytes from a file, with the headers a static host sends.
mkdir -p "$work/nginx/root" "$work/nginx/tmp"
curl -fsS "http://$cached$page" >"$work/nginx/root/page.html"
# nginx's workers run as an unprivileged user: mktemp's folder is private.
chmod a+rx "$work" "$work/nginx" "$work/nginx/root"
chmod a+r "$work/nginx/root/page.html"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp; proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp; uwsgi_temp_path $work/nginx/tmp; scgi_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$port;
    root $work/nginx/root;
    location / { default_type text/html; try_files /page.html =404; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
sleep 0.5
bytes=$(wc -c <"$work/nginx/root/page.html")

curl -fsS "http://$cached$page" >/dev/null
read -r ng_rps ng_p99 < <(measure "http://127.0.0.1:$port$page")
read -r c_rps c_p99 < <(measure "http://$cached$page")
# The search index's folder takes one process: the uncached server starts after this one.
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
start 0; uncached=$addr
read -r u_rps u_p99 < <(measure "http://$uncached$page")
read -r l1_rps l1_p99 < <(measure "http://$uncached/en/releases/")
read -r ld_rps ld_p99 < <(measure "http://$uncached$deep")

releases=$(grep -o 'Published [0-9]*' "$work/fill.out" | grep -o '[0-9]*')
echo "# Serving benchmark: $releases translations on $backend, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
echo
echo "wrk -t2 -c$connections -d${seconds}s; release page $page ($bytes bytes)"
echo
echo "| what | requests/s | p99 | vs nginx | target |"
echo "| --- | ---: | ---: | ---: | --- |"
row() { # name rps p99 target
  awk -v n="$1" -v r="$2" -v p="$3" -v nr="$ng_rps" -v t="$4" 'BEGIN {printf "| %s | %d | %.2f ms | %.2f× | %s |\n", n, r, p, r / nr, t}'
}
row "nginx, the same bytes from a file" "$ng_rps" "$ng_p99" "reference"
row "release page, cached" "$c_rps" "$c_p99" "≥ 1.0× nginx, p99 ≤ 1.5× nginx's"
row "release page, uncached" "$u_rps" "$u_p99" "≥ 10,000/s, p99 < 20 ms"
row "listing, page 1, uncached" "$l1_rps" "$l1_p99" "within 2× of the release page"
row "listing, page $deep_page, uncached" "$ld_rps" "$ld_p99" "within 2× of the release page"
