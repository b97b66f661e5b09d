"""Validation of message content the way Telegram enforces it: lengths, keyboards, commands."""

from __future__ import annotations

import html
import re
from typing import Any

from bot.emulator.errors import bad_request
from bot.emulator.limits import Limits

_TAG = re.compile(r"<[^>]*>")
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


def visible_length(text: str, parse_mode: str | None) -> int:
    """Length after entity parsing, which is what Telegram's limits count.

    Only HTML markup is stripped; Markdown is counted raw, which can only be stricter.
    """
    if parse_mode and parse_mode.upper() == "HTML":
        return len(html.unescape(_TAG.sub("", text)).strip())
    return len(text.strip())


def check_text(text: str | None, parse_mode: str | None, limits: Limits) -> str:
    """A message text, refused when empty or longer than `limits.max_text`."""
    if text is None or visible_length(text, parse_mode) == 0:
        raise bad_request("message text is empty")
    if visible_length(text, parse_mode) > limits.max_text:
        raise bad_request("message is too long")
    return text


def check_caption(caption: str | None, parse_mode: str | None, limits: Limits) -> None:
    if caption is not None and visible_length(caption, parse_mode) > limits.max_caption:
        raise bad_request("message caption is too long")


def check_markup(markup: Any, limits: Limits, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate any reply_markup; return it (None when absent)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"], limits)
    elif inline_only:
        raise bad_request("inline keyboard expected")
    elif "keyboard" in markup:
        _check_rows(markup["keyboard"], "keyboard")
        for row in markup["keyboard"]:
            for button in row:
                if not isinstance(button, str | dict) or not _label(button):
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
    elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _label(button: str | dict[str, Any]) -> str:
    return button if isinstance(button, str) else str(button.get("text") or "")


def _check_rows(rows: Any, field: str) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" must be an Array of Arrays')


def _check_inline_keyboard(rows: Any, limits: Limits) -> None:
    _check_rows(rows, "inline_keyboard")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            data = button.get("callback_data")
            if data is not None:
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= (limits.max_callback_data):
                    raise bad_request("BUTTON_DATA_INVALID")
            elif not isinstance(button.get("url"), str) and not (
                button.keys() & {"web_app", "login_url", "switch_inline_query", "pay", "copy_text"}
            ):
                raise bad_request("text buttons are unallowed in the inline keyboard")


def check_commands(commands: Any) -> list[tuple[str, str]]:
    """setMyCommands' list: at most 100, names 1-32 of [a-z0-9_], descriptions 1-256 chars."""
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be an array of at most 100 BotCommand")
    result: list[tuple[str, str]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand")
        name, description = item.get("command"), item.get("description")
        if not isinstance(name, str) or not _COMMAND_NAME.match(name.removeprefix("/")):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append((name.removeprefix("/"), description))
    return result


def scope_key(scope: Any, language_code: str | None) -> tuple[str, int | None, str]:
    """The key of a command list: scope type, its chat (if any), language ("" = all)."""
    scope = scope or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
        raise bad_request("wrong scope type specified")
    chat_id = scope.get("chat_id")
    if scope["type"].startswith("chat"):
        if chat_id is None:
            raise bad_request("chat_id is empty")
        chat_id = int(chat_id)
    else:
        chat_id = None
    return scope["type"], chat_id, language_code or ""
