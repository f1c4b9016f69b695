#!/usr/bin/env bash
# Issue 12's static export benchmark: N generated releases (bench/gen_archive.py, a fixed
# seed; each in Azerbaijani, English and Russian) imported into a SQLite site, then exported
# with `pressroom export` and, from the same content, built by Hugo with equivalent templates
# (bench/hugo_site.py); both write to tmpfs (/dev/shm), RUNS times each from an empty folder.
# Prints the medians of wall time and peak memory and their ratios (pressroom / hugo), then
# the time of an incremental re-export with nothing changed.
#
#   bench/export.sh [N] [RUNS]      # default 10000 releases, 3 runs
#   PRESSROOM_BIN=target/release/pressroom bench/export.sh   # without building
#
# Targets (issue 12): pressroom ≤ 0.5 × Hugo's time and ≤ 0.5 × Hugo's peak memory.
# Needs hugo (apt-get install hugo); installs nothing itself.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
runs="${2:-3}"
command -v hugo >/dev/null || { echo "hugo is missing: apt-get install hugo" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install time" >&2; exit 1; }
# PRESSROOM_BIN: a release binary built already (else it is built here).
bin=${PRESSROOM_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release -q -p pressroom --bin pressroom
  bin=$PWD/target/release/pressroom
fi

work=$(mktemp -d -p /dev/shm pressroom-export-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
unset PRESSROOM_CONFIG PRESSROOM_DATABASE_URL PRESSROOM_DATA_DIR PRESSROOM_MEDIA_STORE
export PRESSROOM_BASE_URL=http://127.0.0.1:8080 PRESSROOM_LOG=warn

python3 bench/gen_archive.py "$n" "$work/archive" --hugo
"$bin" --data "$work/site" init >/dev/null 2>&1
"$bin" --data "$work/site" import markdown "$work/archive/md" >"$work/import.out" 2>&1 \
  || { cat "$work/import.out" >&2; exit 1; }

# Runs "$@" under /usr/bin/time; appends "seconds peak_kib" to file $1.
measure() {
  local into=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
    cat "$work/out" "$work/err" >&2
    exit 1
  }
  cat "$work/time" >>"$into"
}

for run in $(seq 1 "$runs"); do
  rm -rf "$work/public" "$work/hugo-public"
  measure "$work/pressroom.times" "$bin" --data "$work/site" export --out "$work/public"
  pressroom_files=$(find "$work/public" -type f | wc -l)
  pressroom_mb=$(du -sm "$work/public" | cut -f1)
  measure "$work/hugo.times" hugo --source "$work/archive/hugo" --destination "$work/hugo-public" \
    --cacheDir "$work/hugo-cache" --quiet
  hugo_files=$(find "$work/hugo-public" -type f | wc -l)
  hugo_mb=$(du -sm "$work/hugo-public" | cut -f1)
done
measure "$work/noop.times" "$bin" --data "$work/site" export --out "$work/public"
noop_line=$(grep -o '[0-9]* written.*deleted' "$work/out" || true)

python3 - "$work" "$n" "$runs" "$pressroom_files" "$pressroom_mb" "$hugo_files" "$hugo_mb" \
  "$noop_line" <<'EOF'
import statistics, sys
work, n, runs, pf, pm, hf, hm, noop = sys.argv[1:9]
def med(name):
    rows = [l.split() for l in open(f"{work}/{name}.times") if l.strip()]
    return statistics.median(float(r[0]) for r in rows), statistics.median(int(r[1]) for r in rows) / 1024
pt, pr = med("pressroom")
ht, hr = med("hugo")
nt, nr = med("noop")
print(f"# Static export: {int(n):,} releases × 3 languages, median of {runs} runs on tmpfs\n")
print("| build | files | size | wall time | peak memory |")
print("| --- | ---: | ---: | ---: | ---: |")
print(f"| pressroom export (empty folder) | {int(pf):,} | {pm} MiB | {pt:.1f} s | {pr:.0f} MiB |")
print(f"| hugo | {int(hf):,} | {hm} MiB | {ht:.1f} s | {hr:.0f} MiB |")
print(f"| **pressroom / hugo** (target ≤ 0.5) | | | **{pt / ht:.2f}** | **{pr / hr:.2f}** |")
print(f"| pressroom export again, nothing changed | | | {nt:.1f} s | {nr:.0f} MiB |")
print(f"\nThe re-export: {noop}.")
EOF
