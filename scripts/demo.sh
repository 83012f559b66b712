#!/usr/bin/env bash
# Install onebeat and run its main job on the bundled demo song.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/onebeat demo "$@"
