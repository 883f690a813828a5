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
    # libFuzzer logs every new coverage point; the end of the log (a crash
    # report, or the final stats line) is what matters. pipefail keeps a
    # failure a failure.
    cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 | tail -n 40
done
