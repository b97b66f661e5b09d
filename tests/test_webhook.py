"""Webhook mode, held to its contract: the secret header or 401 and nothing recorded, 400 for a body
that is not an update, 200 only once the update is stored (redeliveries dropped), `/healthz` 200 or
503, and SIGTERM: stop accepting, finish what is in flight, send what is due, exit 0."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from conftest import CHAT_RATE, PG_ADMIN, TOKEN, _postgres_database, eventually, settled

from bot.bootstrap import App, build_app, build_core
from bot.cli.main import _parser, main
from bot.emulator import Emulator
from bot.logs import JsonFormatter, update_context
from bot.store.database import Database
from bot.telegram.health import health_app, serve
from bot.telegram.webhook import SECRET_HEADER, Webhook
from flows.assembly import Assembly

SECRET = "s3cret_Token-42"


async def scrape(http: aiohttp.ClientSession, base: str) -> dict[str, float]:
    """`/metrics` as {"name{labels}": value}."""
    async with http.get(f"{base}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {
        key: float(value)
        for key, _, value in (line.rpartition(" ") for line in text.splitlines() if not line.startswith("#"))
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def webhook_bot(
    assembly: Assembly, emulator: Emulator, url: str, runtime: str
) -> AsyncIterator[tuple[App, str]]:
    port = free_port()
    hook = Webhook(f"http://127.0.0.1:{port}/telegram/hook", SECRET, "127.0.0.1", port, max_connections=7)
    app = await build_app(
        build_core(assembly, url),
        token=TOKEN,
        api_url=emulator.url,
        runtime=runtime,
        chat_rate=CHAT_RATE,
        webhook=hook,
        tick=timedelta(seconds=0.2),
    )
    await app.runner.prepare()
    task = asyncio.create_task(app.runner.run())
    try:
        await eventually(lambda: emulator.state.webhook.url == hook.url)
        yield app, hook.url
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await app.close()


async def test_webhook_contract(
    assembly: Assembly, emulator: Emulator, sqlite_url: str, runtime: str
) -> None:
    async with (
        webhook_bot(assembly, emulator, sqlite_url, runtime) as (app, url),
        aiohttp.ClientSession() as http,
    ):
        [set_webhook] = [call for call in emulator.calls if call.method == "setWebhook"]
        assert set_webhook.params["secret_token"] == SECRET
        assert set_webhook.params["max_connections"] == 7
        assert sorted(set_webhook.params["allowed_updates"]) == ["callback_query", "message", "poll_answer"]

        base = url.rsplit("/", 2)[0]
        before = await scrape(http, base)
        amelie = emulator.user(7001, first_name="Amélie", language_code="fr")
        await amelie.send_text("/start")
        await amelie.wait_for_messages(1)
        await settled(emulator, app.db)
        assert [d.status for d in emulator.webhook_deliveries] == [200]

        # The numbers move with the run: one update handled and timed, one message sent, the
        # outbox empty again, the timed jobs' lag reported.
        after = await scrape(http, base)
        moved = {key: after[key] - before.get(key, 0.0) for key in after}
        assert moved["assembly_bot_updates_handled_total"] == 1
        assert moved["assembly_bot_update_seconds_count"] == 1
        assert moved['assembly_bot_sends_total{outcome="sent"}'] >= 1
        assert after["assembly_bot_outbox_pending"] == 0
        assert after["assembly_bot_outbox_oldest_pending_seconds"] == 0
        assert 'assembly_bot_scheduler_lag_seconds{job="reminders"}' in after

        # Telegram redelivers an update it believes unanswered: acknowledged, not handled twice.
        emulator.redeliver()
        await eventually(lambda: len(emulator.webhook_deliveries) == 2)
        await settled(emulator, app.db)
        assert [d.status for d in emulator.webhook_deliveries] == [200, 200]

        update = {
            "update_id": 900_001,
            "message": {
                "message_id": 50,
                "date": 1,
                "text": "/help",
                "chat": {"id": 7001, "type": "private", "first_name": "Amélie"},
                "from": {"id": 7001, "is_bot": False, "first_name": "Amélie", "language_code": "fr"},
            },
        }
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            async with http.post(url, json=update, headers=headers) as refused:
                assert refused.status == 401
        for body in (b"not json", b'{"message": {}}', b"[1, 2]", b'{"update_id": "7"}'):
            async with http.post(url, data=body, headers={SECRET_HEADER: SECRET}) as bad:
                assert bad.status == 400
        await asyncio.sleep(0.3)
        assert len(amelie.messages) == 1  # nothing of the refused deliveries was handled

        # The same update with the secret: never recorded before, so it is handled now, once.
        for _ in range(2):
            async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as accepted:
                assert accepted.status == 200
        await amelie.wait_for_messages(2)
        await settled(emulator, app.db)
        assert len(amelie.messages) == 2

        async with http.get(f"{base}/healthz") as health:
            assert health.status == 200


async def test_healthz_answers_503_while_the_store_is_unreachable(postgresql_template: str) -> None:
    async with _postgres_database(postgresql_template) as url:
        name = url.rsplit("/", 1)[1]
        db = Database(url)
        port = free_port()
        listener = await serve(health_app(db, "any-assembly"), "127.0.0.1", port)
        admin = await asyncpg.connect(PG_ADMIN)
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as up:
                    assert up.status == 200
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                await admin.execute(
                    f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                )
                async with http.get(f"http://127.0.0.1:{port}/healthz") as down:
                    assert down.status == 503
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                async with http.get(f"http://127.0.0.1:{port}/healthz") as back:
                    assert back.status == 200
        finally:
            await admin.close()
            await listener.cleanup()
            await db.dispose()


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "TELEGRAM_WEBHOOK_SECRET is required with --webhook"),
        ("has space", "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"),
        ("x" * 257, "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"),
    ],
)
def test_a_missing_or_malformed_secret_is_refused_in_one_line(
    secret: str | None, message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    if secret is None:
        monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", secret)
    assert main(["run", "--webhook", "https://bot.example.org/hook"]) == 2
    assert capsys.readouterr().err == f"assembly-bot: error: {message}\n"


def _start_worker(root: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A worker as the image and the systemd unit start it: deploy/scripts/start.sh."""
    with log.open("wb") as stderr:  # the bot writes to its own copy of the file handle
        return subprocess.Popen(
            ["bash", str(root / "deploy/scripts/start.sh")],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


async def test_a_worker_started_by_the_deploy_script_is_healthy_and_stops_cleanly_on_sigterm(
    emulator: Emulator, sqlite_url: str, project_root: Path, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emulator.url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "DATABASE_URL": sqlite_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "LISTEN": f"127.0.0.1:{port}",
        "HEALTH_URL": f"http://127.0.0.1:{port}/healthz",
        "PYTHON": sys.executable,
        "LOG_FORMAT": "json",
    }
    log = tmp_path / "bot.log"
    bot = _start_worker(project_root, env, log)
    try:
        await eventually(lambda: emulator.state.webhook.url == env["WEBHOOK_URL"], timeout=120)
        healthy = await asyncio.to_thread(
            subprocess.run,
            ["bash", str(project_root / "deploy/scripts/healthcheck.sh")],
            env=env,
            check=False,
        )
        assert healthy.returncode == 0
        people = [emulator.user(7100 + n, language_code="nl") for n in range(5)]
        for person in people:
            await person.send_text("/start")
        # SIGTERM as soon as the first update is recorded: the rest are queued or in flight.
        await eventually(lambda: any(d.status == 200 for d in emulator.webhook_deliveries), timeout=60)
        bot.send_signal(signal.SIGTERM)
        status = await asyncio.to_thread(bot.wait, 60)
    finally:
        if bot.poll() is None:
            bot.kill()
    assert status == 0, log.read_text()
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any(line["message"].startswith("webhook set") for line in lines)
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]  # a clean stop
    acknowledged = {d.update_id for d in emulator.webhook_deliveries if d.status == 200}
    # Every update the bot acknowledged was answered before it exited; the others wait at Telegram.
    answered = [p for p in people if p.messages]
    assert len(answered) == len(acknowledged) >= 1
    assert emulator.pending_updates() == len(people) - len(acknowledged)


