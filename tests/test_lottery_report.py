"""The draw's transparency on the dashboard: the spread of chances, the lowest-chance profiles in the
viewer's language, and the report as CSV, for signed-in organisers only."""

from __future__ import annotations

import dataclasses

from aiohttp.test_utils import TestClient, TestServer
from conftest import FlowHarness
from polls_room import join
from test_dashboard import DASHBOARD_URL, _link
from test_lottery import _pool

from bot.adapters.i18n import Catalogs
from bot.dashboard.app import COOKIE, make_app
from bot.organiser.lottery.selection import run_selection
from bot.store import dashboard_access
from bot.store.database import Database
from flows.assembly import Assembly


async def test_the_dashboard_shows_the_draw_and_serves_its_report(
    flow: FlowHarness, db: Database, assembly: Assembly
) -> None:
    await _pool(db, assembly, size=60)
    outcome = await run_selection(
        db,
        assembly,
        Catalogs(assembly.languages, assembly.zone),
        seats=8,
        seed=21,
        algorithm="maximin",
        reserves=0,
        now=flow.clock.now(),
    )
    flow.kit = dataclasses.replace(flow.kit, dashboard_url=DASHBOARD_URL)
    await join(flow, "organiser", 901, "fr")
    token = await _link(flow, 901, "fr")
    async with db.transaction() as session:
        opened = await dashboard_access.sign_in(session, assembly, token, flow.clock.now())
    assert opened is not None
    tr = flow.kit.translations.for_language("fr")
    client = TestClient(TestServer(make_app(db, flow.kit, secure_cookies=False)))
    await client.start_server()
    try:
        refused = await client.get("/lottery.csv")
        assert refused.status == 401
        client.session.cookie_jar.update_cookies({COOKIE: opened[0]})
        page = await (await client.get("/recruitment")).text()
        low = outcome.report.spread()[0]
        assert "Le tirage au sort" in page
        assert f"la plus basse {tr.number(round(100 * low, 3))} %" in page
        assert outcome.report.input_hash in page
        lowest = outcome.report.lowest(1)[0]
        assert f'<td class="n">{tr.number(lowest.people)}</td>' in page
        served = await client.get("/lottery.csv")
        assert served.status == 200
        assert await served.text() == outcome.report.csv()
    finally:
        await client.close()
