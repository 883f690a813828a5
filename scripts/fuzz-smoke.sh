#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for a few seconds (default 15):
# enough to catch a panic on shallow inputs, not a substitute for a long run.
# Usage: scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-15}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cargo +nightly fuzz build
for target in $(cargo +nightly fuzz list); do
    echo "-- fuzz $target (${seconds}s)"
    cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=0
done
