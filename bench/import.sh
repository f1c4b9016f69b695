#!/usr/bin/env bash
# Issue 13's import benchmark: N generated releases (bench/gen_archive.py, a fixed seed; each
# in Azerbaijani, English and Russian, so 3N translations) imported into fresh SQLite data
# folders from Markdown (`pressroom import markdown`) and from a WordPress WXR export with
# Polylang groups (`pressroom import wxr`), each timed with its peak memory; then a backup of
# the imported site and its restore into an empty folder. Prints Markdown tables.
#
#   bench/import.sh [N]          # default 10000
#
# Targets (issue 13): at least 1,000 translations/s on SQLite; peak memory under 200 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
cargo build --release -q -p pressroom --bin pressroom
bin=$PWD/target/release/pressroom

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset PRESSROOM_CONFIG PRESSROOM_DATABASE_URL PRESSROOM_DATA_DIR PRESSROOM_MEDIA_STORE
export PRESSROOM_BASE_URL=http://127.0.0.1:8080 PRESSROOM_LOG=warn

python3 bench/gen_archive.py "$n" "$work/archive"
translations=$((n * 3))

# Runs "$@" under /usr/bin/time; prints "seconds peak_kib".
measure() {
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
    cat "$work/out" "$work/err" >&2
    exit 1
  }
  cat "$work/time"
}

echo "# Import benchmark: $n releases ($translations translations), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
echo
echo "| source | size | time | translations/s (target ≥ 1,000) | peak memory (target < 200 MB) |"
echo "| --- | ---: | ---: | ---: | ---: |"
for source in markdown wxr; do
  data=$work/$source
  "$bin" --data "$data" init >/dev/null 2>&1
  if [ "$source" = markdown ]; then
    input=$work/archive/md
    read -r secs kib < <(measure "$bin" --data "$data" import markdown "$input")
  else
    input=$work/archive/export.xml
    read -r secs kib < <(measure "$bin" --data "$data" import wxr "$input" --kind press-release)
  fi
  grep -q "imported $n release(s)" "$work/out" || { cat "$work/out" >&2; exit 1; }
  size=$(du -sm "$input" | cut -f1)
  rate=$(python3 -c "print(f'{$translations / max($secs, 0.01):,.0f}')")
  echo "| $source | $size MiB | ${secs} s | $rate | $((kib / 1024)) MiB |"
done

echo
echo "## Backup and restore of the site imported from Markdown"
echo
echo "| step | time | peak memory | file |"
echo "| --- | ---: | ---: | ---: |"
read -r secs kib < <(measure "$bin" --data "$work/markdown" backup "$work/site.backup")
echo "| backup | ${secs} s | $((kib / 1024)) MiB | $(du -m "$work/site.backup" | cut -f1) MiB (database $(du -m "$work/markdown/pressroom.db" | cut -f1) MiB) |"
read -r secs kib < <(measure "$bin" --data "$work/restored" restore "$work/site.backup")
echo "| restore | ${secs} s | $((kib / 1024)) MiB | |"
"$bin" --data "$work/restored" log verify >/dev/null 2>&1 && echo && echo "The restored site's \`pressroom log verify\` passes."
