"""Which bot a token belongs to: Telegram's ids (updates, limits) are per bot."""


def bot_id_of(token: str) -> int:
    """The bot's numeric id, the part of the token before the colon (``123456:ABC`` -> 123456)."""
    head, sep, _ = token.partition(":")
    if not sep or not head.isdigit():
        raise ValueError("a Telegram bot token looks like 123456:ABC-DEF")
    return int(head)
