#!/usr/bin/env bash
# How the public read queries scale with the archive: fills a fresh database with N published
# releases in three languages (az, en, ru), then times each query a listing, the sitemap
# index and one sitemap child make, uncached, on SQLite and (when PRESSROOM_TEST_DATABASE_URL
# is set) PostgreSQL. Prints one table per backend.
#
#   bench/archive_pages.sh [N]        # default 5000
#
# Target: a listing page's queries in a few milliseconds at 5,000 releases, on both backends.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-5000}"
cargo build --release -q -p pressroom-store --example archive_pages
bin=./target/release/examples/archive_pages
echo "== SQLite, $n releases"
"$bin" "$n" sqlite
if [ -n "${PRESSROOM_TEST_DATABASE_URL:-}" ]; then
  echo "== PostgreSQL, $n releases"
  "$bin" "$n" postgres
else
  echo "(PostgreSQL skipped: set PRESSROOM_TEST_DATABASE_URL)"
fi
