#!/usr/bin/env bash
# Installs memcached, the real peer of tests/peer_lines.rs (the example client
# stores and reads values through it). The tests start it themselves, on
# 127.0.0.1 only, through tests/peers/memcached.sh. Idempotent and quiet; run
# as root on Debian/Ubuntu.
set -euo pipefail

if command -v memcached >/dev/null 2>&1; then
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq memcached >/dev/null 2>&1; then
    # The package lists may be missing or stale on a fresh machine.
    apt-get update -qq >/dev/null
    apt-get install -y -qq memcached >/dev/null
fi
# The package may start a system-wide instance; the tests do not use it.
command -v memcached >/dev/null
