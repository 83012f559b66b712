#!/usr/bin/env bash
# Install onebeat with its dev tools, then run every check: lint, format, types, tests.
# This is the project's single door to its checks; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
export PYTHONDONTWRITEBYTECODE=1

# The browser tests drive Debian's Chromium; the microphone's held-out-kit test renders
# drum strokes with FluidSynth from the FluidR3 General MIDI soundfont. Installed here
# when this runs as root on a Debian machine (as CI does); elsewhere those tests skip
# and say why.
if { ! command -v chromium >/dev/null 2>&1 || ! command -v fluidsynth >/dev/null 2>&1; } \
  && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing chromium, chromium-driver, fluidsynth and fluid-soundfont-gm (Debian)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends chromium chromium-driver \
      fluidsynth fluid-soundfont-gm >/dev/null \
    || echo "check: could not install them; the browser and soundfont tests will skip" >&2
fi

echo "== ruff (lint)"
.venv/bin/ruff check .
echo "== ruff (format)"
.venv/bin/ruff format --check .
echo "== mypy (types)"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
