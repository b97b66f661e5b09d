"""Timed work on the bot's one scheduler: reminders, poll timers and feedback, deadlines, the digest."""
