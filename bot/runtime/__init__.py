"""How the bot runs: framework adapters, the update loop and the outbox sender."""
