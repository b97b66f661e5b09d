"""The dashboard in a real headless browser (Debian's chromium, driven by Playwright): a facilitator
asks the running bot for a link, signs in with it, reads every page in French; an organiser reads it
in Arabic, right to left; nothing shows without signing in, and a used link opens nothing."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port
from conftest import RunningBot
from dashboard_data import Populated, populate_results
from playwright.async_api import Browser, Page, async_playwright
from polls_room import invite
from test_reports import NOW

from bot.adapters.clock import ManualClock
from bot.adapters.i18n import Catalogs
from bot.bootstrap import build_kit
from bot.dashboard.app import make_app
from bot.emulator import Emulator
from bot.store.database import Database
from bot.store.read.digest import digest_data
from flows.assembly import Assembly
from flows.digest.figures import DigestData
from flows.polls.ballots import local
from flows.ports import Translator

CHROMIUM = "/usr/bin/chromium"
"""Debian's package, installed by .ci/run; Playwright never downloads a browser here."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Site:
    """The populated store, the dashboard serving it, and the bot that hands out its links."""

    def __init__(self, db: Database, data: Populated, base: str, bot: RunningBot) -> None:
        self.db, self.data, self.base, self.bot = db, data, base, bot

    async def link(self, emulator: Emulator, user_id: int, language: str, role: str) -> str:
        """Join by role invite and send /dashboard, as a person in Telegram would; the link received."""
        code = await invite(self.db, self.data.assembly, role, self.bot.clock.now())  # type: ignore[union-attr]
        person = emulator.user(user_id, first_name="Nadia", language_code=language)
        await person.send_text(f"/start role-{code}")
        await person.wait_for_messages(1)
        await person.send_text("/dashboard")
        text = (await person.wait_for_messages(2))[-1].text or ""
        found = re.search(rf"{re.escape(self.base)}/login/\S+", text)
        assert found, text
        return found.group(0)


@pytest.fixture
async def site(emulator: Emulator, sqlite_url: str, assembly: Assembly) -> AsyncIterator[Site]:
    db = Database(sqlite_url)
    data = await populate_results(db, assembly)
    clock = ManualClock(NOW)
    port = unused_port()
    base = f"http://127.0.0.1:{port}"
    runner = web.AppRunner(make_app(db, build_kit(data.assembly, clock=clock), secure_cookies=False))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    bot = RunningBot(data.assembly, emulator, sqlite_url, "aiogram", clock=clock, dashboard_url=base)
    await bot.start()
    try:
        yield Site(db, data, base, bot)
    finally:
        await bot.stop()
        await runner.cleanup()
        await db.dispose()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"the browser test needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def _charts_drawn(page: Page) -> list[int]:
    """The rendered width of every chart image on the page (0 for one that failed to load)."""
    await page.wait_for_load_state("load")
    widths: list[int] = await page.eval_on_selector_all("img.chart", "imgs => imgs.map(i => i.naturalWidth)")
    return widths


async def _refused_without_signing_in(page: Page, site: Site) -> None:
    """Every page and chart answers 401 in the browser's language, and shows nothing of the results."""
    closed_poll = next(iter(site.data.ballots))
    for path in ("/", "/recruitment", "/sessions", "/polls", "/feedback", f"/polls/{closed_poll}.png"):
        response = await page.goto(site.base + path)
        assert response is not None
        assert response.status == 401, path
        assert "envoyez /dashboard au bot" in await page.inner_text("main")
        assert "comment of" not in await page.content()


async def _recruitment(page: Page, site: Site, figures: DigestData, tr: Translator) -> None:
    assembly = site.data.assembly
    await page.click("nav >> text=Recrutement")
    assert await page.inner_text("h1") == "Recrutement par rapport aux quotas"
    gender = assembly.registration.question("gender") if assembly.registration else None
    woman = gender.choice("woman") if gender else None
    assert gender is not None
    assert woman is not None
    assert assembly.text(gender.text, "fr") in await page.inner_text("main")
    women = next(s for s in figures.strata if (s.feature, s.value) == ("gender", "woman"))
    row = page.locator("tr", has_text=assembly.text(woman.text, "fr"))
    assert await row.locator("td").nth(1).inner_text() == tr.number(women.registered)
    assert all(await _charts_drawn(page))


