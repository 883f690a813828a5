#!/usr/bin/env bash
# Installs memcached, the real peer of crates/lines/tests/peer_memcached.rs (the
# example client stores and reads values through it). The tests start it
# themselves, on 127.0.0.1 only, through tests/peers/memcached.sh; a system-wide
# instance the package may start is not used. Idempotent and quiet; run as root on
# Debian/Ubuntu.
set -euo pipefail
source "$(dirname "$0")/apt.sh"

command -v memcached >/dev/null 2>&1 || apt_install memcached
command -v memcached >/dev/null
