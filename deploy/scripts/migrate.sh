#!/usr/bin/env bash
# Bring DATABASE_URL's schema to this release, once, before any worker starts (compose runs it as a
# one-shot service; systemd as assembly-bot-migrate.service). Safe to run again: it does nothing
# when the schema is current.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL, e.g. postgresql://assembly@db/assembly}"
exec "${PYTHON:-python}" -m bot.cli migrate
