#!/usr/bin/env bash
# Installs the real peers of tests/peer_rtmp.rs, tests/peer_rtmp_session.rs and
# tests/peer_rtmp_ertmp.rs (the RTMP connection, the sessions, `serve rtmp`,
# Enhanced RTMP negotiation): FFmpeg/ffprobe
# (publisher, player, `ffmpeg -listen`),
# rtmpdump (player), nginx-light + libnginx-mod-rtmp (a reference server),
# and imageio-ffmpeg, whose bundled FFmpeg (>= 6.1) speaks Enhanced RTMP
# (HEVC over RTMP). Idempotent and quiet; run as root on Debian/Ubuntu.
set -euo pipefail
source "$(dirname "$0")/apt.sh"

missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v rtmpdump >/dev/null 2>&1 || missing+=(rtmpdump)
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
[ -e /usr/lib/nginx/modules/ngx_rtmp_module.so ] || missing+=(libnginx-mod-rtmp)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

if ! python3 -c 'import imageio_ffmpeg' >/dev/null 2>&1; then
    python3 -m pip install -q --root-user-action=ignore imageio-ffmpeg >/dev/null
fi

command -v ffmpeg >/dev/null
command -v ffprobe >/dev/null
command -v rtmpdump >/dev/null
command -v nginx >/dev/null
test -e /usr/lib/nginx/modules/ngx_rtmp_module.so
test -x "$(python3 -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')"
