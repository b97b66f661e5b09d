"""The HTTP side: aiohttp routes, token check, fault injection, call recording, error bodies."""

from __future__ import annotations

import asyncio
from typing import Any, NoReturn

from aiohttp import web

from bot.emulator.errors import TelegramApiError, too_many_requests
from bot.emulator.faults import Fault, Faults
from bot.emulator.limits import Clock
from bot.emulator.methods import BotApi
from bot.emulator.params import Params, read_params
from bot.emulator.records import ApiCall
from bot.emulator.state import State

UNAUTHORIZED = TelegramApiError(401, "Unauthorized")
NOT_FOUND = TelegramApiError(404, "Not Found")


def error_response(error: TelegramApiError) -> web.Response:
    """An error outside method calls (file downloads), which is not recorded."""
    return web.json_response(error.body(), status=error.status)


class ApiServer:
    """Serves `/bot<token>/<method>` and `/file/bot<token>/<path>` for one bot."""

    def __init__(self, token: str, api: BotApi, state: State, faults: Faults, clock: Clock) -> None:
        self.token = token
        self.api = api
        self.state = state
        self.faults = faults
        self.clock = clock
        self.calls: list[ApiCall] = []
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        self.app.router.add_get("/_emulator/state", self.handle_state)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, host: str, port: int) -> None:
        # Cancelling handlers whose client went away makes a killed client change nothing,
        # and frees an abandoned long poll at once.
        self._runner = web.AppRunner(self.app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_port = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound_port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle_method(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            await request.read()
            return self.fail(request, method, {}, UNAUTHORIZED)
        try:
            values = await read_params(request)
        except TelegramApiError as error:
            return self.fail(request, method, {}, error)
        fault = self.faults.take(method)
        if fault is not None and fault.kind != "late":
            faulty = await self._inject(request, method, values, fault)
            if faulty is not None:
                return faulty
        entry = self.api.methods.get(method.lower())
        if entry is None:
            return self.fail(request, method, values, NOT_FOUND)
        name, handler = entry
        try:
            result: Any = await handler(Params(values))
        except TelegramApiError as error:
            return self.fail(request, name, values, error)
        done = self.clock()  # when Telegram counts the message, however late its answer leaves
        if fault is not None and fault.kind == "late":  # done, but the answer is held up
            try:
                await asyncio.sleep(fault.delay)
            except asyncio.CancelledError:  # the client went meanwhile: the call stays done
                self._record(request, name, values, 200, result, at=done)
                raise
        return self.answer(request, name, values, {"ok": True, "result": result}, 200, at=done)

    async def _inject(
        self, request: web.Request, method: str, values: dict[str, Any], fault: Fault
    ) -> web.Response | None:
        """Apply a scheduled fault; None means "go on with the call" (after a slow one)."""
        if fault.kind == "drop":
            self._record(request, method, values, 0)
            self._drop(request)
        if fault.kind == "5xx":
            return self.fail(request, method, values, TelegramApiError(500, "Internal Server Error"))
        if fault.kind == "429":
            return self.fail(request, method, values, too_many_requests(max(1, int(fault.delay))))
        await asyncio.sleep(fault.delay)
        return None

    @staticmethod
    def _drop(request: web.Request) -> NoReturn:
        """Close the connection without a response, like a proxy dying mid-request."""
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError

    def fail(
        self, request: web.Request, method: str, params: dict[str, Any], error: TelegramApiError
    ) -> web.Response:
        return self.answer(request, method, params, error.body(), error.status)

    def answer(
        self,
        request: web.Request,
        method: str,
        params: dict[str, Any],
        body: dict[str, Any],
        status: int,
        *,
        at: float | None = None,
    ) -> web.Response:
        """Record the call (as of `at`, else now), then send Telegram's JSON envelope with a real
        HTTP status."""
        self._record(request, method, params, status, body.get("result"), at=at)
        return web.json_response(body, status=status)

    def _record(
        self,
        request: web.Request,
        method: str,
        params: dict[str, Any],
        status: int,
        result: Any = None,
        *,
        at: float | None = None,
    ) -> None:
        transport = request.transport
        message = None
        if isinstance(result, dict) and "message_id" in result and "chat" in result:
            message = (result["chat"]["id"], result["message_id"])
        gone = transport is None or transport.is_closing()
        when = self.clock() if at is None else at
        self.calls.append(ApiCall(method, params, status, when, client_gone=gone, message=message))

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return error_response(UNAUTHORIZED)
        path = request.match_info["path"]
        stored = next((f for f in self.state.files.values() if f.path == path), None)
        if stored is None:
            return error_response(NOT_FOUND)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def handle_state(self, request: web.Request) -> web.Response:
        """A read-only snapshot for manual trials: users, their messages, pending updates."""
        users = [
            {
                "user": chat.user,
                "blocked": chat.blocked,
                "messages": [
                    {
                        "message_id": m.message_id,
                        "text": m.text,
                        "caption": m.caption,
                        "buttons": [[b.text for b in row] for row in m.buttons],
                        "reply_keyboard": m.reply_keyboard,
                        "poll": m.poll,
                        "edited": m.edited,
                    }
                    for m in chat.sent
                ],
                "callback_answers": chat.callback_answers,
            }
            for chat in self.state.chats.values()
        ]
        return web.json_response(
            {
                "users": users,
                "pending_updates": len(self.state.updates),
                "webhook": self.state.webhook.url,
                "calls": len(self.calls),
            }
        )
