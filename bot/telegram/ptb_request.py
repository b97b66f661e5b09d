"""PTB's Bot API requests over aiohttp, through PTB's own extension point (`BaseRequest`).

PTB's default transport, httpx, costs about 2 ms of CPU per call with a pool of 16 connections
(httpcore goes over its whole pool for every request), four times aiohttp's cost for the same
call: in a burst of 1,000 button presses, the answers alone took two seconds of the event loop.
PTB still builds every call, parses every reply and raises its own errors (`BaseRequest.post`
turns the status and body returned here into results or `TelegramError`s); only the transport
differs, and aiohttp is the one aiogram, the webhook and the dashboard already use.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """At most `connections` calls in flight on one aiohttp session; timeouts in seconds."""

    def __init__(
        self,
        connections: int = 1,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._connections = connections
        self._read_timeout, self._connect_timeout = read_timeout, connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is not None and self._session.closed:
            self._session = None
        self._client()

    def _client(self) -> aiohttp.ClientSession:
        """The session, made at the first call if `initialize` was not called (PTB's own transport
        works without it too)."""
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )
        return self._session

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(  # noqa: PLR0917 (BaseRequest's signature)
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call; aiohttp has no write timeout of its own, so the read timeout bounds the reply."""
        session = self._client()
        if session.closed:
            raise RuntimeError("this AiohttpRequest is shut down")
        timeout = aiohttp.ClientTimeout(
            connect=_given(pool_timeout, self._pool_timeout),
            sock_connect=_given(connect_timeout, self._connect_timeout),
            sock_read=_given(read_timeout, self._read_timeout),
        )
        try:
            async with session.request(method, url, data=_body(request_data), timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _body(request_data: RequestData | None) -> Any:
    """Form fields, or a multipart form when the call uploads files (as PTB's httpx transport)."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    files = request_data.multipart_data
    if not files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
