#!/usr/bin/env bash
# Installs the real peer programs (Erlang, memcached, Python websockets, Node ws,
# Chromium, FFmpeg, nginx-rtmp ...) and runs the `peer_*` test suites against them.
# Every peer listens on 127.0.0.1 only and is started and stopped (by PID) by the
# tests themselves. Usage: scripts/peer-tests.sh [cargo test args...]
set -euo pipefail
cd "$(dirname "$0")/.."

for install in scripts/peers/install-*.sh; do
    [ -e "$install" ] || continue
    echo "== $install"
    bash "$install"
done

echo "== peer tests"
cargo test -p wirestate --features peer-tests --test 'peer_*' "$@" -- --test-threads=1