def test_json_logs_carry_the_update_and_chat_but_no_exception_text() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("bot.test-json")
    log.addHandler(handler)
    try:
        with update_context(812, 7001):
            try:
                typed = "Amélie typed +32470123456"
                raise ValueError(typed)
            except ValueError:
                log.exception("update %s failed in a flow", 812)
        log.warning("outside any update")
    finally:
        log.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (inside["update_id"], inside["chat_id"], inside["level"]) == (812, 7001, "ERROR")
    assert inside["message"] == "update 812 failed in a flow"
    assert inside["exception"] == "ValueError"
    assert "Amélie" not in stream.getvalue()
    assert "+3247" not in stream.getvalue()
    assert "update_id" not in outside
    assert outside["message"] == "outside any update"


async def test_polling_deletes_a_left_over_webhook_keeping_its_updates_and_serves_metrics(
    emulator: Emulator, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emulator.url,
        "DATABASE_URL": sqlite_url,
        "POLL_TIMEOUT": "1",
    }.items():
        monkeypatch.setenv(name, value)
    emulator.state.webhook.url = "https://old.example.org/hook"  # left by an earlier webhook run
    lea = emulator.user(7201, first_name="Lea", language_code="de")
    await lea.send_text("/start")  # waits at Telegram while the webhook is set
    port = free_port()
    args = _parser().parse_args(["run", "--metrics", f"127.0.0.1:{port}"])
    bot = asyncio.create_task(args.handler(args))
    try:
        await lea.wait_for_messages(1, timeout=60)
        async with aiohttp.ClientSession() as http:
            figures = await scrape(http, f"http://127.0.0.1:{port}")
            async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                assert health.status == 200
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot
    methods = [call.method for call in emulator.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    [deleted] = [call for call in emulator.calls if call.method == "deleteWebhook"]
    assert not deleted.params.get("drop_pending_updates")
    assert emulator.state.webhook.url == ""
    assert figures["assembly_bot_leader"] == 1


async def test_a_webhook_telegram_refuses_ends_the_run_in_one_line_and_frees_the_address(
    emulator: Emulator, sqlite_url: str, project_root: Path
) -> None:
    port = free_port()
    url = "http://bot.example.org/hook"  # Telegram delivers over HTTPS only
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emulator.url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "DATABASE_URL": sqlite_url,
    }
    options = ["--webhook", url, "--listen", f"127.0.0.1:{port}"]
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", *options, cwd=project_root, env=env, stderr=subprocess.PIPE
    )
    _, err = await asyncio.wait_for(bot.communicate(), timeout=120)
    lines = err.decode().splitlines()
    assert bot.returncode == 1, lines
    assert lines[-1].startswith(f"assembly-bot: error: the Bot API refused the webhook {url}: ")
    assert "an https url must be provided for webhook" in lines[-1].lower()
    assert not [line for line in lines[:-1] if " INFO " not in line], lines  # no traceback, no error
    assert emulator.state.webhook.url == ""
    with socket.socket() as again:  # the listener is closed: a corrected run can take the address
        again.bind(("127.0.0.1", port))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--webhook", "ftp://bot.example.org/hook"],
            "--webhook: 'ftp://bot.example.org/hook' is not an https:// URL",
        ),
        (
            ["--webhook", "https://bot.example.org/hook", "--listen", "8080"],
            "--listen: '8080' is not HOST:PORT, e.g. 127.0.0.1:8080",
        ),
        (["--metrics", "localhost"], "--metrics: 'localhost' is not HOST:PORT, e.g. 127.0.0.1:8080"),
    ],
)
def test_a_wrong_address_is_refused_in_one_line(
    options: list[str], message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    assert main(["run", *options]) == 2
    assert capsys.readouterr().err == f"assembly-bot: error: {message}\n"
