"""The built wheel: it holds everything the bot reads at run time, and runs from any directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

SOURCES = ("pyproject.toml", "README.md", "LICENSE", "bot", "flows", "locales", "examples")
"""What the build reads: a copy of these builds the wheel, so no stale build/ folder can leak in."""

DATA = (
    "bot/locales/*/LC_MESSAGES/messages.po",
    "bot/examples/assembly.yaml",
    "bot/store/migrations/script.py.mako",
    "bot/dashboard/templates/*.html",
    "bot/dashboard/static/*.css",
)
"""Files the bot reads with importlib.resources (bot/locales and bot/examples link to the top-level
folders); every module under bot/ and flows/ is checked too, the migrations among them."""

PIP = (sys.executable, "-m", "pip")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (project_root / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(project_root / name, source / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(project_root / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    # This environment's setuptools (a dev dependency) builds it, with no download; a warning fails.
    build = subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-v", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    warnings = [line for line in build.stdout.splitlines() if "warning" in line.lower()]
    assert [line for line in warnings if "byte-compiling is disabled" not in line] == []
    (built,) = out.glob("*.whl")
    return built


def test_wheel_holds_every_module_catalog_migration_template_and_the_example(
    wheel: Path, project_root: Path
) -> None:
    shipped = set(zipfile.ZipFile(wheel).namelist())
    modules = {
        path.relative_to(project_root).as_posix()
        for package in ("bot", "flows")
        for path in (project_root / package).rglob("*.py")
    }
    data = {
        path.relative_to(project_root).as_posix() for pattern in DATA for path in project_root.glob(pattern)
    }
    assert {"bot/store/migrations/env.py", "bot/store/migrations/versions/0001_initial_schema.py"} <= modules
    assert {"bot/locales/ar/LC_MESSAGES/messages.po", "bot/dashboard/templates/base.html"} <= data
    assert (modules | data) - shipped == set()
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in shipped)


def test_installed_wheel_chats_in_french_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    """The wheel alone, away from the checkout: the example definition, the migrations and the
    catalogs all come from the installed package."""
    target, elsewhere = tmp_path / "installed", tmp_path / "elsewhere"
    elsewhere.mkdir()
    install = [*PIP, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)]
    subprocess.run(install, capture_output=True, check=True)
    # -S skips site-packages' .pth files, so the checkout's editable install cannot answer for `bot`;
    # the dependencies still come from this environment's site-packages, named by hand.
    paths = os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ASSEMBLY_CONFIG"}}
    python = [sys.executable, "-S"]
    store = f"sqlite:///{tmp_path / 'chat.sqlite'}"
    chat = subprocess.run(
        [*python, "-m", "bot.cli", "chat", "--language", "fr", "--database-url", store],
        input="/start\n",
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env={**env, "PYTHONPATH": paths},
        check=True,
        timeout=120,
    )
    # French from the catalog, the assembly's name from the example definition.
    assert "Bienvenue ! Je suis l'assistant de l'Assemblée citoyenne bruxelloise" in chat.stdout
    where = subprocess.run(
        [*python, "-c", "import bot.settings as s; print(s.EXAMPLE_ASSEMBLY)"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env={**env, "PYTHONPATH": paths},
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(target)
