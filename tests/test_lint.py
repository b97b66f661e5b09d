"""The house style is part of the test run: ruff over the whole tree, with the project's settings."""

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
