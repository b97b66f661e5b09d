"""The one reader of whole numbers from outside: typed in chat, after a command, in button data, in a
dashboard path, on the command line.

`str.isdigit()` then `int()` is not safe for input: `isdigit` accepts `²` and `①`, which `int` refuses;
`int` refuses more than 4,300 digits; and a number beyond the store's integers fails in the database.
Here a number is only decimal digits of any script (ASCII, Arabic-Indic `٣٤`,
Devanagari...), at most `MAX_DIGITS` of them, after a minus sign where the bounds allow a negative
number, within the caller's bounds. Anything else is None, so
every caller answers junk the way it answers any other wrong input.
"""

from __future__ import annotations

MAX_DIGITS = 19
"""Enough for every 64-bit integer; longer input is refused before it is converted."""
INT64_MAX = 2**63 - 1
"""The largest BIGINT of both stores (Telegram's user and chat ids fit)."""
ROW_ID_MAX = 2**31 - 1
"""The largest row id: INTEGER primary keys are 32-bit on PostgreSQL."""
_MINUS = ("-", "\u2212")
"""The ASCII minus and the typographic minus sign some keyboards type."""


def parse_int(text: str, low: int = 0, high: int = INT64_MAX) -> int | None:
    """The whole number `text` spells (outer blanks ignored) if it lies in [low, high], else None."""
    body = text.strip()
    negative = low < 0 and body[:1] in _MINUS
    if negative:
        body = body[1:]
    if not body or len(body) > MAX_DIGITS or not body.isdecimal():
        return None
    value = -int(body) if negative else int(body)
    return value if low <= value <= high else None


def parse_id(text: str) -> int | None:
    """A row id: 1 and more, within the store's INTEGER range."""
    return parse_int(text, 1, ROW_ID_MAX)
