#!/usr/bin/env bash
# Install onebeat, analyse the bundled demo song, and open the play-along page on it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/onebeat demo
# Then the play-along page on the demo song (Ctrl+C stops it). Options go to `onebeat
# play`: --lan lets phones join, --port N, --no-browser.
exec .venv/bin/onebeat play "$@"
