"""Logging for operators: plain lines, or one JSON object per line with `LOG_FORMAT=json`.

While an update is handled, every line carries its update id and chat id (context variables set by
`update_context`), so one person's trouble can be followed across lines without logging anything
they wrote: log messages name ids and kinds, never texts, names or phone numbers.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime

UPDATE_ID: contextvars.ContextVar[int | None] = contextvars.ContextVar("update_id", default=None)
CHAT_ID: contextvars.ContextVar[int | None] = contextvars.ContextVar("chat_id", default=None)


@contextlib.contextmanager
def update_context(update_id: int, chat_id: int) -> Iterator[None]:
    """Tag every log line inside with this update and chat."""
    tokens = UPDATE_ID.set(update_id), CHAT_ID.set(chat_id)
    try:
        yield
    finally:
        UPDATE_ID.reset(tokens[0])
        CHAT_ID.reset(tokens[1])


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", "update_id"?, "chat_id"?, "exception"?, "traceback"?}.
    An exception is logged as its type and the code lines it passed through; its message, which may
    quote what a person typed, is left out."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (("update_id", UPDATE_ID), ("chat_id", CHAT_ID)):
            value = var.get()
            if value is not None:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
            line["traceback"] = "".join(traceback.format_tb(record.exc_info[2])).rstrip()
        return json.dumps(line, ensure_ascii=False)
