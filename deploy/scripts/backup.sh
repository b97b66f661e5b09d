#!/usr/bin/env bash
# Back up the PostgreSQL store: backup.sh FILE writes a pg_dump custom-format archive (compressed,
# restorable table by table). Run it daily (cron or a systemd timer) and keep copies off the server.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL}"
out="${1:?usage: backup.sh FILE}"
# libpq does not know SQLAlchemy's driver suffix (postgresql+asyncpg://).
exec pg_dump --format=custom --no-owner --file="$out" --dbname="${DATABASE_URL/+asyncpg/}"
