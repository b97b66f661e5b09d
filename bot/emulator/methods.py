"""The Bot API methods: each validates its parameters against the state and applies the call."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from bot.emulator.content import (
    check_caption,
    check_commands,
    check_markup,
    check_text,
    scope_key,
)
from bot.emulator.errors import (
    BLOCKED,
    CHAT_NOT_FOUND,
    NOT_MODIFIED,
    POLL_CONFLICT,
    WEBHOOK_CONFLICT,
    TelegramApiError,
    bad_request,
    too_many_requests,
)
from bot.emulator.limits import Clock, Limits, RateLimiter
from bot.emulator.objects import (
    JSON,
    bot_user_json,
    chat_full_info_json,
    document_json,
    photo_sizes_json,
    webhook_info_json,
)
from bot.emulator.params import Params
from bot.emulator.records import SentMessage, Upload, inline_buttons, reply_buttons
from bot.emulator.state import Chat, Poll, State, StoredFile

Handler = Callable[[Params], Awaitable[Any]]

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class BotApi:
    """One bot's view of Telegram: the method table plus the rules shared by sends."""

    def __init__(
        self, state: State, limits: Limits, bot_username: str, first_name: str, clock: Clock
    ) -> None:
        self.state = state
        self.limits = limits
        self.rate = RateLimiter(limits, clock)
        self.clock = clock
        self.me = bot_user_json(state.bot_id, first_name, bot_username)
        self._poller: asyncio.Event | None = None
        self.overlapping_polls = 0
        """getUpdates calls that arrived while another was still open: two pollers of one bot."""
        self.poll_arrivals: list[float] = []
        """When each getUpdates call arrived (by `clock`), answered or not."""
        self.methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self.get_me,
                "getUpdates": self.get_updates,
                "setWebhook": self.set_webhook,
                "deleteWebhook": self.delete_webhook,
                "getWebhookInfo": self.get_webhook_info,
                "sendMessage": self.send_message,
                "editMessageText": self.edit_message_text,
                "editMessageReplyMarkup": self.edit_message_reply_markup,
                "answerCallbackQuery": self.answer_callback_query,
                "sendPoll": self.send_poll,
                "stopPoll": self.stop_poll,
                "sendPhoto": self.send_photo,
                "sendDocument": self.send_document,
                "sendVenue": self.send_venue,
                "getFile": self.get_file,
                "setMyCommands": self.set_my_commands,
                "deleteMyCommands": self.delete_my_commands,
                "getMyCommands": self.get_my_commands,
                "getChat": self.get_chat,
                "sendChatAction": self.send_chat_action,
            }.items()
        }

    # -- shared rules -------------------------------------------------------------------------

    def chat(self, params: Params) -> Chat:
        if "chat_id" not in params:
            raise bad_request("chat_id is empty")
        # Only private chats with simulated users exist, so any @username is unknown too.
        raw = params.values["chat_id"]
        chat = self.state.chats.get(raw) if isinstance(raw, int) else None
        if chat is None:
            raise TelegramApiError(400, CHAT_NOT_FOUND)
        return chat

    def admit(self, chat: Chat) -> None:
        """The checks every outgoing message passes last: blocked users, then flood limits."""
        if chat.blocked:
            raise TelegramApiError(403, BLOCKED)
        wait = self.rate.acquire(chat.id)
        if wait:
            raise too_many_requests(wait)

    def bot_message(self, chat: Chat, params: Params, content: JSON, markup: JSON | None) -> JSON:
        """Store a new bot message and its SentMessage view; return the Message object."""
        message_id = chat.new_message_id()
        message: JSON = {
            "message_id": message_id,
            "from": self.me,
            "chat": chat.json,
            "date": int(time.time()),
            **content,
        }
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        chat.messages[message_id] = message
        sent = SentMessage(
            message_id=message_id,
            chat_id=chat.id,
            text=content.get("text"),
            caption=content.get("caption"),
            buttons=inline_buttons(markup),
            reply_keyboard=[[b.text for b in row] for row in reply_buttons(markup)],
            reply_buttons=reply_buttons(markup),
            remove_keyboard=bool(markup and markup.get("remove_keyboard")),
            parse_mode=params.optional_text("parse_mode"),
            sent_at=self.clock(),
        )
        chat.sent.append(sent)
        chat.notify()
        return message

    def editable(self, chat: Chat, params: Params) -> tuple[JSON, SentMessage]:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by the emulator")
        message_id = params.integer("message_id", empty="message identifier is not specified")
        message = chat.messages.get(message_id)
        sent = chat.sent_by_id(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if sent is None:
            raise bad_request("message can't be edited")
        return message, sent

    @staticmethod
    def apply_markup(message: JSON, sent: SentMessage, markup: JSON | None) -> None:
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        sent.buttons = inline_buttons(markup)

    def touch(self, chat: Chat, message: JSON, sent: SentMessage) -> None:
        message["edit_date"] = int(time.time())
        sent.edited += 1
        chat.notify()

    # -- identity and updates -----------------------------------------------------------------

    async def get_me(self, params: Params) -> JSON:
        return self.me

    async def get_updates(self, params: Params) -> list[JSON]:
        """Long polling; a newer getUpdates terminates an older one with 409, as Telegram does."""
        if self.state.webhook.url:
            raise TelegramApiError(409, WEBHOOK_CONFLICT)
        queue = self.state.updates
        offset = params.optional_int("offset") or 0
        limit = min(100, max(1, params.optional_int("limit") or 100))
        timeout = max(0, params.optional_int("timeout") or 0)
        allowed = params.obj("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad_request("can't parse allowed_updates")
            queue.allowed = [str(kind) for kind in allowed]
        queue.confirm(offset)
        self.poll_arrivals.append(self.clock())
        if self._poller is not None:
            self.overlapping_polls += 1
            self._poller.set()
        preempted = self._poller = asyncio.Event()
        try:
            if not len(queue) and timeout:
                waiters = [
                    asyncio.ensure_future(queue.arrival()),
                    asyncio.ensure_future(preempted.wait()),
                ]
                try:
                    await asyncio.wait(waiters, timeout=timeout, return_when="FIRST_COMPLETED")
                finally:
                    for waiter in waiters:
                        waiter.cancel()
            if preempted.is_set():
                raise TelegramApiError(409, POLL_CONFLICT)
            return queue.peek(limit)
        finally:
            if self._poller is preempted:
                self._poller = None

    async def set_webhook(self, params: Params) -> bool:
        webhook = self.state.webhook
        url = params.optional_text("url") or ""
        parts = urlsplit(url)
        if url and parts.scheme != "https" and not _loopback(parts.hostname):
            # Telegram delivers over HTTPS only; plain HTTP is allowed here for bots on this machine.
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        webhook.url = url
        webhook.secret_token = params.optional_text("secret_token")
        webhook.max_connections = params.optional_int("max_connections") or 40
        allowed = params.obj("allowed_updates")
        if isinstance(allowed, list):
            self.state.updates.allowed = [str(kind) for kind in allowed]
        if params.flag("drop_pending_updates"):
            self.state.updates.clear()
        return True

    async def delete_webhook(self, params: Params) -> bool:
        self.state.webhook.url = ""
        self.state.webhook.secret_token = None
        if params.flag("drop_pending_updates"):
            self.state.updates.clear()
        return True

    async def get_webhook_info(self, params: Params) -> JSON:
        queue = self.state.updates
        return webhook_info_json(self.state.webhook.url, len(queue), queue.allowed if queue.allowed else None)

    # -- messages -----------------------------------------------------------------------------

    async def send_message(self, params: Params) -> JSON:
        chat = self.chat(params)
        parse_mode = params.optional_text("parse_mode")
        text = check_text(params.optional_text("text"), parse_mode, self.limits)
        markup = check_markup(params.obj("reply_markup"), self.limits)
        self.admit(chat)
        return self.bot_message(chat, params, {"text": text}, markup)

    async def edit_message_text(self, params: Params) -> JSON:
        chat = self.chat(params)
        message, sent = self.editable(chat, params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        parse_mode = params.optional_text("parse_mode")
        text = check_text(params.optional_text("text"), parse_mode, self.limits)
        markup = check_markup(params.obj("reply_markup"), self.limits, inline_only=True)
        if (text, parse_mode, markup) == (
            message["text"],
            sent.parse_mode,
            message.get("reply_markup"),
        ):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self.admit(chat)
        message["text"] = text
        sent.text, sent.parse_mode = text, parse_mode
        self.apply_markup(message, sent, markup)
        self.touch(chat, message, sent)
        return message

    async def edit_message_reply_markup(self, params: Params) -> JSON:
        chat = self.chat(params)
        message, sent = self.editable(chat, params)
        markup = check_markup(params.obj("reply_markup"), self.limits, inline_only=True)
        if markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self.admit(chat)
        self.apply_markup(message, sent, markup)
        self.touch(chat, message, sent)
        return message

    async def answer_callback_query(self, params: Params) -> bool:
        query = self.state.callback_queries.get(params.text("callback_query_id"))
        if query is None or query.answered:
            raise bad_request(QUERY_TOO_OLD)
        text = params.optional_text("text") or ""
        if len(text) > self.limits.max_callback_answer:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        chat = self.state.chats[query.chat_id]
        chat.callback_answers.append(text)
        chat.notify()
        return True

    async def send_chat_action(self, params: Params) -> bool:
        chat = self.chat(params)
        params.text("action", empty="action is empty")
        if chat.blocked:
            raise TelegramApiError(403, BLOCKED)
        return True

    # -- polls --------------------------------------------------------------------------------

    async def send_poll(self, params: Params) -> JSON:
        chat = self.chat(params)
        question = params.optional_text("question") or ""
        if not question.strip():
            raise bad_request("poll question must be non-empty")
        if len(question) > 300:
            raise bad_request("poll question length must not exceed 300")
        options = self._poll_options(params.obj("options"))
        poll_type = params.optional_text("type") or "regular"
        if poll_type not in ("regular", "quiz"):
            raise bad_request("wrong poll type specified")
        close_at = self._close_at(params)
        markup = check_markup(params.obj("reply_markup"), self.limits)
        self.admit(chat)
        poll = Poll(
            id=str(5_000_000_000 + self.state.next_id()),
            chat_id=chat.id,
            message_id=chat.next_message_id,
            question=question,
            options=options,
            is_anonymous=params.flag("is_anonymous", default=True),
            type=poll_type,
            allows_multiple_answers=params.flag("allows_multiple_answers"),
            allows_revoting=params.flag("allows_revoting", default=poll_type != "quiz"),
            members_only=params.flag("members_only"),
            closed=params.flag("is_closed"),
            close_at=close_at,
        )
        self.state.polls[poll.id] = poll
        message = self.bot_message(chat, params, {"poll": poll.json()}, markup)
        chat.sent[-1].poll = poll.summary()
        return message

    @staticmethod
    def _poll_options(raw: Any) -> list[str]:
        """Options arrive as strings or as InputPollOption objects."""
        if not isinstance(raw, list):
            raise bad_request("poll options must be an array")
        if not raw:
            raise bad_request("poll must have at least 1 option")
        if len(raw) > 12:
            raise bad_request("poll can't have more than 12 options")
        options: list[str] = []
        for item in raw:
            option = item.get("text") if isinstance(item, dict) else item
            if not isinstance(option, str) or not option.strip():
                raise bad_request("poll options must be non-empty")
            if len(option) > 100:
                raise bad_request("poll options length must not exceed 100")
            options.append(option)
        return options

    @staticmethod
    def _close_at(params: Params) -> float | None:
        open_period = params.optional_int("open_period")
        close_date = params.optional_int("close_date")
        if open_period is not None:
            if not 5 <= open_period <= 2_628_000:
                raise bad_request("wrong open_period specified")
            return time.time() + open_period
        if close_date is not None:
            if not 5 <= close_date - time.time() <= 2_628_000:
                raise bad_request("wrong close_date specified")
            return float(close_date)
        return None

    async def stop_poll(self, params: Params) -> JSON:
        chat = self.chat(params)
        message_id = params.integer("message_id", empty="message identifier is not specified")
        poll = next(
            (p for p in self.state.polls.values() if (p.chat_id, p.message_id) == (chat.id, message_id)),
            None,
        )
        if poll is None:
            raise bad_request("message with poll to stop not found")
        if poll.is_closed:
            raise bad_request("poll has already been closed")
        markup = check_markup(params.obj("reply_markup"), self.limits, inline_only=True)
        poll.closed = True
        message, sent = chat.messages[message_id], chat.sent_by_id(message_id)
        if sent is not None and "reply_markup" in params:
            self.apply_markup(message, sent, markup)
        refresh_poll(self.state, poll)
        self.state.updates.push("poll", poll.json())
        return poll.json()

    # -- files --------------------------------------------------------------------------------

    def _file(self, params: Params, name: str, kind: str) -> tuple[StoredFile | None, str | None]:
        """An upload, a known file_id or a URL (stored as a reference without bytes)."""
        value = params.values.get(name)
        if isinstance(value, Upload):
            return self.state.store_file(value.data, value.filename, value.content_type, kind), None
        if isinstance(value, str) and value in self.state.files:
            return self.state.files[value], None
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return None, value
        if value is None:
            raise bad_request(f"there is no {name} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _send_file(self, params: Params, name: str) -> JSON:
        chat = self.chat(params)
        parse_mode = params.optional_text("parse_mode")
        caption = params.optional_text("caption")
        check_caption(caption, parse_mode, self.limits)
        markup = check_markup(params.obj("reply_markup"), self.limits)
        stored, url = self._file(params, name, name)
        self.admit(chat)
        if stored is None:
            stored = self.state.store_file(b"", (url or "").rsplit("/", 1)[-1], None, name)
        content: JSON = (
            {"photo": photo_sizes_json(stored.file_id, stored.unique_id, len(stored.data))}
            if name == "photo"
            else {
                "document": document_json(
                    stored.file_id,
                    stored.unique_id,
                    len(stored.data),
                    stored.name,
                    stored.mime_type,
                )
            }
        )
        if caption is not None:
            content["caption"] = caption
        message = self.bot_message(chat, params, content, markup)
        sent = chat.sent[-1]
        data = None if url else stored.data
        if name == "photo":
            sent.photo = data
        else:
            sent.document, sent.document_name = data, stored.name
        return message

    async def send_photo(self, params: Params) -> JSON:
        return self._send_file(params, "photo")

    async def send_document(self, params: Params) -> JSON:
        return self._send_file(params, "document")

    async def send_venue(self, params: Params) -> JSON:
        chat = self.chat(params)
        try:
            latitude, longitude = float(params.text("latitude")), float(params.text("longitude"))
        except ValueError:
            raise bad_request("wrong latitude or longitude") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise bad_request("wrong latitude or longitude")
        title, address = params.text("title"), params.text("address")
        self.admit(chat)
        location = {"latitude": latitude, "longitude": longitude}
        venue = {"location": location, "title": title, "address": address}
        message = self.bot_message(chat, params, {"venue": venue, "location": location}, None)
        chat.sent[-1].venue = venue
        return message

    async def get_file(self, params: Params) -> JSON:
        stored = self.state.files.get(params.text("file_id"))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    # -- commands and chats -------------------------------------------------------------------

    async def set_my_commands(self, params: Params) -> bool:
        commands = check_commands(params.obj("commands"))
        key = scope_key(params.obj("scope"), params.optional_text("language_code"))
        if commands:
            self.state.commands[key] = commands
        else:
            self.state.commands.pop(key, None)
        return True

    async def delete_my_commands(self, params: Params) -> bool:
        key = scope_key(params.obj("scope"), params.optional_text("language_code"))
        self.state.commands.pop(key, None)
        return True

    async def get_my_commands(self, params: Params) -> list[JSON]:
        key = scope_key(params.obj("scope"), params.optional_text("language_code"))
        return [
            {"command": command, "description": description}
            for command, description in self.state.commands.get(key, [])
        ]

    async def get_chat(self, params: Params) -> JSON:
        return chat_full_info_json(self.chat(params).json)


def refresh_poll(state: State, poll: Poll) -> None:
    """Mirror a poll's new counts or closure into its message and SentMessage."""
    chat = state.chats[poll.chat_id]
    chat.messages[poll.message_id]["poll"] = poll.json()
    sent = chat.sent_by_id(poll.message_id)
    if sent is not None:
        sent.poll = poll.summary()
    chat.notify()


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False
