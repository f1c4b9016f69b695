#!/usr/bin/env bash
# Time and peak memory of making every variant of a 24-megapixel photograph: the source copy
# (at most 4096 px), desktop 3:1 at five widths, mobile 4:5 at three, Open Graph 1200×630, each
# in WebP and JPEG. Each run is a fresh process (what an upload costs on a cold server); the
# table shows the whole processing time (decode included), the decode alone (measured first,
# separately) and the process's peak resident memory.
#
#   bench/media_variants.sh [RUNS]
#
# Target: under 1.5 s per photo on the 2-core machine, release build.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install time" >&2; exit 1; }
cargo build --release -q -p pressroom-media --example media_variants
bin=./target/release/examples/media_variants
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" generate "$work/photo.jpg" >/dev/null
size="$(stat -c %s "$work/photo.jpg")"

printf '%-5s %12s %14s %14s\n' run "time (ms)" "decode (ms)" "peak RSS (MB)"
times=()
for i in $(seq 1 "$runs"); do
  /usr/bin/time -v "$bin" run "$work/photo.jpg" >"$work/out" 2>"$work/time"
  ms="$(awk '/^round 1:/ {print $3}' "$work/out")"
  decode="$(awk '/^decode only:/ {print $3}' "$work/out")"
  kb="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")"
  times+=("$ms")
  printf '%-5s %12s %14s %14s\n' "$i" "$ms" "$decode" "$((kb / 1024))"
done
median="$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
echo
echo "input: 6000x4000 JPEG, $((size / 1024)) KiB; $(grep -c '^  ' "$work/out") files written per photo"
echo "median: ${median} ms (target < 1500 ms)"
grep '^  ' "$work/out"
