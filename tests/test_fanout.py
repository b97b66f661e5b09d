"""A reminder fan-out to 400 participants through the real runtime: everyone once, nothing failed.

The rate, at 1,000 participants, is measured by `python -m bench.fanout`: tests never assert time.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.fanout import FIRST_USER, fan_out

PEOPLE = 400


@pytest.mark.slow
async def test_fan_out_reaches_everyone_exactly_once(tmp_path: Path) -> None:
    result = await fan_out(PEOPLE, tmp_path, limit=150.0)
    assert result.per_chat == Counter({FIRST_USER + i: 1 for i in range(PEOPLE)})
    assert result.outbox == Counter({"sent": PEOPLE})
