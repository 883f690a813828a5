#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for a few seconds (default 15)
# from the committed seed corpus, with memory limits: enough to catch a
# panic on shallow inputs and on the seeds, not a substitute for a long run
# (scripts/fuzz-long.sh).
# Usage: scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-15}
source ../scripts/fuzz-env.sh

cargo +nightly fuzz build
for target in $(cargo +nightly fuzz list); do
    echo "-- fuzz $target (${seconds}s)"
    # libFuzzer logs every new coverage point; the end of the log (a crash
    # report, or the final stats line) is what matters. pipefail keeps a
    # failure a failure.
    fuzz_for "$target" "$seconds" 2>&1 | tail -n 40
done
