"""The house style is part of the test run: ruff over the whole tree, strict mypy over the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_ruff_is_clean(project_root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_types_are_strict(project_root: Path) -> None:
    """`mypy --strict` over the application code (settings in pyproject.toml), with mypy's own
    cache in the checkout (.mypy_cache, ignored by git): a warm run rechecks only what changed."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", ".mypy_cache", "flows", "bot"],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
