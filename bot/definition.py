"""Loading the assembly definition file: YAML, validated by pydantic, errors in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from flows.assembly import Assembly


class ConfigError(Exception):
    """A problem an organiser can fix in their file, said in one line: file, field, what is wrong."""


class _UniqueKeyLoader(yaml.CSafeLoader):
    """YAML's safe loader (libyaml's, several times faster), refusing a key given twice in one mapping:
    PyYAML would keep the last and silently drop the first (a second `sessions:` replaced the first
    list of sessions)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConfigError(f"line {line}: duplicate key '{key}' (first given at line {seen[key]})")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if part not in ("function-after",)) or "(top level)"


def _first_error(error: ValidationError) -> str:
    detail = error.errors()[0]
    message = str(detail["msg"]).removeprefix("Value error, ")
    return f"{_location(tuple(detail['loc']))}: {message}"


def load_assembly(path: Path) -> Assembly:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the file ({error})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise ConfigError(f"{path}: {where}{problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of fields at the top level")
    try:
        assembly = Assembly.model_validate(data)
    except ValidationError as error:
        extra = len(error.errors()) - 1
        more = f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""
        raise ConfigError(f"{path}: {_first_error(error)}{more}") from None
    problem = availability_problem(assembly)
    if problem:
        raise ConfigError(f"{path}: {problem}")
    return assembly


def availability_problem(assembly: Assembly) -> str | None:
    """An availability question must offer exactly the days sessions are held (cancelled ones too:
    people answered for them): a day without a session asks about nothing, and a session whose day is
    not offered could never be planned from the answers."""
    if assembly.registration is None:
        return None
    held = {session.starts.date(): session.id for session in assembly.sessions}
    for question in assembly.registration.questions:
        if question.kind != "availability":
            continue
        offered = set(question.dates)
        stray = [f"{day} has no session" for day in sorted(offered - set(held))]
        missing = [f"session {held[day]} ({day}) is not offered" for day in sorted(set(held) - offered)]
        if stray or missing:
            where = f"registration.questions.{question.id}.dates"
            return f"{where}: {'; '.join(stray + missing)}"
    return None
