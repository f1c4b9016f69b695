#!/usr/bin/env bash
# Issue 15's outbox benchmark: N confirmed subscribers (`pressroom subscribers import`), one
# release published through the JSON API of `pressroom serve` (release build), and the time
# until the last of the N mails is handed to a real SMTP server on loopback
# (tests/python/smtp_sink.py, aiosmtpd, which writes each message to disk). On SQLite in a
# fresh data folder, then on PostgreSQL in a throwaway database when
# PRESSROOM_TEST_DATABASE_URL is set. Prints a Markdown table.
#
#   bench/outbox.sh [N]     # default 10000
#
# Target (issue 15): the last of 10,000 mails handed over within 60 s of the publication.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
python3 -c 'import aiosmtpd' 2>/dev/null || {
  echo "aiosmtpd is missing: python3 -m pip install aiosmtpd" >&2
  exit 1
}
# One invocation, so both share one feature set.
cargo build --release -q -p pressroom -p pressroom-store --bin pressroom --example outbox_bench
bin=$PWD/target/release/pressroom
tool=$PWD/target/release/examples/outbox_bench

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -n "${pg_db:-}" ]; then psql -q "$PRESSROOM_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $pg_db" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
unset PRESSROOM_CONFIG PRESSROOM_DATABASE_URL
export PRESSROOM_BASE_URL=http://127.0.0.1:8080 PRESSROOM_LOG=warn PRESSROOM_API_REQUESTS_PER_MINUTE=0

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
# Waits for a line matching the sed expression in a file a background process writes.
wait_for() {
  local file=$1 expr=$2 pid=$3 found=""
  for _ in $(seq 1 600); do
    found=$(sed -n "$expr" "$file" | head -n 1)
    [ -n "$found" ] && { echo "$found"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "gave up waiting for $file" >&2
  cat "$file" "$file.err" 2>/dev/null >&2 || true
  return 1
}
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# The list: every subscriber takes every release, as an "all releases" subscription does.
{
  echo "email,lang"
  langs=(az en ru)
  for i in $(seq 1 "$n"); do echo "reader$i@example.org,${langs[$((i % 3))]}"; done
} >"$work/list.csv"

# One run: $1 is the backend's name, $2 the database URL (empty: the data folder's SQLite).
run() {
  local name=$1 url=$2
  local data=$work/$name sink=$work/$name-sink
  mkdir -p "$sink"
  python3 tests/python/smtp_sink.py "$sink" --quick >"$sink.out" 2>"$sink.out.err" &
  pids+=($!)
  local smtp
  smtp=$(wait_for "$sink.out" 's/^listening on \([0-9]*\)$/\1/p' "$!")
  if [ -n "$url" ]; then export PRESSROOM_DATABASE_URL=$url; else unset PRESSROOM_DATABASE_URL; fi
  "$bin" --data "$data" init >/dev/null
  cat >>"$data/pressroom.toml" <<EOF

[mail]
host = "127.0.0.1"
port = $smtp
security = "none"
from = "Press service <press@example.org>"
EOF
  local started imported
  started=$(now)
  "$bin" --data "$data" subscribers import "$work/list.csv" >/dev/null
  imported=$(calc "$(now) - $started")
  local tokens author editor
  tokens=$("$tool" tokens "${url:-sqlite://$data/pressroom.db}")
  read -r author editor <<<"$tokens"

  "$bin" --data "$data" serve --listen 127.0.0.1:0 >"$data/serve.out" 2>"$data/serve.out.err" &
  local server=$!
  pids+=($server)
  local addr
  addr=$(wait_for "$data/serve.out" 's|.*running at http://\([0-9.:]*\)/.*|\1|p' "$server")
  local api="http://$addr/api/v1"
  local id
  id=$(curl -sf -H "Authorization: Bearer $author" -H 'Content-Type: application/json' \
    -d '{"kind":"press-release","lang":"en","title":"Statement on the outbox benchmark","lead":"One publication to every subscriber.","body":"The press service publishes one release; every subscriber gets one mail."}' \
    "$api/releases" | json '["id"]')
  curl -sf -H "Authorization: Bearer $author" -H 'Content-Type: application/json' \
    -d '{"action":"submit"}' "$api/translations/$id/actions" >/dev/null
  local published acked last=""
  published=$(now)
  curl -sf -H "Authorization: Bearer $editor" -H 'Content-Type: application/json' \
    -d '{"action":"approve_publish"}' "$api/translations/$id/actions" >/dev/null
  acked=$(now)
  local count=0
  for _ in $(seq 1 3000); do
    count=$(wc -l <"$sink/log.jsonl" 2>/dev/null || echo 0)
    if [ "$count" -ge "$n" ]; then last=$(now); break; fi
    sleep 0.1
  done
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if [ -z "$last" ]; then
    echo "| $name | $n | – | – | only $count of $n mails in 300 s | – |"
    return
  fi
  local took rate publish
  took=$(calc "$last - $published")
  publish=$(calc "($acked - $published) * 1000")
  rate=$(calc "int($n / $took)")
  printf '| %s | %d | %.1f s | %.0f ms | %.1f s | %d |\n' "$name" "$n" "$imported" "$publish" "$took" "$rate"
}

echo "# Outbox benchmark: $n subscribers, one publication, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
echo
echo "| backend | subscribers | import | publication request (writes the deliveries) | last mail handed over (target < 60 s) | mails/s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
run sqlite ""
if [ -n "${PRESSROOM_TEST_DATABASE_URL:-}" ]; then
  pg_db="pressroom_outbox_bench_$$"
  psql -q "$PRESSROOM_TEST_DATABASE_URL" -c "CREATE DATABASE $pg_db"
  run postgres "$(sed "s|/[^/?]*\(?.*\)\?$|/$pg_db\1|" <<<"$PRESSROOM_TEST_DATABASE_URL")"
else
  echo
  echo "(PostgreSQL skipped: set PRESSROOM_TEST_DATABASE_URL)"
fi
