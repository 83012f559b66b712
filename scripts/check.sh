#!/usr/bin/env bash
# Install onebeat with its dev tools, then run every check: lint, format, types, tests.
# This is the project's single door to its checks; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
export PYTHONDONTWRITEBYTECODE=1

echo "== ruff (lint)"
.venv/bin/ruff check .
echo "== ruff (format)"
.venv/bin/ruff format --check .
echo "== mypy (types)"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
