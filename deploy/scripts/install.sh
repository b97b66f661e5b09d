#!/usr/bin/env bash
# Install the bot into a virtual environment at $VENV (default /opt/assembly-bot/venv), with the exact
# versions the test suite last passed with. Run from the source tree (the image's build step does).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${VENV:-/opt/assembly-bot/venv}"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet --no-cache-dir -c constraints.txt .
"$venv/bin/python" -m bot.cli --help >/dev/null
echo "installed assembly-bot into $venv"
