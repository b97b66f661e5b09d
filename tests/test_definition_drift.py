"""Definition drift: an edited definition between two starts. Mistakes in the file are refused in one
line, and what changed is handled for the people already in the middle of something."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.definition import ConfigError, load_assembly
from bot.settings import EXAMPLE_ASSEMBLY


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda text: text + "sessions: []\n",
            "line {end}: duplicate key 'sessions' (first given at line 62)",
        ),
        (
            lambda text: text.replace("  - id: s2\n", "  - id: s2\n    id: s7\n", 1),
            "line {s2}: duplicate key 'id' (first given at line {s2_id})",
        ),
    ],
    ids=["top-level", "inside-a-session"],
)
def test_a_key_given_twice_is_an_error_naming_the_key_and_the_line(
    tmp_path: Path, edit: Callable[[str], str], message: str
) -> None:
    text = EXAMPLE_ASSEMBLY.read_text(encoding="utf-8")
    lines = text.splitlines()
    s2_id = lines.index("  - id: s2") + 1
    path = tmp_path / "assembly.yaml"
    path.write_text(edit(text), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_assembly(path)
    expected = message.format(end=len(lines) + 1, s2=s2_id + 1, s2_id=s2_id)
    assert str(raised.value) == f"{path}: {expected}"
