#!/usr/bin/env bash
# Runs one fuzz target for MINUTES (one job) from the committed seed corpus,
# with its dictionary and memory limits, and prints the final statistics:
# executions, executions per second, coverage. A crash stops the run and
# leaves its input in fuzz/artifacts/TARGET/.
# Usage: scripts/fuzz-long.sh TARGET MINUTES
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
if [ $# -ne 2 ]; then
    echo "usage: $0 TARGET MINUTES (targets: cargo +nightly fuzz list, in fuzz/)" >&2
    exit 2
fi
target=$1
minutes=$2
source ../scripts/fuzz-env.sh

log="target/work/$target.log"
mkdir -p target/work
cargo +nightly fuzz build "$target"
fuzz_for "$target" $((minutes * 60)) -print_final_stats=1 2>&1 | tee "$log" | tail -n 30
