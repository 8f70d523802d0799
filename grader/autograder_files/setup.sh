#!/usr/bin/env bash
# Gradescope image setup: a pinned pip install (seconds, not a multi-minute conda install).
set -euo pipefail
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get update && apt-get install -y --no-install-recommends python3 python3-pip
fi
python3 -m pip install --no-cache-dir --break-system-packages -r /autograder/source/requirements.txt \
  || python3 -m pip install --no-cache-dir -r /autograder/source/requirements.txt
