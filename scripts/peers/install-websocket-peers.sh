#!/usr/bin/env bash
# Installs the real peers of tests/peer_websocket.rs: Python `websockets`
# (pip, into a virtualenv under .peers/python), Node `ws` (npm, into
# .peers/node) and headless Chromium (apt). The tests start them themselves,
# on 127.0.0.1 only, through tests/peers/ws_*. Idempotent and quiet; run as
# root on Debian/Ubuntu. .peers/ is gitignored.
set -euo pipefail
cd "$(dirname "$0")/../.."

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq "$@" >/dev/null 2>&1; then
        # The package lists may be missing or stale on a fresh machine.
        apt-get update -qq >/dev/null
        apt-get install -y -qq "$@" >/dev/null
    fi
}

# Python websockets in a virtualenv of its own (Debian's Python is
# externally managed).
if ! .peers/python/bin/python -c "import websockets" >/dev/null 2>&1; then
    command -v python3 >/dev/null || apt_install python3
    python3 -c "import venv, ensurepip" >/dev/null 2>&1 || apt_install python3-venv
    python3 -m venv .peers/python
    .peers/python/bin/pip install --quiet --disable-pip-version-check "websockets>=13"
fi

# Node ws, project-local.
if [ ! -f .peers/node/node_modules/ws/package.json ]; then
    command -v npm >/dev/null || apt_install nodejs npm
    mkdir -p .peers/node
    npm install --silent --no-audit --no-fund --prefix .peers/node ws@8 >/dev/null
fi

# Headless Chromium.
if ! command -v chromium >/dev/null 2>&1; then
    apt_install chromium
fi
