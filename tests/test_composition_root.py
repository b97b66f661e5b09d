"""The composition root is the only place in bot/ that builds an adapter or the store's database."""

from __future__ import annotations

import ast
from pathlib import Path

ADAPTERS = frozenset({"Catalogs", "LangDetect", "BarCharts", "SystemClock", "Database"})
ROOT = Path("bot") / "bootstrap.py"


def _constructions(path: Path) -> list[str]:
    """The adapters `path` calls into being, by class name (`Catalogs(...)`, `i18n.Catalogs(...)`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            callee = node.func
            name = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", None)
            if name in ADAPTERS:
                found.append(name)
    return found


def test_only_bootstrap_builds_adapters(project_root: Path) -> None:
    offenders = [
        f"{path.relative_to(project_root)} builds {name}"
        for path in sorted((project_root / "bot").rglob("*.py"))
        if path.relative_to(project_root) != ROOT
        for name in _constructions(path)
    ]
    assert offenders == []
    assert set(_constructions(project_root / ROOT)) == ADAPTERS


def test_the_rule_sees_a_construction(tmp_path: Path) -> None:
    """Guard against a checker that cannot fail."""
    sample = tmp_path / "sample.py"
    sample.write_text("from bot.adapters import i18n\ntr = i18n.Catalogs([], zone)\nclock = SystemClock()\n")
    assert _constructions(sample) == ["Catalogs", "SystemClock"]
