"""What the assistant says and decides, independent of any Telegram library, SQL or scheduler.

`__all__` is the surface `bot/` builds on: the modules (and sub-packages, each with its own
`__all__`) it may import. The rest is how a feature works inside, free to change without touching
`bot/`; tests/test_architecture.py holds `bot/` and `bench/` to this list.
"""

__all__ = [
    "actions",
    "assembly",
    "basics",
    "confirmation",
    "dashboard",
    "digest",
    "due",
    "engine",
    "events",
    "feedback",
    "languages",
    "markers",
    "numbers",
    "polls",
    "ports",
    "privacy",
    "questionnaire",
    "registration",
    "roles",
    "routes",
    "seating",
    "sessions",
    "status",
]
