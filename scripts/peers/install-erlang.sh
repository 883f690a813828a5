#!/usr/bin/env bash
# Installs Erlang/OTP's `escript`, which runs the gen_tcp {packet,N} peers of
# tests/peer_erlang.rs. Idempotent and quiet; run as root on Debian/Ubuntu.
set -euo pipefail

if command -v escript >/dev/null 2>&1; then
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq erlang-base >/dev/null 2>&1; then
    # The package lists may be missing or stale on a fresh machine.
    apt-get update -qq >/dev/null
    apt-get install -y -qq erlang-base >/dev/null
fi
command -v escript >/dev/null
