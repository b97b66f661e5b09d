"""The assembly definition: the example is valid, and each mistake gets one line naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.definition import ConfigError, load_assembly
from bot.settings import EXAMPLE_ASSEMBLY


def test_example_is_complete(project_root: Path) -> None:
    assembly = load_assembly(project_root / "examples" / "assembly.yaml")
    assert assembly.id == "brussels-climate-2027"
    assert assembly.languages == ["fr", "nl", "en", "de", "ar"]
    assert assembly.zone.key == "Europe/Brussels"
    assert assembly.text(assembly.welcome, "ar").startswith("أهلاً وسهلاً")
    assert [s.starts.strftime("%a %Y-%m-%d %H:%M") for s in assembly.sessions] == [
        "Sat 2027-03-06 09:30",
        "Sat 2027-03-20 09:30",
        "Sat 2027-04-17 09:30",
        "Sat 2027-05-08 09:30",
        "Sat 2027-05-29 09:30",
        "Sat 2027-06-12 09:30",
    ]


def _write(tmp_path: Path, change: dict[str, object] | None = None, drop: str = "") -> Path:
    data = yaml.safe_load(EXAMPLE_ASSEMBLY.read_text(encoding="utf-8"))
    data.update(change or {})
    data.pop(drop, None)
    path = tmp_path / "assembly.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "drop", "expected"),
    [
        ({"timezone": "Europe/Bruxelles"}, "", "timezone: unknown timezone 'Europe/Bruxelles'"),
        ({"languages": ["fr", "pt"]}, "", "languages: 'pt' has no catalog"),
        ({"fallback_language": "es"}, "", "fallback_language 'es' is not one of languages"),
        ({"welcome": {"fr": "Bienvenue"}}, "", "welcome has no text for nl, en, de, ar"),
        ({"id": "Brussels Climate"}, "", "id: use lower-case letters"),
        ({"colour": "blue"}, "", "colour: Extra inputs are not permitted"),
        ({}, "timezone", "timezone: Field required"),
        ({"languages": "fr"}, "", "languages: Input should be a valid list"),
        ({"reminders": {"offsets": ["7d", "0m"]}}, "", "reminders.offsets: every offset must be a positive"),
        ({"reminders": {"grace": "soon"}}, "", "reminders.grace: Input should be a valid timedelta"),
        (
            {
                "sessions": [
                    {
                        "id": "s1",
                        "title": {"fr": "x"},
                        "place": {"fr": "y"},
                        "starts": "2027-03-06T09:30",
                        "ends": "2027-03-06T16:30",
                    }
                ]
            },
            "",
            "session 's1' title has no text for nl, en, de, ar",
        ),
        (
            {
                "sessions": [
                    {
                        "id": "s1",
                        "title": {},
                        "place": {},
                        "starts": "2027-03-06T09:30+01:00",
                        "ends": "2027-03-06T16:30",
                    }
                ]
            },
            "",
            "sessions.0.starts: write the local time without an offset",
        ),
    ],
)
def test_each_mistake_gets_one_clear_line(
    tmp_path: Path, change: dict[str, object], drop: str, expected: str
) -> None:
    path = _write(tmp_path, change, drop)
    with pytest.raises(ConfigError) as caught:
        load_assembly(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml: file not found$"):
        load_assembly(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: line \d+: "):
        load_assembly(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_assembly(scalar)
