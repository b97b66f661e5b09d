"""Every operator mistake gets one clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import TOKEN

from bot.cli import logs
from bot.cli.main import main
from bot.emulator import Emulator
from bot.store import database


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "ASSEMBLY_CONFIG", "POLL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite'}")
    return monkeypatch


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("assembly-bot: error: ")]
    assert len(errors) == 1, err
    assert "Traceback" not in "\n".join(err)
    return errors[0].removeprefix("assembly-bot: error: ")


def test_missing_token(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    assert _one_line(capsys).startswith("TELEGRAM_BOT_TOKEN is not set")


def test_malformed_token(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env.setenv("TELEGRAM_BOT_TOKEN", "not a token")
    assert main(["run"]) == 2
    assert _one_line(capsys).startswith("TELEGRAM_BOT_TOKEN does not look like a bot token")


def test_unreachable_api(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    env.setenv("TELEGRAM_API_URL", url)
    assert main(["run"]) == 1
    assert _one_line(capsys) == f"cannot reach the Bot API at {url}"


async def test_refused_token(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], emulator: Emulator
) -> None:
    env.setenv("TELEGRAM_BOT_TOKEN", "999:WRONG")
    env.setenv("TELEGRAM_API_URL", emulator.url)
    # main() runs its own event loop, so run it in a thread beside the emulator's loop.
    assert await asyncio.to_thread(main, ["run"]) == 1
    assert _one_line(capsys) == "the Bot API refused TELEGRAM_BOT_TOKEN (401 Unauthorized)"


def test_bad_assembly_file(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "assembly.yaml"
    broken.write_text("id: x\nlanguages: [fr]\n", encoding="utf-8")
    env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    assert main(["run", "--config", str(broken)]) == 2
    assert _one_line(capsys).startswith(f"{broken}: ")
    env.setenv("ASSEMBLY_CONFIG", str(tmp_path / "nowhere.yaml"))
    assert main(["run"]) == 2
    assert _one_line(capsys) == f"{tmp_path / 'nowhere.yaml'}: file not found"


def test_bad_settings(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env.setenv("POLL_TIMEOUT", "soon")
    assert main(["run"]) == 2
    assert _one_line(capsys).startswith("POLL_TIMEOUT: ")
    env.delenv("POLL_TIMEOUT")
    env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    env.setenv("DATABASE_URL", "nosuchdb://somewhere")
    assert main(["run"]) == 1
    assert _one_line(capsys).startswith("cannot open the database at DATABASE_URL")


def test_help_through_the_installed_entry_point(project_root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--help"],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "run" in result.stdout
    assert "emulator" in result.stdout
    assert "TELEGRAM_BOT_TOKEN" in result.stdout


ID = "brussels-climate-2027"


def _snapshot(folder: Path, store: Path) -> tuple[list[str], list[str]]:
    """Everything a command could have changed: the files in the folder and every row of the store."""
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.name.startswith(store.name))
    with contextlib.closing(sqlite3.connect(store)) as connection:
        return files, list(connection.iterdump())


MISTAKES = [
    pytest.param(
        ["export", "--assembly", ID, "--out", "{tmp}/taken.txt"], "is a file", id="export-to-a-file"
    ),
    pytest.param(
        ["export", "--assembly", ID, "--out", "{tmp}/no/such/x"], "does not exist", id="export-parent"
    ),
    pytest.param(
        ["sessions", "code", "--assembly", ID, "--session", "s1", "--qr", "/nonexistent/q.png"],
        "/nonexistent does not exist",
        id="qr-folder",
    ),
    pytest.param(["dashboard", "--assembly", ID, "--port", "70000"], "out of range", id="port-high"),
    pytest.param(["dashboard", "--assembly", ID, "--port", "-1"], "out of range", id="port-negative"),
    pytest.param(
        ["invites", "create", "--assembly", ID, "--count", "2", "--expires-days", "99999999"],
        "out of range",
        id="expires-days",
    ),
    pytest.param(
        ["sessions", "attend", "--assembly", ID, "--session", "s1", "--participant", str(2**70)],
        "out of range",
        id="participant-id",
    ),
    pytest.param(["confirmations", "expire", "--assembly", ID], "database is locked", id="locked-store"),
    pytest.param(["chat"], None, id="chat-without-input"),
]


@pytest.mark.parametrize(("argv", "expected"), MISTAKES)
def test_operator_mistakes_get_one_line_and_change_nothing(
    env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    tmp_path: Path,
    sqlite_url: str,
    argv: list[str],
    expected: str | None,
) -> None:
    """Each mistake is told in one line with a non-zero exit, before anything is written; `chat`
    with nothing to read (`< /dev/null`) leaves at once, as Ctrl-D does."""
    store = Path(sqlite_url.removeprefix("sqlite+aiosqlite:///"))
    env.setenv("DATABASE_URL", sqlite_url)
    env.chdir(tmp_path)
    (tmp_path / "taken.txt").write_text("keep me", encoding="utf-8")
    before = _snapshot(tmp_path, store)
    with contextlib.ExitStack() as stack:
        if expected == "database is locked":  # another process holds the store's write lock
            env.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 50)
            holder = stack.enter_context(contextlib.closing(sqlite3.connect(store, isolation_level=None)))
            holder.execute("BEGIN EXCLUSIVE")
        env.setattr(sys, "stdin", stack.enter_context(open(os.devnull, encoding="utf-8")))
        status = main([arg.format(tmp=tmp_path) for arg in argv])
    lines = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(lines)
    if expected is None:
        assert status == 0
        return
    assert status != 0
    assert [line for line in lines if "error:" in line] == [lines[-1]]
    assert expected in lines[-1]
    assert _snapshot(tmp_path, store) == before


def test_quiet_by_default_with_a_log_level_to_hear_more(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A command on a fresh store prints its result and no migration lines; LOG_LEVEL=info shows them."""
    create = ["invites", "create", "--assembly", ID, "--count", "1"]
    assert main(create) == 0
    out, err = capsys.readouterr()
    assert out.startswith("code,link,expires_at")
    assert err == ""
    env.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite'}")
    env.setenv("LOG_LEVEL", "info")
    assert main(create) == 0
    assert "alembic.runtime.migration" in capsys.readouterr().err
    env.setenv("LOG_LEVEL", "loud")
    assert main(create) == 2
    assert _one_line(capsys) == "LOG_LEVEL: 'loud' is not one of debug, info, warning, error"


