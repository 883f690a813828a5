#!/usr/bin/env bash
# Installs rtmpdump (librtmp 2.4), the real peer of tests/peer_rtmp.rs's
# server test: it connects to an RtmpConnection server on 127.0.0.1, plays a
# stream and writes it to an FLV file. Idempotent and quiet; run as root on
# Debian/Ubuntu.
set -euo pipefail

if command -v rtmpdump >/dev/null 2>&1; then
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get -o DPkg::Lock::Timeout=300 install -y -qq rtmpdump >/dev/null 2>&1; then
    # The package lists may be missing or stale on a fresh machine.
    apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq rtmpdump >/dev/null
fi
command -v rtmpdump >/dev/null
