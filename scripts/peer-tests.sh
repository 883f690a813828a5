#!/usr/bin/env bash
# Installs the real peer programs (Erlang, memcached, Python websockets, Node ws,
# Chromium, FFmpeg, nginx-rtmp ...) and runs the `peer_*` test suites against them.
# Every peer listens on 127.0.0.1 only and is started and stopped (by PID) by the
# tests themselves (wirestate_core::testing::peer). The suites are the root
# package's tests/peer_*.rs and, beside the examples they run, the crates'
# tests/peer_*.rs (blocking, tokio, lines, length, rtmp, cli), each gated by a `peer-tests` feature.
# Usage: scripts/peer-tests.sh [cargo test args...]
set -euo pipefail
cd "$(dirname "$0")/.."

for install in scripts/peers/install-*.sh; do
    [ -e "$install" ] || continue
    echo "== $install"
    bash "$install"
done

echo "== peer tests"
cargo test -p wirestate -p wirestate-blocking -p wirestate-tokio -p wirestate-lines -p wirestate-length -p wirestate-rtmp -p wirestate-cli \
    --features wirestate/peer-tests,wirestate-blocking/peer-tests,wirestate-tokio/peer-tests,wirestate-lines/peer-tests,wirestate-length/peer-tests,wirestate-rtmp/peer-tests,wirestate-cli/peer-tests \
    --test 'peer_*' "$@" -- --test-threads=1
