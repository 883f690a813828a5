#!/usr/bin/env bash
# Installs the AMF3 peer of crates/rtmp/tests/peer_amf3.rs: Py3AMF (the
# `pyamf` module, an independent AMF0/AMF3 implementation) from PyPI into a
# virtualenv of its own under .peers/amf3, used by tests/peers/amf3_pyamf.py.
# Idempotent and quiet; run as root on Debian/Ubuntu. .peers/ is gitignored.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/peers/apt.sh

if ! .peers/amf3/bin/python -c "import pyamf.amf3" >/dev/null 2>&1; then
    command -v python3 >/dev/null || apt_install python3
    python3 -c "import venv, ensurepip" >/dev/null 2>&1 || apt_install python3-venv
    python3 -m venv .peers/amf3
    .peers/amf3/bin/pip install --quiet --disable-pip-version-check "Py3AMF==0.9.1"
fi
