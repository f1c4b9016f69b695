#!/usr/bin/env bash
# Request rate of a public release page, cached and uncached, measured with wrk against the
# release binary serving the demo ministry on loopback. Prints a table.
#
#   bench/public_site.sh [SECONDS] [CONNECTIONS]
#
# Needs wrk (apt-get install wrk). Runs only against 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
connections="${2:-32}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release -q
data="$(mktemp -d)"
pids="$data.pids"
trap 'kill $(cat "$pids" 2>/dev/null) 2>/dev/null || true; rm -rf "$data" "$pids"' EXIT

start() { # $1 = page cache MiB; prints the address
  local log; log="$(mktemp)"
  PRESSROOM_LOG=warn PRESSROOM_PAGE_CACHE_MB="$1" ./target/release/pressroom demo --data "$data" --listen 127.0.0.1:0 >"$log" 2>&1 &
  echo $! >>"$pids"
  for _ in $(seq 1 100); do
    grep -q 'running at' "$log" && break
    sleep 0.1
  done
  grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -n1
}

measure() { # $1 = URL; prints requests per second
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$1" | awk '/Requests\/sec/ {print $2}'
}

cached="$(start 64)"
page="$(curl -fsS "$cached/en/releases/" | grep -o '/en/releases/2026/[0-9a-z]*-[^"]*' | head -n1)"
releases="$(sqlite3 "$data/pressroom.db" 'SELECT COUNT(*) FROM releases' 2>/dev/null || echo '?')"
curl -fsS "$cached$page" >/dev/null
rate_cached="$(measure "$cached$page")"
kill "$(head -n1 "$pids")"; sleep 1

uncached="$(start 0)"
rate_uncached="$(measure "$uncached$page")"

printf '\n%-34s %12s\n' "release page ($releases releases)" "requests/s"
printf '%-34s %12s\n' "cached (page cache on)" "$rate_cached"
printf '%-34s %12s\n' "uncached (PRESSROOM_PAGE_CACHE_MB=0)" "$rate_uncached"
awk -v a="$rate_cached" -v b="$rate_uncached" 'BEGIN { if (b > 0) printf "%-34s %11.1fx\n", "cached / uncached", a / b }'
printf 'wrk: 2 threads, %s connections, %ss each, on %s cores; page %s\n' "$connections" "$seconds" "$(nproc)" "$page"
