#!/usr/bin/env bash
# Headless Chromium peer for the chat test in tests/peer_websocket.rs: loads
# the chat page from crates/server/src/ws_chat.rs on
# 127.0.0.1:$2 as member $1. Prints `LISTENING <port>` first (the harness
# waits for it), then becomes the browser (exec), so the test stops it by
# this PID.
set -euo pipefail
name="$1"
port="$2"
profile="$(mktemp -d)"
echo "LISTENING $port"
exec chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" "http://127.0.0.1:$port/?name=$name" >/dev/null 2>&1
