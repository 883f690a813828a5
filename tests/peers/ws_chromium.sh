#!/usr/bin/env bash
# Headless Chromium peer for tests/peer_websocket.rs: loads ws_chromium.html,
# which connects to our server on 127.0.0.1:$1. Prints `LISTENING <port>`
# first (the harness waits for it), then becomes the browser (exec), so the
# test stops it by this PID.
set -euo pipefail
port="$1"
profile="$(mktemp -d)"
page="file://$(cd "$(dirname "$0")" && pwd)/ws_chromium.html?port=$port"
echo "LISTENING $port"
exec chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" "$page" >/dev/null 2>&1
