#!/usr/bin/env bash
# Installs nginx with the RTMP module (nginx-rtmp 1.2.2), the real peer of
# tests/peer_rtmp.rs (a client publishes through it and a second client plays
# the stream back). The test starts its own nginx on 127.0.0.1 through
# tests/peers/nginx_rtmp.sh, never the system service. Idempotent and quiet;
# run as root on Debian/Ubuntu.
set -euo pipefail

module=/usr/lib/nginx/modules/ngx_rtmp_module.so
if command -v nginx >/dev/null 2>&1 && [ -e "$module" ]; then
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get -o DPkg::Lock::Timeout=300 install -y -qq nginx libnginx-mod-rtmp >/dev/null 2>&1; then
    # The package lists may be missing or stale on a fresh machine.
    apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq nginx libnginx-mod-rtmp >/dev/null
fi
command -v nginx >/dev/null
test -e "$module"
