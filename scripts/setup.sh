#!/usr/bin/env bash
# Set up onebeat in ./.venv on a fresh machine (Python 3.11, pip and gcc are all it needs;
# no Debian package is required to run or test onebeat). Idempotent: re-running only
# reinstalls when pyproject.toml changed. Usage: scripts/setup.sh [dev]
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), "onebeat needs Python 3.11"' \
  || { echo "setup: onebeat needs Python 3.11 (found: $("$PY" --version 2>&1))" >&2; exit 1; }

extra="${1:-}"
target="."
[ "$extra" = "dev" ] && target=".[dev]"

[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=".venv/.onebeat-installed-$extra"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing onebeat${extra:+ with $extra tools} into .venv (first time: ~2 min)" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$target"
  echo "$want" > "$stamp"
fi
