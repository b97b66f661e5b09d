"""The bot starts lean: plotting, the lottery's solvers, spreadsheets, the dashboard, calendar files
and an HTTP server (aiohttp: the webhook, /metrics; aiogram brings its own) are imported only by what
uses them, so an idle bot does not carry them in memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
)

RUN_PATH = """
import json, sys
import bot.cli.main
from bot.bootstrap import build_kit
from bot.definition import load_assembly
from bot.settings import EXAMPLE_ASSEMBLY
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


def test_a_chart_still_draws_once_asked_for() -> None:
    from bot.adapters.charts import BarCharts  # noqa: PLC0415 (the import under test)

    assert BarCharts().bars("votes", ["yes", "no"], [3, 1]).startswith(b"\x89PNG")
