"""What staff read: first names in "who has answered", the digest and its chart in their language with
the definition's labels and order, correct plurals, and charts that draw every label."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from conftest import FlowHarness
from polls_room import open_room, room_assembly, start, texts

from bot.adapters.charts import BarCharts, drawable
from bot.store.database import Database
from flows.assembly import Assembly
from flows.digest.chart import quota_chart
from flows.digest.figures import DigestData, SessionFigures, Stratum
from flows.digest.render import digest_text
from flows.ports import QuotaBar

NOW = datetime(2027, 3, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
async def room(db: Database, assembly: Assembly) -> FlowHarness:
    harness = FlowHarness(db, room_assembly(assembly))
    await harness.prepare()
    return harness


async def test_who_has_answered_lists_first_names(room: FlowHarness) -> None:
    facilitator, _, people = await open_room(room)
    poll, _ = await start(room, facilitator, "car-free-2035")
    for person in (people[0], people[1]):
        await room.send(room.press(person, f"pv:{poll}:c:0"))
    who = await room.send(room.press(facilitator, f"pf:{poll}:who"))
    assert texts(who) == ["Answered: Amélie, Jan\nNot yet: Grace, Jonas, Layla, Lucas"]


def _data(strata: tuple[Stratum, ...]) -> DigestData:
    held = SessionFigures("s1", NOW - timedelta(days=1), False, 5, 1, 1, 1)
    return DigestData(NOW, None, 1, {"confirmed": 1, "contact": 2}, strata, (held,), None, 0, 0, 0)


# Given alphabetically by id, as the store sorts them: "a16_24" < "a65_plus" but also "very" < "not_at_all"...
STRATA = (
    Stratum("age_band", "a25_34", 2, 2, None, None, 0),
    Stratum("age_band", "a16_24", 1, 1, None, None, 0),
    Stratum("gender", "man", 0, 0, None, None, 0),
)


def test_digest_uses_question_labels_definition_order_and_plural_forms(assembly: Assembly) -> None:
    tr = _translator(assembly, "fr")
    lines = digest_text(assembly, tr, _data(STRATA)).splitlines()
    start = lines.index("Inscriptions par rapport aux quotas :")
    assert lines[start + 1 : start + 4] == [
        "Quel âge avez-vous ?",
        "  16 à 24 ans : 1 inscrit, 1 confirmé",
        "  25 à 34 ans : 2 inscrits, 2 confirmés",
    ]
    assert "  un homme : 0 inscrit, 0 confirmé" in lines
    assert any(line.endswith(": 1 présent, dont 1 en retard") for line in lines)
    assert not any("age_band" in line or "présents :" in line for line in lines)


class RecordingCharts(BarCharts):
    """The real charts, which also keep the rows they were asked to draw."""

    def __init__(self) -> None:
        self.rows: list[QuotaBar] = []

    def quota_chart(
        self,
        title: str,
        bars: Sequence[QuotaBar],
        *,
        registered: str,
        confirmed: str,
        minimum: str,
        axis: str = "",
    ) -> bytes:
        self.rows = list(bars)
        return super().quota_chart(
            title, bars, registered=registered, confirmed=confirmed, minimum=minimum, axis=axis
        )


def test_quota_chart_rows_are_translated_and_grouped_under_their_question(assembly: Assembly) -> None:
    charts = RecordingCharts()
    png = quota_chart(charts, _translator(assembly, "ar"), assembly, STRATA)
    assert png.startswith(b"\x89PNG")
    assert [(row.label, row.heading) for row in charts.rows[:3]] == [
        ("كم عمرك؟", True),
        ("من 16 إلى 24 سنة", False),
        ("من 25 إلى 34 سنة", False),
    ]


def test_chart_text_leaves_out_glyphs_the_font_lacks_and_joins_arabic() -> None:
    assert drawable("✅ Agree") == "Agree"
    shaped = drawable("موافق")
    assert shaped != "موافق"
    assert all(0xFE70 <= ord(ch) <= 0xFEFF for ch in shaped), "Arabic presentation forms, joined"
    png = BarCharts().bars("✅ " + "A long question title " * 8, ["موافق", "Block"], [2, 1], axis="answers")
    assert png.startswith(b"\x89PNG")


def _translator(assembly: Assembly, language: str):  # type: ignore[no-untyped-def]
    from bot.bootstrap import build_kit  # noqa: PLC0415

    return build_kit(assembly).translations.for_language(language)
