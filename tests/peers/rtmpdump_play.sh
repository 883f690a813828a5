#!/usr/bin/env bash
# Plays rtmp://127.0.0.1:<port>/live/wirestate with rtmpdump (librtmp) in live
# mode and writes the stream to <out.flv>, for tests/peer_rtmp.rs's server
# test. rtmpdump is this script's own process (exec), so stopping the script
# by PID stops rtmpdump.
# Usage: tests/peers/rtmpdump_play.sh <port> <out.flv>
set -euo pipefail
exec rtmpdump --quiet --live --timeout 10 --rtmp "rtmp://127.0.0.1:$1/live/wirestate" --flv "$2"
