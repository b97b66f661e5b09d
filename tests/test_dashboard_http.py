"""The dashboard over HTTP, in process: forms only from its own pages, a Secure cookie by default, and
junk in a path answered 404."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from conftest import FlowHarness, add_confirmed
from polls_room import join

from bot.dashboard.app import COOKIE, make_app
from bot.store.participants import SqlStore
from bot.store.quotas import sync_quotas
from flows.actions import SendMessage
from flows.assembly import Assembly
from flows.events import Command

BASE = "https://results.example.org"
SAME = {"Sec-Fetch-Site": "same-origin"}
CROSS = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "https://attacker.example"},
    {"Origin": "null"},
    {},
]


@pytest.fixture
async def dashboard(flow: FlowHarness) -> AsyncIterator[tuple[FlowHarness, TestClient[object, object]]]:
    flow.kit = dataclasses.replace(flow.kit, dashboard_url=BASE)
    await join(flow, "organiser", 901, "en")
    async with TestClient(TestServer(make_app(flow.db, flow.kit))) as client:
        yield flow, client


async def _token(flow: FlowHarness) -> str:
    (reply,) = await flow.send(Command(flow.sender(901, "en"), "dashboard", ""))
    assert isinstance(reply, SendMessage)
    found = re.search(r"/login/(\S+)", reply.text)
    assert found, reply.text
    return found.group(1)


async def _sign_in(
    client: TestClient[object, object], token: str, headers: dict[str, str]
) -> tuple[int, str]:
    response = await client.post("/login", data={"token": token}, headers=headers, allow_redirects=False)
    return response.status, response.headers.get("Set-Cookie", "")


def _session(set_cookie: str) -> dict[str, str]:
    found = re.search(rf"{COOKIE}=([^;]+)", set_cookie)
    assert found, set_cookie
    return {"Cookie": f"{COOKIE}={found.group(1)}"}


async def test_sign_in_and_out_from_another_site_are_refused(
    dashboard: tuple[FlowHarness, TestClient[object, object]],
) -> None:
    flow, client = dashboard
    token = await _token(flow)
    for headers in CROSS:
        status, cookie = await _sign_in(client, token, headers)
        assert (status, cookie) == (403, ""), headers
    # Refused posts spent nothing: the person's own click still signs them in, with a Secure cookie.
    status, cookie = await _sign_in(client, token, SAME)
    assert status == 303
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {part.strip() for part in cookie.split(";")}
    session = _session(cookie)
    assert (await client.get("/", headers=session)).status == 200

    for headers in CROSS:
        refused = await client.post("/logout", headers={**session, **headers, "Accept-Language": "en"})
        assert refused.status == 403, headers
        assert "did not come from the dashboard" in await refused.text()
    assert (await client.get("/", headers=session)).status == 200  # still signed in
    behind_proxy = {**session, "Origin": BASE}  # an older browser, through the HTTPS proxy
    assert (await client.post("/logout", headers=behind_proxy)).status == 200
    assert (await client.get("/", headers=session)).status == 401


@pytest.mark.both_backends
async def test_junk_poll_ids_in_a_path_are_404(
    dashboard: tuple[FlowHarness, TestClient[object, object]],
) -> None:
    flow, client = dashboard
    _, cookie = await _sign_in(client, await _token(flow), SAME)
    session = _session(cookie)
    for poll in ("²", "١٢", "1" * 5000, str(2**31), str(2**63), "-1", "0"):
        response = await client.get(f"/polls/{poll}.png", headers=session)
        assert response.status == 404, poll


async def test_the_recruitment_chart_follows_the_counts(
    dashboard: tuple[FlowHarness, TestClient[object, object]], assembly: Assembly
) -> None:
    flow, client = dashboard
    _, cookie = await _sign_in(client, await _token(flow), SAME)
    session = _session(cookie)

    async def chart() -> bytes:
        response = await client.get("/recruitment.png", headers=session)
        assert response.status == 200
        return await response.read()

    async with flow.db.transaction() as store:
        await sync_quotas(store, assembly)
    before = await chart()
    assert await chart() == before
    person = await add_confirmed(flow.db, assembly, 7001, "en")
    assert assembly.registration is not None
    feature = assembly.registration.features[0]
    async with flow.db.transaction() as store:
        await SqlStore(store, assembly.id).registrations.save_answer(
            person.id, feature.id, feature.values[0], flow.clock.now()
        )
    after = await chart()
    assert after != before  # one more person registered: the bars moved
    assert await chart() == after
