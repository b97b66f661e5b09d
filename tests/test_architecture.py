"""The dependency rule of DESIGN.md: flows/ never imports a transport, SQL, the scheduler or bot/."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = ("aiogram", "telegram", "sqlalchemy", "alembic", "apscheduler", "aiohttp", "bot")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_flows_import_no_transport_store_or_scheduler(project_root: Path) -> None:
    offenders = [
        f"{path.relative_to(project_root)} imports {name}"
        for path in sorted((project_root / "flows").rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert offenders == []


def test_the_rule_is_checked_on_real_files(project_root: Path, tmp_path: Path) -> None:
    """Guard against a checker that cannot fail: it must see an import where there is one."""
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom aiogram.types import Update\n", encoding="utf-8")
    assert _imports(sample) == ["os", "aiogram.types"]
    assert len(list((project_root / "flows").rglob("*.py"))) >= 5


STORE_ONLY = ("sqlalchemy", "alembic", "bot.store.models")
"""The ORM, the migrations and the schema: outside `bot/store/`, code gets frozen values from store
functions and passes them the `bot.store.database.Session` it was given."""

def _statements(path: Path, root: Path) -> list[tuple[int, list[str]]]:
    """Each import statement's line and the modules it may load, shortest first: `from a import b`
    may load `a` and `a.b`; relative imports are resolved against the file's package."""
    package = list(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, [alias.name]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((node.lineno, [module, *(f"{module}.{alias.name}" for alias in node.names)]))
    return sorted(found)


def _store_only(name: str) -> bool:
    return any(name == kept or name.startswith(f"{kept}.") for kept in STORE_ONLY)


def _store_sql_offenders(root: Path) -> list[str]:
    offenders = []
    for path in sorted([*(root / "bot").rglob("*.py"), *(root / "flows").rglob("*.py")]):
        where = path.relative_to(root).as_posix()
        if where.startswith("bot/store/"):
            continue
        for line, names in _statements(path, root):
            caught = [name for name in names if _store_only(name)]
            if caught:
                offenders.append(f"{where}:{line} imports {caught[0]}")
    return offenders


def test_only_the_store_imports_sqlalchemy_alembic_or_the_models(project_root: Path) -> None:
    assert _store_sql_offenders(project_root) == []


def test_the_store_rule_finds_every_form_of_import(tmp_path: Path) -> None:
    """Guard against a checker that cannot fail: each form of import outside the store is caught."""
    samples = {
        "bot/store/reminders.py": "from sqlalchemy import select\nfrom bot.store.models import SessionRow\n",
        "bot/store/migrations/versions/0001_x.py": "from alembic import op\n",
        "bot/jobs/reminders.py": "from bot.store import models, outbox\n",
        "bot/telegram/runner.py": "import sqlalchemy.ext.asyncio as sa\nfrom ..store.models import utcnow\n",
        "flows/due.py": "import datetime\n\nfrom alembic import command\n",
    }
    for name, text in samples.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert _store_sql_offenders(tmp_path) == [
        "bot/jobs/reminders.py:1 imports bot.store.models",
        "bot/telegram/runner.py:1 imports sqlalchemy.ext.asyncio",
        "bot/telegram/runner.py:2 imports bot.store.models",
        "flows/due.py:3 imports alembic",
    ]
