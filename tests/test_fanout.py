"""A reminder fan-out through the real runtime (150 participants; 400 in the load step): everyone
once, nothing failed.

The rate, at 1,000 participants, is measured by `python -m bench.fanout`: tests never assert time.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.fanout import FIRST_USER, fan_out


@pytest.mark.slow
@pytest.mark.parametrize("people", [150, pytest.param(400, marks=pytest.mark.load)])
async def test_fan_out_reaches_everyone_exactly_once(tmp_path: Path, people: int) -> None:
    result = await fan_out(people, tmp_path, limit=150.0)
    assert result.per_chat == Counter({FIRST_USER + i: 1 for i in range(people)})
    assert result.outbox == Counter({"sent": people})