def test_quiet_default_keeps_the_bots_notices_and_drops_library_chatter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = logs.configure(None)
    try:
        logging.getLogger("apscheduler.executors.default").info('Job "reminders" executed successfully')
        logging.getLogger("sortition_algorithms").info("Trial number: 1")
        logging.getLogger("bot.jobs.digest").info("digest queued for 2 organisers")
        logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ", 3)[3] for line in lines] == [
        "bot.jobs.digest: digest queued for 2 organisers",
        "apscheduler.scheduler: Run time of job was missed",
    ]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"assembly-bot {version('assembly-bot')}"


def test_every_link_command_takes_bot_username_else_the_definitions(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, sqlite_url: str
) -> None:
    env.setenv("DATABASE_URL", sqlite_url)
    env.setenv("COLUMNS", "200")
    qr = tmp_path / "q.png"
    assert main(["sessions", "sync", "--assembly", ID]) == 0  # `sessions code` only reads the store
    assert main(["sessions", "code", "--assembly", ID, "--session", "s1", "--qr", str(qr)]) == 0
    assert "https://t.me/assembly_demo_bot?start=" in capsys.readouterr().out  # the definition's
    assert qr.read_bytes().startswith(b"\x89PNG")
    invite = ["roles", "invite", "--assembly", ID, "--role", "facilitator"]
    assert main([*invite, "--bot-username", "@pilot_bot"]) == 0
    assert "https://t.me/pilot_bot?start=role-" in capsys.readouterr().out
    assert main(["invites", "create", "--assembly", ID, "--count", "1", "--bot", "older_spelling_bot"]) == 0
    assert "https://t.me/older_spelling_bot?start=" in capsys.readouterr().out
    assert main([*invite, "--bot-username", "no such bot"]) == 2
    assert _one_line(capsys) == "'no such bot' is not a Telegram bot username (5 to 32 letters, digits, _)"
