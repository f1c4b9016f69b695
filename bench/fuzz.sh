#!/usr/bin/env bash
# Runs each cargo-fuzz target in fuzz/ for a bounded time and prints what it did.
#
#   bench/fuzz.sh [SECONDS]    (default 60 per target)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo-fuzz wants nightly; on a stable
# toolchain RUSTC_BOOTSTRAP=1 unlocks the flags it passes, and `--sanitizer none` avoids
# AddressSanitizer (the code under test has no `unsafe`). Not run in CI.
set -euo pipefail
seconds="${1:-60}"
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
targets=(markdown upload verify)
cargo fuzz build --sanitizer none
results=()
for target in "${targets[@]}"; do
    log="$(mktemp)"
    mkdir -p "corpus/$target" "artifacts/$target"
    before=$(find "artifacts/$target" -type f | wc -l)
    status=0
    cargo fuzz run --sanitizer none "$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    after=$(find "artifacts/$target" -type f | wc -l)
    crashes=$((after - before))
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes="? (exit $status, see $log)"; fi
    results+=("$(printf '%-10s %12s %10s %s' "$target" "${runs:-?}" "${rate:-?}" "$crashes")")
    [ "$crashes" = 0 ] && rm -f "$log"
done
printf '%-10s %12s %10s %s\n' target runs execs/s crashes
printf '%s\n' "${results[@]}"
