"""A reminder fan-out to 1,000 participants through the real runtime: everyone once, nothing failed.

The rate is measured by `python -m bench.fanout`, not here: tests never assert wall-clock time.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.fanout import FIRST_USER, fan_out


@pytest.mark.slow
async def test_fan_out_to_a_thousand_reaches_everyone_exactly_once(tmp_path: Path) -> None:
    result = await fan_out(1000, tmp_path, limit=150.0)
    assert result.per_chat == Counter({FIRST_USER + i: 1 for i in range(1000)})
    assert result.outbox == Counter({"sent": 1000})
