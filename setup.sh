#!/usr/bin/env bash
# One-command set-up: a virtual environment with the toolkit, then the benchmark data.
# Data comes from its public source; offline, from ../shared/data when that folder exists.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# torch is pinned to 2.13.0 in pyproject.toml: the CPU build, not gigabytes of CUDA.
.venv/bin/python -m pip install --quiet -e ".[test]"
fallback=()
if [ -d ../shared/data ]; then fallback=(--fallback ../shared/data); fi
.venv/bin/hybridir data prepare "${fallback[@]}"
echo "ready: run .venv/bin/hybridir quickstart"
