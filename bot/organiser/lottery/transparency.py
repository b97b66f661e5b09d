"""The transparency report of a draw: per profile (a combination of feature values, never a name) how
many registered and the chance each had, with the quotas, the seed, the algorithm, the versions and
the input's hash. Built from what the store keeps of the draw, so it reads the same at any later time.

CSV format: leading lines starting with `# ` hold `key: value` pairs (draw, assembly, drawn_at, seats,
pool, seed, algorithm, versions, input_sha256, gap, then one `quota: feature=value min..max` per quota
row); then a header row with one column per feature, `people` and `probability`, and one row per
profile: its values, its size, and each member's selection probability as a fraction (empty when the
algorithm computes none, as the library's do not).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the report is read by the dashboard, which never loads the solvers
    from bot.organiser.lottery.draw import Draw


def transparency_of(draw: Draw) -> dict[str, Any]:
    """What the store keeps for the report (JSON): features, quota rows and profile rows."""
    return {
        "features": list(draw.features),
        "quotas": [list(row) for row in draw.quotas],
        "profiles": [[list(p.values), p.people, p.probability] for p in draw.profiles],
    }


@dataclass(frozen=True)
class ProfileRow:
    values: tuple[str, ...]
    people: int
    probability: float | None


@dataclass(frozen=True)
class Report:
    """A draw as published: its inputs' fingerprint and everyone's chance, by profile."""

    selection_id: int
    assembly_id: str
    drawn_at: datetime
    seats: int
    pool: int
    seed: int
    algorithm: str
    versions: str
    input_hash: str
    gap: float | None
    features: tuple[str, ...]
    quotas: tuple[tuple[str, str, int, int], ...]
    profiles: tuple[ProfileRow, ...]

    @classmethod
    def of(cls, row: Any) -> Report:
        """From a stored draw (a `SelectionRow`); a draw stored before reports existed has no profiles."""
        kept = row.transparency or {"features": [], "quotas": [], "profiles": []}
        return cls(
            selection_id=row.id,
            assembly_id=row.assembly_id,
            drawn_at=row.created_at,
            seats=row.seats,
            pool=row.pool_size,
            seed=row.seed,
            algorithm=row.algorithm,
            versions=row.versions or "",
            input_hash=row.input_hash or "",
            gap=row.gap,
            features=tuple(kept["features"]),
            quotas=tuple((f, v, int(low), int(high)) for f, v, low, high in kept["quotas"]),
            profiles=tuple(ProfileRow(tuple(values), int(n), p) for values, n, p in kept["profiles"]),
        )

    @property
    def has_chances(self) -> bool:
        return bool(self.profiles) and all(p.probability is not None for p in self.profiles)

    def spread(self) -> tuple[float, float, float]:
        """Minimum, median and maximum chance over every registrant in the pool."""
        ranked = sorted((p.probability or 0.0, p.people) for p in self.profiles)
        total = sum(n for _, n in ranked)
        middle = [(total - 1) // 2, total // 2]
        found: list[float] = []
        seen = 0
        for chance, n in ranked:
            found += [chance for index in middle if seen <= index < seen + n]
            seen += n
        return ranked[0][0], sum(found) / len(found), ranked[-1][0]

    def lowest(self, count: int = 5) -> list[ProfileRow]:
        """The profiles with the lowest chance, the largest first among equals."""
        return sorted(self.profiles, key=lambda p: (p.probability or 0.0, -p.people, p.values))[:count]

    def describe(self, profile: ProfileRow) -> str:
        return ", ".join(f"{f}={v}" for f, v in zip(self.features, profile.values, strict=True))

    def csv(self) -> str:
        out = io.StringIO()
        header = {
            "draw": self.selection_id,
            "assembly": self.assembly_id,
            "drawn_at": self.drawn_at.isoformat(),
            "seats": self.seats,
            "pool": self.pool,
            "seed": self.seed,
            "algorithm": self.algorithm,
            "versions": self.versions,
            "input_sha256": self.input_hash,
            "gap": "" if self.gap is None else f"{self.gap:.3e}",
        }
        for key, value in header.items():
            out.write(f"# {key}: {value}\n")
        for feature, value, low, high in self.quotas:
            out.write(f"# quota: {feature}={value} {low}..{high}\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*self.features, "people", "probability"])
        for profile in self.profiles:
            chance = "" if profile.probability is None else repr(profile.probability)
            writer.writerow([*profile.values, profile.people, chance])
        return out.getvalue()
