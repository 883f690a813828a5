#!/usr/bin/env bash
# Checks that the workspace's declared rust-version is truthful: no locked
# package (dependencies, dev- and build-dependencies, every platform) declares
# a higher rust-version than the workspace does. Reads `cargo metadata` only,
# so it needs no extra toolchain. Lists the offenders and fails if any.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked | python3 -c '
import json, sys

def version(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))

meta = json.load(sys.stdin)
members = set(meta["workspace_members"])
declared = {p["rust_version"] for p in meta["packages"] if p["id"] in members}
if len(declared) != 1 or None in declared:
    sys.exit(f"msrv-check: workspace members disagree on rust-version: {sorted(map(str, declared))}")
msrv = declared.pop()
over = sorted(
    (version(p["rust_version"]), p["name"], p["version"], p["rust_version"])
    for p in meta["packages"]
    if p["id"] not in members and p.get("rust_version")
    and version(p["rust_version"]) > version(msrv)
)
for _, name, ver, needs in reversed(over):
    print(f"msrv-check: {name} {ver} needs rust {needs}, the workspace declares {msrv}")
if over:
    sys.exit(f"msrv-check: raise rust-version to at least {over[-1][3]} or pin the packages above")
count = len(meta["packages"]) - len(members)
print(f"msrv-check: rust-version {msrv} covers all {count} locked packages")
'
