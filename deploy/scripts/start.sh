#!/usr/bin/env bash
# Start one bot worker. With WEBHOOK_URL set it serves Telegram's webhook on LISTEN (default
# 0.0.0.0:8080, the reverse proxy's upstream) with /healthz and /metrics beside it; without, it long-
# polls and serves /healthz and /metrics on METRICS_LISTEN (default 0.0.0.0:9090).
# SIGTERM stops it cleanly: updates in flight are finished and what is due is sent.
set -euo pipefail
: "${TELEGRAM_BOT_TOKEN:?set TELEGRAM_BOT_TOKEN}"
: "${DATABASE_URL:?set DATABASE_URL}"
runtime=(--runtime "${BOT_RUNTIME:-aiogram}")
if [[ -n "${WEBHOOK_URL:-}" ]]; then
  : "${TELEGRAM_WEBHOOK_SECRET:?set TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -)}"
  exec "${PYTHON:-python}" -m bot.cli run "${runtime[@]}" --webhook "$WEBHOOK_URL" \
    --listen "${LISTEN:-0.0.0.0:8080}" --max-connections "${WEBHOOK_MAX_CONNECTIONS:-40}"
fi
exec "${PYTHON:-python}" -m bot.cli run "${runtime[@]}" --metrics "${METRICS_LISTEN:-0.0.0.0:9090}"
