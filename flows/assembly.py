"""The assembly definition: what organisers declare in YAML, validated before anything runs."""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flows.languages import SHIPPED
from flows.questionnaire import Registration

LocalizedText = dict[str, Annotated[str, Field(min_length=1, max_length=3000)]]
"""A text per language code; every offered language must be present."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Assembly(_Strict):
    """One citizens' assembly: identity, languages, timezone and what participants are told."""

    id: Annotated[str, Field(min_length=2, max_length=40)]
    name: LocalizedText
    welcome: LocalizedText
    languages: Annotated[list[str], Field(min_length=1)]
    fallback_language: str
    timezone: str
    organiser_contact: str = ""
    bot_username: Annotated[str, Field(max_length=64)] = ""
    registration: Registration | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
            raise ValueError("use lower-case letters, digits and dashes, e.g. 'brussels-climate-2027'")
        return value

    @field_validator("languages")
    @classmethod
    def _shipped(cls, value: list[str]) -> list[str]:
        for code in value:
            if code not in SHIPPED:
                raise ValueError(f"'{code}' has no catalog; choose from {', '.join(SHIPPED)}")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone '{value}', e.g. 'Europe/Brussels'") from None
        return value

    @model_validator(mode="after")
    def _complete(self) -> Assembly:
        if self.fallback_language not in self.languages:
            raise ValueError(f"fallback_language '{self.fallback_language}' is not one of languages")
        localized: list[tuple[str, dict[str, str]]] = [("name", self.name), ("welcome", self.welcome)]
        if self.registration is not None:
            localized += self.registration.localized()
        for where, texts in localized:
            missing = [code for code in self.languages if code not in texts]
            if missing:
                raise ValueError(f"{where} has no text for {', '.join(missing)}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def text(self, texts: dict[str, str], language: str) -> str:
        """Pick the text for `language`, else the fallback language's."""
        return texts.get(language) or texts[self.fallback_language]
