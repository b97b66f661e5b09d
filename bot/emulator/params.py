"""Request parameters: reading urlencoded, multipart, JSON and query bodies into one typed view."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.emulator.errors import bad_request
from bot.emulator.records import Upload

# Fields whose value is free text: never JSON-decoded, so a user text "123" stays a string.
TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "question",
        "explanation",
        "description",
        "parse_mode",
        "question_parse_mode",
        "explanation_parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "language_code",
        "file_id",
        "action",
        "business_connection_id",
        "message_effect_id",
        "type",
        "photo",
        "document",
        "thumbnail",
    }
)


def decode_value(name: str, raw: str) -> Any:
    """Undo the frameworks' JSON encoding of non-string values in form bodies."""
    if name in TEXT_PARAMS:
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, dict | list | int | float | bool) else raw


async def read_params(request: web.Request) -> dict[str, Any]:
    """Merge query string and body; resolve aiogram's `attach://<name>` references to uploads."""
    params: dict[str, Any] = {k: decode_value(k, v) for k, v in request.query.items()}
    if request.content_type == "application/json":
        body = await request.json() if await request.read() else {}
        if not isinstance(body, dict):
            raise bad_request("JSON body must be an object")
        params.update({k: decode_value(k, v) if isinstance(v, str) else v for k, v in body.items()})
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form: Mapping[str, Any] = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                params[name] = Upload(value.filename, value.file.read(), value.content_type)
            else:
                params[name] = decode_value(name, value)
    else:
        await request.read()
    for name, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            attached = params.pop(value.removeprefix("attach://"), None)
            if not isinstance(attached, Upload):
                raise bad_request(f"wrong file identifier/HTTP URL specified for {name}")
            params[name] = attached
    return params


class Params:
    """Typed access to one call's parameters, failing with Telegram-like 400 errors."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) is not None

    def optional_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad_request(f'field "{name}" must be an Integer')
        try:
            return int(value)
        except ValueError:
            raise bad_request(f'field "{name}" must be an Integer') from None

    def integer(self, name: str, empty: str = "") -> int:
        value = self.optional_int(name)
        if value is None:
            raise bad_request(empty or f"{name} is empty")
        return value

    def text(self, name: str, empty: str = "") -> str:
        value = self.optional_text(name)
        if value is None:
            raise bad_request(empty or f"{name} is empty")
        return value

    def optional_text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, dict | list | Upload):
            raise bad_request(f'field "{name}" must be a String')
        return value if isinstance(value, str) else json.dumps(value)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def obj(self, name: str) -> Any:
        """A JSON object or array parameter (reply_markup, options, scope...), or None."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value
