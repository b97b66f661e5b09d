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
