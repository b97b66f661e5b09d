"""A no-op gettext marker, so msgids defined at module level reach the catalogs."""


def N_(message: str) -> str:
    """Mark `message` for extraction; it is translated later, where the language is known."""
    return message
