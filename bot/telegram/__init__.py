"""The Telegram layer: the framework adapters, the update loop (runner) and the rate-limited outbox sender."""
