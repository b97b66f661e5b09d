"""The dependency rules, as allow-lists: flows imports only the standard library, pydantic and itself;
bot/ and bench/ import only the flows modules that `flows.__all__` (and each sub-package's `__all__`)
declares; only the store imports SQLAlchemy, Alembic or the ORM models."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

ALLOWED = frozenset(sys.stdlib_module_names) | {"pydantic", "flows"}
"""Everything flows may import: no Telegram library, SQL, scheduler, YAML, Babel or `bot`."""


def _imports(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(module, names) of every import in a file, nested ones included; relative imports are skipped
    (flows uses none, and a relative import cannot leave its package)."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, tuple(alias.name for alias in node.names)))
    return found


def foreign_imports(flows_root: Path) -> list[str]:
    """Imports in flows/ of anything but the standard library, pydantic and flows itself."""
    return [
        f"{path.relative_to(flows_root.parent)} imports {module}"
        for path in sorted(flows_root.rglob("*.py"))
        for module, _ in _imports(path)
        if module.split(".")[0] not in ALLOWED
    ]


def declared(flows_root: Path) -> dict[str, frozenset[str]]:
    """Each flows package's `__all__` (read, not imported), by dotted package name."""
    surface: dict[str, frozenset[str]] = {}
    for init in flows_root.rglob("__init__.py"):
        package = ".".join(init.parent.relative_to(flows_root.parent).parts)
        for node in ast.parse(init.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
            ):
                surface[package] = frozenset(ast.literal_eval(node.value))
    return surface


def undeclared_imports(importers: Iterable[Path], flows_root: Path) -> list[str]:
    """Imports of flows modules, or names of flows packages, that no `__all__` declares."""
    surface = declared(flows_root)
    offenders: list[str] = []
    for path in sorted(importers):
        for module, names in _imports(path):
            parts = module.split(".")
            if parts[0] != "flows":
                continue
            steps = [(".".join(parts[:i]), parts[i]) for i in range(1, len(parts))]
            if module in surface:  # `from flows.polls import results`: a name of the package
                steps += [(module, name) for name in names]
            offenders += [
                f"{path.relative_to(flows_root.parent)} imports {package}.{child}"
                for package, child in steps
                if child not in surface.get(package, frozenset())
            ]
    return offenders


def _bot_and_bench(project_root: Path) -> list[Path]:
    return [*(project_root / "bot").rglob("*.py"), *(project_root / "bench").rglob("*.py")]


def test_flows_import_only_the_standard_library_pydantic_and_flows(project_root: Path) -> None:
    assert foreign_imports(project_root / "flows") == []


def test_bot_and_bench_import_only_the_declared_flows_modules(project_root: Path) -> None:
    assert undeclared_imports(_bot_and_bench(project_root), project_root / "flows") == []


def test_the_rules_are_checked_on_real_files(project_root: Path) -> None:
    """Guard against checkers that cannot fail because they see nothing."""
    assert len(list((project_root / "flows").rglob("*.py"))) >= 20
    assert {"flows", "flows.polls", "flows.ports"} <= set(declared(project_root / "flows"))
    imported = [m for p in _bot_and_bench(project_root) for m, _ in _imports(p) if m.startswith("flows")]
    assert len(imported) > 50


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    """A sample tree breaking the rules: a third-party import in flows, bot/ reaching past `__all__`."""
    flows = tmp_path / "flows"
    (flows / "polls").mkdir(parents=True)
    (flows / "__init__.py").write_text('__all__ = ["actions", "polls"]\n', encoding="utf-8")
    (flows / "polls" / "__init__.py").write_text('__all__ = ["results"]\n', encoding="utf-8")
    (flows / "actions.py").write_text("import os\nfrom pydantic import BaseModel\n", encoding="utf-8")
    (flows / "polls" / "results.py").write_text(
        "from flows import actions\n\ndef draw():\n    import matplotlib.pyplot\n", encoding="utf-8"
    )
    assert foreign_imports(flows) == ["flows/polls/results.py imports matplotlib.pyplot"]

    bot = tmp_path / "bot.py"
    bot.write_text(
        "import flows.actions\nfrom flows import actions, engine\nfrom flows.polls import results, tally\n"
        "from flows.polls.results import draw\nfrom flows.polls.compose import KIND_NAMES\n",
        encoding="utf-8",
    )
    assert undeclared_imports([bot], flows) == [
        "bot.py imports flows.engine",
        "bot.py imports flows.polls.tally",
        "bot.py imports flows.polls.compose",
    ]


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
