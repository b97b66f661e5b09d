"""The languages the assistant ships catalogs for, and how a Telegram language tag maps onto them."""

from __future__ import annotations

SHIPPED: tuple[str, ...] = ("en", "fr", "nl", "de", "ar")
"""One gettext catalog per code in `locales/`; a test keeps the two in step."""

RIGHT_TO_LEFT: frozenset[str] = frozenset({"ar"})


def match_language(tag: str | None, offered: tuple[str, ...] | list[str]) -> str | None:
    """Map an IETF tag such as `fr-BE` or `nl` to an offered language, or None."""
    if not tag:
        return None
    primary = tag.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in offered else None
