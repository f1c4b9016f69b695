#!/usr/bin/env bash
# Requests per second of a cached release page through nginx (docs/deploy/nginx.conf, TLS
# on loopback) with one, two and three `pressroom serve` processes on one PostgreSQL database,
# then the propagation figures of the cluster test (crates/cli/tests/cluster.rs: a publication
# through one server shown by every server's pages). Prints a table.
#
#   bench/cluster.sh [SECONDS] [CONNECTIONS]
#
# Needs PostgreSQL (PRESSROOM_TEST_DATABASE_URL, a database this user may create databases
# next to), nginx, openssl, curl and wrk (apt-get install nginx-light wrk). Uses the release
# binary (built here) unless PRESSROOM_BIN names another. On one machine the servers, nginx
# and wrk share the cores: the figures show the overhead of the proxy and of spreading load,
# not what three machines would give.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
connections="${2:-32}"
base_url="${PRESSROOM_TEST_DATABASE_URL:?set PRESSROOM_TEST_DATABASE_URL=postgres://…}"
for tool in nginx wrk openssl curl psql; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "$tool is missing" >&2; exit 1; }
done
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
if [ -z "${PRESSROOM_BIN:-}" ]; then
  cargo build --release -q -p pressroom
  PRESSROOM_BIN=./target/release/pressroom
fi
bin="$(realpath "$PRESSROOM_BIN")"

work="$(mktemp -d)"
chmod 755 "$work"
db="pressroom_bench_cluster_$$"
admin_url="${base_url%/*}/postgres"
url="${base_url%/*}/$db"
pids="$work/pids"
: >"$pids"
cleanup() {
  kill $(cat "$pids" 2>/dev/null) 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 0.5
  psql "$admin_url" -qtAc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql "$admin_url" -qtAc "CREATE DATABASE $db" >/dev/null

wait_for() { # $1 = log file; prints the address the server printed
  for _ in $(seq 1 300); do
    grep -q 'running at' "$1" && break
    sleep 0.1
  done
  grep -o 'http://127.0.0.1:[0-9]*' "$1" | head -n1
}

# The first server loads the demo ministry into the database; the others serve it with the
# same signing key.
log="$work/server-0.log"
PRESSROOM_LOG=warn PRESSROOM_DATABASE_URL="$url" "$bin" demo --data "$work/server-0" --listen 127.0.0.1:0 >"$log" 2>&1 &
echo $! >>"$pids"
addresses=("$(wait_for "$log")")
[ -n "${addresses[0]}" ] || { cat "$log"; echo "the demo did not start" >&2; exit 1; }
for i in 1 2; do
  mkdir -p "$work/server-$i/keys"
  cp "$work/server-0/keys/signing.key" "$work/server-$i/keys/"
  log="$work/server-$i.log"
  PRESSROOM_LOG=warn PRESSROOM_DATABASE_URL="$url" "$bin" serve --data "$work/server-$i" --listen 127.0.0.1:0 >"$log" 2>&1 &
  echo $! >>"$pids"
  addresses+=("$(wait_for "$log")")
done

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=press.example.org \
  -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
https_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
http_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

# The guide's file with loopback ports and the test certificate, as the cluster test does.
site_conf() { # $@ = upstream host:port
  awk -v ups="$*" -v https="$https_port" -v http="$http_port" -v cert="$work/cert.pem" -v key="$work/key.pem" '
    /^ *server 10\.0\.0\./ { if (!done) { n = split(ups, u, " "); for (i = 1; i <= n; i++) printf "    server %s max_fails=1 fail_timeout=5s;\n", u[i]; done = 1 } next }
    /^ *listen \[::\]/ { next }
    /^ *listen 443/ { sub(/listen 443/, "listen 127.0.0.1:" https) }
    /^ *listen 80/ { sub(/listen 80/, "listen 127.0.0.1:" http) }
    /^ *ssl_certificate / { print "    ssl_certificate " cert ";"; next }
    /^ *ssl_certificate_key/ { print "    ssl_certificate_key " key ";"; next }
    { print }
  ' docs/deploy/nginx.conf
}
cat >"$work/nginx.conf" <<EOF
daemon on;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  include $work/pressroom.conf;
}
EOF

front="https://127.0.0.1:$https_port"
page="$(curl -fsS "${addresses[0]}/en/releases/" | grep -o '/en/releases/20[0-9][0-9]/[0-9a-z]*-[^"]*' | head -n1)"
[ -n "$page" ] || { echo "no release page found in the demo listing" >&2; exit 1; }

measure() { # $1 = URL; prints requests per second
  wrk -t2 -c"$connections" -d"${seconds}s" "$1" | awk '/Requests\/sec/ {print $2}'
}

declare -A rate
for n in 1 2 3; do
  ups=()
  for i in $(seq 0 $((n - 1))); do ups+=("${addresses[$i]#http://}"); done
  site_conf "${ups[@]}" >"$work/pressroom.conf"
  if [ -f "$work/nginx.pid" ] && kill -0 "$(cat "$work/nginx.pid")" 2>/dev/null; then
    "$nginx_bin" -e "$work/nginx-error.log" -c "$work/nginx.conf" -s reload
    sleep 1
  else
    "$nginx_bin" -e "$work/nginx-error.log" -c "$work/nginx.conf"
  fi
  # Warm every server's cache with the page.
  for a in "${addresses[@]}"; do curl -fsS "$a$page" >/dev/null; done
  curl -fsSk "$front$page" >/dev/null
  rate[$n]="$(measure "$front$page")"
done
direct="$(measure "${addresses[0]}$page")"

printf '\n%-40s %12s\n' "cached release page" "requests/s"
printf '%-40s %12s\n' "one server, direct (no nginx)" "$direct"
for n in 1 2 3; do
  printf '%-40s %12s\n' "through nginx (TLS), $n server(s)" "${rate[$n]}"
done
printf 'wrk: 2 threads, %s connections, %ss each, on %s cores; page %s; binary %s\n' \
  "$connections" "$seconds" "$(nproc)" "$page" "$PRESSROOM_BIN"

echo
echo "== propagation (the cluster test, ${PRESSROOM_CLUSTER_RELEASES:-200} releases)"
PRESSROOM_TEST_DATABASE_URL="$base_url" cargo test -q -p pressroom --test cluster -- --nocapture 2>&1 \
  | grep -E 'releases through|caught up|kill -9|test result' || true
