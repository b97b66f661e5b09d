"""The Bot API error type and the exact error texts Telegram answers with."""

from __future__ import annotations

from typing import Any

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
CHAT_NOT_FOUND = "Bad Request: chat not found"


class TelegramApiError(Exception):
    """An API failure, carried to the HTTP layer that turns it into a real status and body.

    Frameworks classify errors by HTTP status and by `parameters.retry_after`, so both matter.
    """

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends with this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> TelegramApiError:
    """A 400 with Telegram's "Bad Request: " prefix."""
    return TelegramApiError(400, f"Bad Request: {detail}")


def too_many_requests(retry_after: int) -> TelegramApiError:
    """A 429 that both frameworks turn into their retry-after exception."""
    return TelegramApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