async def _sessions(page: Page, site: Site, figures: DigestData, tr: Translator) -> None:
    assembly = site.data.assembly
    await page.click("nav >> text=Séances")
    s1 = page.locator("tr", has_text=assembly.text(assembly.sessions[0].title, "fr"))
    cells = [await cell.inner_text() for cell in await s1.locator("td").all()]
    assert cells[2] == "tenue"
    assert cells[6:] == [tr.number(figures.sessions[0].attended), tr.number(figures.sessions[0].late)]


async def _polls(page: Page, site: Site) -> None:
    await page.click("nav >> text=Sondages")
    main = await page.inner_text("main")
    for template in site.data.assembly.polls:
        assert local(template.question, "fr") in main
    assert "Trop peu de réponses à cette table" in main
    assert "Les résultats s'affichent ici une fois le sondage clos." in main
    charts = await _charts_drawn(page)
    assert len(charts) == len(site.data.ballots) - 1  # every closed poll but the open-text one
    assert all(charts)


async def _feedback(page: Page, site: Site) -> None:
    data = site.data
    await page.click("nav >> text=Évaluations")
    assert await page.locator(".comments li").count() == len(data.comments)
    await page.click(".filter >> text=arabe")
    assert page.url.endswith("/feedback?language=ar")
    arabic = [text for person, text, _ in data.comments if data.people[person] == "ar"]
    shown = await page.locator(".comments blockquote").all_inner_texts()
    assert sorted(shown) == sorted(arabic)


async def test_facilitator_reads_every_page_after_signing_in_by_the_bots_link(
    site: Site, browser: Browser, emulator: Emulator
) -> None:
    assembly = site.data.assembly
    context = await browser.new_context(locale="fr-BE")
    page = await context.new_page()
    await _refused_without_signing_in(page, site)

    link = await site.link(emulator, 4001, "fr", "facilitator")
    response = await page.goto(link)
    assert response is not None
    assert response.headers["referrer-policy"] == "no-referrer"
    await page.click("text=Ouvrir le tableau de bord")
    await page.wait_for_url(site.base + "/")

    tr = Catalogs(assembly.languages, assembly.zone).for_language("fr")
    async with site.db.transaction() as session:
        figures = await digest_data(session, assembly.id, NOW)
    assert await page.inner_text("h1") == "Vue d'ensemble"
    assert await page.inner_text("#confirmed") == tr.number(figures.confirmed)
    assert await page.inner_text("#polls") == tr.number(len(site.data.ballots) + 1)
    assert "Connecté·e : Nadia (facilitateur·rice)" in await page.inner_text("header")
    await _recruitment(page, site, figures, tr)
    await _sessions(page, site, figures, tr)
    await _polls(page, site)
    await _feedback(page, site)

    # Signing out ends the session; the link that opened it opens nothing again.
    await page.click("text=Se déconnecter")
    response = await page.goto(site.base + "/polls")
    assert response is not None
    assert response.status == 401
    response = await page.goto(link)
    assert response is not None
    assert response.status == 403
    assert "Ce lien ne fonctionne plus" in await page.inner_text("h1")
    await context.close()


async def test_organiser_reads_the_dashboard_in_arabic_right_to_left(
    site: Site, browser: Browser, emulator: Emulator
) -> None:
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    await page.goto(await site.link(emulator, 4002, "ar", "organiser"))
    await page.click("button.primary")
    await page.wait_for_url(site.base + "/")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.inner_text("h1") == "نظرة عامة"
    await page.click("nav >> text=الاستطلاعات")
    assert await page.inner_text("h1") == "الاستطلاعات"
    assert all(await _charts_drawn(page))
    await context.close()
