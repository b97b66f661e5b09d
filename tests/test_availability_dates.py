"""The availability question offers exactly the days the sessions are held, or the file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.definition import ConfigError, load_assembly


def _example(project_root: Path) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((project_root / "examples/assembly.yaml").read_text("utf-8"))
    return data


def _availability(data: dict[str, object]) -> dict[str, object]:
    questions = data["registration"]["questions"]  # type: ignore[index]
    return next(q for q in questions if q["kind"] == "availability")  # type: ignore[no-any-return]


def test_the_example_asks_about_the_session_days_and_their_hours(project_root: Path) -> None:
    assembly = load_assembly(project_root / "examples/assembly.yaml")
    assert assembly.registration is not None
    (question,) = [q for q in assembly.registration.questions if q.kind == "availability"]
    assert question.dates == [s.starts.date() for s in assembly.sessions]
    latest = max(s.ends for s in assembly.sessions)
    for language in assembly.languages:
        assert f"{latest:%H}" in question.text[language]  # the text mentions the latest end (17:00)


def test_a_day_without_a_session_and_a_session_not_offered_are_both_named(
    project_root: Path, tmp_path: Path
) -> None:
    data = _example(project_root)
    question = _availability(data)
    question["dates"] = [*question["dates"][:2], "2027-04-03", *question["dates"][3:]]  # type: ignore[index]
    path = tmp_path / "assembly.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_assembly(path)
    assert str(refused.value) == (
        f"{path}: registration.questions.availability.dates: 2027-04-03 has no session; "
        "session s3 (2027-04-17) is not offered"
    )
