"""The bot starts lean: plotting, the lottery's solvers, spreadsheets, the dashboard, calendar files,
an HTTP server (aiohttp: the webhook, /metrics; aiogram brings its own), Alembic (only a store
behind the migrations needs it) and asyncpg with SQLAlchemy's PostgreSQL dialect (only PostgreSQL
needs them) are imported only by what uses them, so an idle bot does not carry them in memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store.database import head_revisions, unavailable

HEAVY = (
    "matplotlib",
    "numpy",
    "highspy",
    "sortition_algorithms",
    "openpyxl",
    "jinja2",
    "bot.dashboard",
    "icalendar",
    "aiohttp",
    "alembic",
    "mako",
    "asyncpg",
    "sqlalchemy.dialects.postgresql",
)

RUN_PATH = """
import json, sys
from bot.cli.main import _parser
from bot.bootstrap import build_kit
from bot.definition import load_assembly
from bot.settings import EXAMPLE_ASSEMBLY
_parser()
build_kit(load_assembly(EXAMPLE_ASSEMBLY))
print(json.dumps(sorted(sys.modules)))
"""


def test_the_run_path_imports_no_plotting_solver_spreadsheet_or_dashboard(project_root: Path) -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", RUN_PATH], cwd=project_root, capture_output=True, text=True, check=True
    )
    modules = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert "bot.bootstrap" in modules
    heavy = [name for name in modules if any(name == h or name.startswith(f"{h}.") for h in HEAVY)]
    assert heavy == []


def test_garbage_is_collected_again_once_the_commands_are_loaded(project_root: Path) -> None:
    """Loading the commands pauses collection (what they build lives as long as the process); a
    bot that never resumed it would grow with every cycle it drops."""
    code = "import gc; from bot.cli.main import _parser; _parser(); print(gc.isenabled())"
    ran = subprocess.run(
        [sys.executable, "-c", code], cwd=project_root, capture_output=True, text=True, check=True
    )
    assert ran.stdout.split() == ["True"]


def test_a_chart_still_draws_once_asked_for() -> None:
    from bot.adapters.charts import BarCharts  # noqa: PLC0415 (the import under test)

    assert BarCharts().bars("votes", ["yes", "no"], [3, 1]).startswith(b"\x89PNG")


MIGRATE = """
import asyncio, json, sys
from bot.store.database import Database

async def migrate(url):
    database = Database(url)
    await database.migrate()
    stamped = await database.revisions()
    await database.dispose()
    return stamped

stamped = asyncio.run(migrate(sys.argv[1]))
print(json.dumps({"alembic": "alembic" in sys.modules, "revisions": sorted(stamped)}))
"""


@pytest.mark.parametrize("store", ["at head", "empty"])
def test_start_up_loads_alembic_only_for_a_store_behind_the_migrations(
    store: str, sqlite_url: str, tmp_path: Path, project_root: Path
) -> None:
    url = sqlite_url if store == "at head" else f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite'}"
    ran = subprocess.run(
        [sys.executable, "-c", MIGRATE, url], cwd=project_root, capture_output=True, text=True, check=True
    )
    found = json.loads(ran.stdout.strip().splitlines()[-1])
    assert found == {"alembic": store == "empty", "revisions": sorted(head_revisions())}


def test_a_lost_postgresql_connection_is_still_told_from_a_refused_statement() -> None:
    import asyncpg  # noqa: PLC0415 (loaded by the PostgreSQL engine, as here)

    assert unavailable(asyncpg.PostgresConnectionError("the server went away"))
    assert unavailable(asyncpg.exceptions.InternalClientError("connection broken"))
    assert not unavailable(asyncpg.UniqueViolationError("duplicate key"))


PTB_ADAPTER = """
import json, sys
from bot.bootstrap import make_api
make_api("ptb", "123456:TOKEN", "http://127.0.0.1:9")
before = "cryptography" in sys.modules
import cryptography.hazmat.primitives.ciphers
print(json.dumps([before, "cryptography" in sys.modules]))
"""


def test_ptb_starts_without_passport_cryptography_which_stays_importable(project_root: Path) -> None:
    """PTB imports cryptography, when installed, for Telegram Passport, which the bot never uses; the
    lottery library's dependencies still import it afterwards."""
    loaded = subprocess.run(
        [sys.executable, "-c", PTB_ADAPTER], cwd=project_root, capture_output=True, text=True, check=True
    )
    assert json.loads(loaded.stdout.strip().splitlines()[-1]) == [False, True]
