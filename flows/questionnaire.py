"""The registration part of the assembly definition: consent, questions, selection features and quotas."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Texts = dict[str, Annotated[str, Field(min_length=1, max_length=3000)]]
Slug = Annotated[str, Field(min_length=1, max_length=24)]
"""Ids of questions and choices travel in button data (at most 64 bytes), hence short slugs."""

Kind = Literal["text", "number", "choice", "multiple", "yes_no", "availability", "accessibility", "phone"]
CHOICE_KINDS = frozenset({"choice", "multiple", "accessibility"})
YES_NO = ("yes", "no")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _slug(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9_]+", value):
        raise ValueError(f"'{value}': use lower-case letters, digits and underscores")
    return value


class Choice(_Strict):
    id: Slug
    text: Texts

    _id = field_validator("id")(_slug)


class Quota(_Strict):
    """Seats for one value: absolute `min`/`max`, or a `share` of the seats (0-1) give or take `margin`."""

    min: Annotated[int, Field(ge=0)] | None = None
    max: Annotated[int, Field(ge=0)] | None = None
    share: Annotated[float, Field(ge=0, le=1)] | None = None
    margin: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _one_form(self) -> Quota:
        if self.share is not None and (self.min is not None or self.max is not None):
            raise ValueError("give either share or min/max, not both")
        if self.margin and self.share is None:
            raise ValueError("margin goes with share")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is larger than max")
        return self

    def bounds(self, seats: int) -> tuple[int, int]:
        """(min, max) seats for a panel of `seats`; a share rounds down and up, widened by `margin`."""
        if self.share is not None:
            exact = self.share * seats
            return max(0, math.floor(exact) - self.margin), min(seats, math.ceil(exact) + self.margin)
        return self.min or 0, seats if self.max is None else self.max


class Question(_Strict):
    """One question; `feature` marks it for stratification, with `quotas` per choice id."""

    id: Slug
    kind: Kind
    text: Texts
    optional: bool = False
    choices: list[Choice] = Field(default_factory=list)
    min: int | None = None
    max: int | None = None
    max_length: Annotated[int, Field(ge=1, le=1000)] = 200
    dates: list[date] = Field(default_factory=list)
    feature: bool = False
    quotas: dict[str, Quota] = Field(default_factory=dict)

    _id = field_validator("id")(_slug)

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.kind in CHOICE_KINDS and len(self.choices) < 2:
            raise ValueError(f"question '{self.id}' ({self.kind}) needs at least two choices")
        if self.kind not in CHOICE_KINDS and self.choices:
            raise ValueError(f"question '{self.id}' ({self.kind}) takes no choices")
        ids = [choice.id for choice in self.choices]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question '{self.id}' lists a choice id twice")
        if self.kind == "number" and (self.min is None or self.max is None or self.min > self.max):
            raise ValueError(f"question '{self.id}' (number) needs min <= max")
        if self.kind == "availability" and not self.dates:
            raise ValueError(f"question '{self.id}' (availability) needs the session dates")
        if self.feature and self.kind not in ("choice", "yes_no"):
            raise ValueError(f"question '{self.id}': only choice and yes_no questions can be features")
        if self.quotas and not self.feature:
            raise ValueError(f"question '{self.id}' has quotas but is not a feature")
        unknown = set(self.quotas) - set(self.values)
        if unknown:
            raise ValueError(f"question '{self.id}': quota for unknown value {', '.join(sorted(unknown))}")
        return self

    @property
    def values(self) -> tuple[str, ...]:
        """The stored values a feature can take."""
        return YES_NO if self.kind == "yes_no" else tuple(choice.id for choice in self.choices)

    @property
    def skippable(self) -> bool:
        return self.optional or self.kind == "phone"

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


class Consent(_Strict):
    """The privacy notice; changing its text means a new `version`, and consent is recorded per version."""

    version: Annotated[str, Field(min_length=1, max_length=40)]
    notice: Texts


class Registration(_Strict):
    """How people register: open link or invitations only, the notice, the questions, time to confirm."""

    open: bool = False
    consent: Consent
    questions: Annotated[list[Question], Field(min_length=1)]
    confirmation_days: Annotated[int, Field(ge=1, le=60)] = 7

    @field_validator("questions")
    @classmethod
    def _unique(cls, value: list[Question]) -> list[Question]:
        ids = [q.id for q in value]
        if len(set(ids)) != len(ids):
            raise ValueError("a question id is used twice")
        return value

    @property
    def features(self) -> list[Question]:
        return [q for q in self.questions if q.feature]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def localized(self) -> list[tuple[str, dict[str, str]]]:
        """Every localized text with where it sits, for the completeness check."""
        found: list[tuple[str, dict[str, str]]] = [("registration.consent.notice", self.consent.notice)]
        for q in self.questions:
            found.append((f"registration.questions.{q.id}.text", q.text))
            found += [(f"registration.questions.{q.id}.choices.{c.id}", c.text) for c in q.choices]
        return found


def is_answered(question: Question, value: Any) -> bool:
    """A stored value completes a question; an optional one may be skipped (stored as None)."""
    return value is not None or question.skippable
