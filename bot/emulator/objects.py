"""JSON shapes of Bot API objects, always a superset of what aiogram 3.31 and PTB 22.8 require.

A missing required key makes either framework reject a whole getUpdates batch, so every builder
here emits the required fields of both (tests/test_emulator.py parses them with each framework).
"""

from __future__ import annotations

import re
from typing import Any

JSON = dict[str, Any]

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[JSON]:
    """`bot_command` entities for every /command in `text`, as Telegram marks them.

    PTB's CommandHandler only fires when the first entity is a bot_command at offset 0.
    """
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for m in _COMMAND.finditer(text)
    ]


def user_json(
    user_id: int,
    first_name: str,
    *,
    is_bot: bool = False,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
) -> JSON:
    """A User; optional fields are left out when unset, as Telegram does."""
    data: JSON = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if last_name:
        data["last_name"] = last_name
    if username:
        data["username"] = username
    if language_code:
        data["language_code"] = language_code
    return data


def bot_user_json(bot_id: int, first_name: str, username: str) -> JSON:
    """The getMe User, with the bot-only capability flags."""
    return {
        **user_json(bot_id, first_name, is_bot=True, username=username),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def private_chat_json(user: JSON) -> JSON:
    """The private Chat with a user (its id equals the user's id)."""
    chat: JSON = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    for key in ("last_name", "username"):
        if key in user:
            chat[key] = user[key]
    return chat


def chat_full_info_json(chat: JSON) -> JSON:
    """getChat's ChatFullInfo: both frameworks require the accent colour, reaction count, gifts."""
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def poll_option_json(text: str, voter_count: int, persistent_id: str) -> JSON:
    """A PollOption; `persistent_id` is required since Bot API 9.6."""
    return {"persistent_id": persistent_id, "text": text, "voter_count": voter_count}


def photo_sizes_json(file_id: str, unique_id: str, size: int) -> list[JSON]:
    """PhotoSize list; the emulator does not decode images, so one nominal size is reported."""
    return [
        {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "width": 320,
            "height": 320,
            "file_size": size,
        }
    ]


def document_json(
    file_id: str, unique_id: str, size: int, file_name: str | None, mime_type: str | None
) -> JSON:
    """A Document."""
    data: JSON = {"file_id": file_id, "file_unique_id": unique_id, "file_size": size}
    if file_name:
        data["file_name"] = file_name
    if mime_type:
        data["mime_type"] = mime_type
    return data


def webhook_info_json(url: str, pending: int, allowed_updates: list[str] | None) -> JSON:
    """WebhookInfo; an empty url means polling mode."""
    data: JSON = {"url": url, "has_custom_certificate": False, "pending_update_count": pending}
    if url:
        data["max_connections"] = 40
        if allowed_updates is not None:
            data["allowed_updates"] = allowed_updates
    return data
