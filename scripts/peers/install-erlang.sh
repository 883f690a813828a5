#!/usr/bin/env bash
# Installs Erlang/OTP's `escript`, which runs the gen_tcp {packet,N} and
# {packet,line} peers of tests/peer_erlang.rs, tests/peer_lines.rs and
# crates/{blocking,tokio}/tests/peer_erlang.rs, and runs the decode_packet escript
# of crates/length/tests/peer_decode_packet.rs.
# Idempotent and quiet; run as root on Debian/Ubuntu.
set -euo pipefail
source "$(dirname "$0")/apt.sh"

command -v escript >/dev/null 2>&1 || apt_install erlang-base
command -v escript >/dev/null
