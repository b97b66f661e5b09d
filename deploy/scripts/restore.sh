#!/usr/bin/env bash
# Restore a backup.sh archive into DATABASE_URL (an empty database, or one whose objects it replaces):
# restore.sh FILE. Stop the workers first; start them after (they migrate a restored older schema).
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL}"
in="${1:?usage: restore.sh FILE}"
exec pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error \
  --dbname="${DATABASE_URL/+asyncpg/}" "$in"
