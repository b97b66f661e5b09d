"""The emulator's user side over HTTP, so a person in another terminal can be a Telegram user.

`POST /_emulator/users/{id}` does one thing as that user (created on first use with `first_name` and
`language_code`): `{"text": ...}` types a message, `{"press": n}` presses the n-th button (1-based,
in reading order) of the newest message with inline buttons, `{"contact": "+32..."}` shares a phone
number, `{"vote": [0, 2]}` answers the newest poll. `GET /_emulator/users/{id}` lists what the bot
sent to that user (created from `first_name` and `language_code` in the query). Loopback trials
only, like `/_emulator/state`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator
    from bot.emulator.users import SimulatedUser


def _message(sent: Any) -> dict[str, Any]:
    return {
        "message_id": sent.message_id,
        "text": sent.text or sent.caption or "",
        "buttons": [button.text for row in sent.buttons for button in row],
        "reply_keyboard": [label for row in sent.reply_keyboard for label in row],
        "poll": None if sent.poll is None else [o["text"] for o in sent.poll.get("options", [])],
        "file": sent.document_name or ("photo" if sent.photo else None),
        "edited": sent.edited,
    }


async def _act(user: SimulatedUser, action: dict[str, Any]) -> None:
    if "text" in action:
        await user.send_text(str(action["text"]))
    elif "contact" in action:
        await user.share_contact(str(action["contact"]))
    elif "press" in action:
        number = int(action["press"])
        newest = next((m for m in reversed(user.messages) if m.buttons), None)
        labels = [button.text for row in newest.buttons for button in row] if newest else []
        if not 1 <= number <= len(labels):
            raise LookupError(f"there is no button {number}; the newest buttons are 1 to {len(labels)}")
        await user.press(labels[number - 1])
    elif "vote" in action:
        newest_poll = next((m for m in reversed(user.messages) if m.poll is not None), None)
        if newest_poll is None:
            raise LookupError("the bot has sent no poll")
        await user.answer_poll(newest_poll.message_id, [int(i) for i in action["vote"]])
    else:
        raise LookupError("give one of text, press, contact or vote")


def add_routes(app: web.Application, emulator: Emulator) -> None:
    def person(request: web.Request, body: dict[str, Any] | None = None) -> SimulatedUser:
        body = body or {}
        user_id = int(request.match_info["user"])
        return emulator.user(user_id, str(body.get("first_name") or "Trial"), body.get("language_code"))

    async def act(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            await _act(person(request, body), body)
        except (LookupError, ValueError) as error:
            return web.json_response({"ok": False, "description": str(error)}, status=400)
        return web.json_response({"ok": True})

    async def read(request: web.Request) -> web.Response:
        messages = person(request, dict(request.query)).messages  # the same profile as in a POST
        return web.json_response({"messages": [_message(m) for m in messages]})

    app.router.add_post("/_emulator/users/{user:[0-9]+}", act)
    app.router.add_get("/_emulator/users/{user:[0-9]+}", read)
