#!/usr/bin/env bash
# Installs redis-server, the bus of crates/cli/tests/peer_gateway_redis.rs (two
# `serve gateway --bus redis://` processes share channels through it). The
# test starts it itself, on 127.0.0.1 only, through tests/peers/redis.sh; a
# system-wide instance the package may start is not used. Idempotent and quiet;
# run as root on Debian/Ubuntu.
set -euo pipefail
source "$(dirname "$0")/apt.sh"

command -v redis-server >/dev/null 2>&1 || apt_install redis-server
command -v redis-server >/dev/null
