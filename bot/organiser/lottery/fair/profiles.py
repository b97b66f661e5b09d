"""The draw's input: quotas per feature value, and the pool grouped into profiles (alike on every feature)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.organiser.lottery.options import DrawError
from flows.questionnaire import Registration

Quotas = Mapping[str, Mapping[str, tuple[int, int]]]
"""Feature -> value -> (min, max) seats: the library's features table, one entry per row."""


def quotas_of(registration: Registration, seats: int) -> Quotas:
    """The assembly's quotas for a panel of `seats`; a value without a quota may take any number."""
    return {
        question.id: {
            value: question.quotas[value].bounds(seats) if value in question.quotas else (0, seats)
            for value in question.values
        }
        for question in registration.features
    }


@dataclass(frozen=True)
class QuotaRow:
    """The seats one value of one feature may take."""

    feature: str
    value: str
    low: int
    high: int


@dataclass(frozen=True)
class Profile:
    """Everyone with the same value on every feature: the quotas cannot tell them apart."""

    values: tuple[str, ...]
    members: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Problem:
    """Seats, quota rows and profiles in a canonical order, so the same pool always gives the same model."""

    seats: int
    features: tuple[str, ...]
    rows: tuple[QuotaRow, ...]
    profiles: tuple[Profile, ...]

    @property
    def people(self) -> int:
        return sum(profile.size for profile in self.profiles)

    def row_profiles(self, row: QuotaRow) -> list[int]:
        """Indices of the profiles a quota row counts."""
        position = self.features.index(row.feature)
        return [p for p, profile in enumerate(self.profiles) if profile.values[position] == row.value]


def group(quotas: Quotas, pool: Iterable[tuple[int, Mapping[str, str]]], seats: int) -> Problem:
    """Check the pool against the declared values (as the library does) and group it into profiles."""
    features = tuple(quotas)
    if not features:
        raise DrawError("no selection feature has quotas")
    if seats <= 0:
        raise DrawError("the number of seats must be positive")
    groups: dict[tuple[str, ...], list[int]] = {}
    seen: set[int] = set()
    problems: list[str] = []
    for person, values in pool:
        if person in seen:
            problems.append(f"person {person} appears twice in the pool")
            continue
        seen.add(person)
        key = tuple(values.get(feature, "") for feature in features)
        for feature, value in zip(features, key, strict=True):
            if value not in quotas[feature]:
                problems.append(f"person {person} has '{value}' for {feature}, which has no quota")
        groups.setdefault(key, []).append(person)
    if problems:
        shown = problems[:10] + ([f"... and {len(problems) - 10} more"] if len(problems) > 10 else [])
        raise DrawError("\n".join(shown))
    if len(seen) < seats:
        raise DrawError(f"only {len(seen)} people in the pool for {seats} seats")
    rows = tuple(
        QuotaRow(feature, value, low, high)
        for feature in features
        for value, (low, high) in quotas[feature].items()
    )
    profiles = tuple(Profile(key, tuple(sorted(groups[key]))) for key in sorted(groups))
    return Problem(seats, features, rows, profiles)
