"""The fair draw over profiles: the library's maximin, leximin, repeatable panels that meet the quotas."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Mapping

import numpy as np
import pytest
from scipy.optimize import linprog
from sortition_algorithms import Settings, read_in_features, read_in_people
from sortition_algorithms.committee_generation import find_distribution_maximin

from bot.organiser.lottery.fair.distribution import FairDistribution
from bot.organiser.lottery.fair.infeasible import InfeasibleQuotas
from bot.organiser.lottery.fair.leximin import leximin
from bot.organiser.lottery.fair.maximin import maximin
from bot.organiser.lottery.fair.profiles import Problem, Quotas, group
from bot.organiser.lottery.library import route_library_logging
from bot.organiser.lottery.options import DrawError

Pool = list[tuple[int, dict[str, str]]]


def _pool(rng: random.Random, people: int, features: Mapping[str, list[str]]) -> Pool:
    """Skewed like a self-selected pool: later values of each feature are ever more common."""
    weights = {f: [1 + 3 * i for i in range(len(values))] for f, values in features.items()}
    return [
        (person, {f: rng.choices(values, weights[f])[0] for f, values in features.items()})
        for person in range(1, people + 1)
    ]


def _library_chances(quotas: Quotas, pool: Pool, seats: int) -> dict[int, float]:
    """Each person's selection probability under the library's own maximin distribution."""
    route_library_logging()
    rows = [
        {"feature": f, "value": v, "min": str(low), "max": str(high)}
        for f, values in quotas.items()
        for v, (low, high) in values.items()
    ]
    features, _, _ = read_in_features(["feature", "value", "min", "max"], rows, seats)
    people, _ = read_in_people(
        ["id", *quotas],
        [{"id": str(person), **values} for person, values in pool],
        features,
        Settings(id_column="id", columns_to_keep=[]),
    )
    committees, probabilities, _ = find_distribution_maximin(features, people, seats, [], "highspy")
    chances = {person: 0.0 for person, _ in pool}
    for committee, probability in zip(committees, probabilities, strict=True):
        for person in committee:
            chances[int(person)] += probability
    return chances


def _panel_meets(quotas: Quotas, pool: Pool, panel: tuple[int, ...], seats: int) -> bool:
    """Counted from the registrations themselves, not from the solver's profiles."""
    values = dict(pool)
    counts = Counter((f, values[person][f]) for person in panel for f in quotas)
    in_bounds = all(low <= counts[f, v] <= high for f, vs in quotas.items() for v, (low, high) in vs.items())
    return in_bounds and len(set(panel)) == len(panel) == seats


def _meets_quotas(problem: Problem, seats: dict[int, int]) -> bool:
    """A composition (seats per profile index) against every quota row."""
    if sum(seats.values()) != problem.seats:
        return False
    if any(n > problem.profiles[p].size for p, n in seats.items()):
        return False
    return all(
        row.low <= sum(seats.get(p, 0) for p in problem.row_profiles(row)) <= row.high for row in problem.rows
    )


@pytest.mark.parametrize(
    ("seed", "people", "seats", "features", "closed"),
    [
        (11, 90, 10, {"f0": ["a", "b", "c"], "f1": ["x", "y"]}, None),
        (23, 70, 8, {"f0": ["a", "b"], "f1": ["x", "y", "z"], "f2": ["p", "q", "r"]}, ("f2", "p")),
    ],
)
def test_lowest_chance_equals_the_library_maximin(
    seed: int, people: int, seats: int, features: dict[str, list[str]], closed: tuple[str, str] | None
) -> None:
    """The same optimum as the library's person-by-person maximin, including who no panel can include."""
    rng = random.Random(seed)
    pool = _pool(rng, people, features)
    quotas: dict[str, dict[str, tuple[int, int]]] = {
        f: {v: (max(0, seats // len(vs) - 1), seats // len(vs) + 2) for v in vs} for f, vs in features.items()
    }
    if closed is not None:
        quotas[closed[0]][closed[1]] = (0, 0)
    ours = maximin(group(quotas, pool, seats))
    library = _library_chances(quotas, pool, seats)
    reachable = [chance for chance in library.values() if chance > 0]
    assert ours.minimum == pytest.approx(min(reachable), abs=1e-6)
    assert ours.gap < 1e-6
    assert ours.complete
    shut_out = {person for profile in ours.excluded for person in ours.problem.profiles[profile].members}
    assert shut_out == {person for person, chance in library.items() if chance == 0}
    assert (closed is None) == (not shut_out)


def _flanigan() -> Problem:
    """Flanigan et al. (Nature, 2021): one woman is the only female conservative."""
    pool: Pool = [(1, {"gender": "female", "politics": "conservative"})]
    pool += [(person, {"gender": "female", "politics": "liberal"}) for person in range(2, 1001)]
    pool += [(person, {"gender": "male", "politics": "conservative"}) for person in range(1001, 2001)]
    bounds = (99, 200)
    quotas = {
        "gender": {"female": bounds, "male": bounds},
        "politics": {"conservative": bounds, "liberal": bounds},
    }
    return group(quotas, pool, 200)


def test_the_adversarial_pool_gives_everyone_ten_percent() -> None:
    """The published figure, for both algorithms: the lone female conservative as likely as anyone."""
    problem = _flanigan()
    for solve in (maximin, leximin):
        distribution = solve(problem)
        assert distribution.minimum == pytest.approx(0.10, abs=1e-6)
        assert distribution.chance_of(1) == pytest.approx(0.10, abs=1e-6)
        assert distribution.complete


def test_the_draw_realises_the_published_chances() -> None:
    """Over many seeds, the lone female conservative sits on about a tenth of the panels."""
    distribution = maximin(_flanigan())
    picked = sum(1 in distribution.draw(seed) for seed in range(1, 2001))
    assert 140 <= picked <= 260  # 200 expected, four standard deviations either side


def _example(seed: int = 5) -> tuple[Quotas, Pool, int]:
    rng = random.Random(seed)
    features = {"age": ["young", "middle", "old"], "gender": ["woman", "man"], "area": ["north", "south"]}
    quotas = {
        "age": {"young": (2, 4), "middle": (3, 5), "old": (2, 4)},
        "gender": {"woman": (5, 6), "man": (5, 6)},
        "area": {"north": (4, 7), "south": (4, 7)},
    }
    return quotas, _pool(rng, 80, features), 11


def test_same_seed_and_pool_give_the_same_panel_whatever_the_order() -> None:
    quotas, pool, seats = _example()
    first = maximin(group(quotas, pool, seats))
    shuffled = pool[:]
    random.Random(99).shuffle(shuffled)
    second = maximin(group(quotas, shuffled, seats))
    assert first.compositions == second.compositions
    for seed in (1, 2, 3, 4242):
        assert first.draw(seed) == second.draw(seed)
    assert len({first.draw(seed) for seed in range(1, 20)}) > 1


def test_every_drawn_panel_meets_the_quotas() -> None:
    quotas, pool, seats = _example()
    problem = group(quotas, pool, seats)
    distribution = maximin(problem)
    for seed in range(1, 301):
        assert _panel_meets(quotas, pool, distribution.draw(seed), seats), seed


def test_infeasible_quotas_are_explained_as_the_library_explains_them() -> None:
    """Every young registrant lives in the south, which may have only three seats: each quota alone is
    fine, together they are not; the library's relaxation is suggested, and it works."""
    quotas, pool, seats = _example()
    for _, values in pool:
        if values["age"] == "young":
            values["area"] = "south"
    tight = {**quotas, "age": {**quotas["age"], "young": (4, 4)}, "area": {"north": (8, 9), "south": (2, 3)}}
    with pytest.raises(InfeasibleQuotas) as raised:
        maximin(group(tight, pool, seats))
    assert raised.value.lines[0].startswith("It is not possible to hit all the targets")
    assert len(raised.value.lines) > 1
    assert maximin(group(raised.value.relaxed, pool, seats)).minimum > 0


def test_quotas_that_cannot_add_up_are_refused_in_the_library_words() -> None:
    quotas, pool, seats = _example()
    with pytest.raises(InfeasibleQuotas, match="Inconsistent numbers in min and max"):
        maximin(group({**quotas, "gender": {"woman": (8, 9), "man": (8, 9)}}, pool, seats))


def test_a_value_without_a_quota_or_too_small_a_pool_is_refused() -> None:
    quotas, pool, seats = _example()
    with pytest.raises(DrawError, match="only 10 people in the pool for 11 seats"):
        group(quotas, pool[:10], seats)
    pool[0][1]["age"] = "ancient"
    with pytest.raises(DrawError, match="ancient"):
        group(quotas, pool, seats)


# An independent oracle: on pools this small every composition can be listed, and maximin and leximin
# become plain linear programs over all of them.


def _compositions(problem: Problem) -> list[dict[int, int]]:
    ranges = [range(profile.size + 1) for profile in problem.profiles]
    found = []
    for seats in itertools.product(*ranges):
        composition = {p: n for p, n in enumerate(seats) if n}
        if _meets_quotas(problem, composition):
            found.append(composition)
    return found


def _oracle_leximin(problem: Problem) -> list[float]:
    """Iterated maximin over every composition; a profile is fixed when even alone it cannot rise."""
    compositions = _compositions(problem)
    shares = np.array(
        [[c.get(p, 0) / profile.size for p, profile in enumerate(problem.profiles)] for c in compositions]
    ).T
    possible = shares.max(axis=1) > 0
    fixed: dict[int, float] = {p: 0.0 for p in np.flatnonzero(~possible)}
    columns = len(compositions)

    def best(target: list[int], level: float | None) -> float:
        """max z with every profile in `target` >= z, the others >= their floor (or `level` if free)."""
        a_ub, b_ub = [], []
        for p in range(len(problem.profiles)):
            if p in target:
                a_ub.append([*(-shares[p]), 1.0])
                b_ub.append(0.0)
            else:
                floor = fixed.get(p, level if level is not None else 0.0)
                a_ub.append([*(-shares[p]), 0.0])
                b_ub.append(-floor)
        result = linprog(
            c=[0.0] * columns + [-1.0],
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=[[1.0] * columns + [0.0]],
            b_eq=[1.0],
            bounds=[(0, None)] * columns + [(0, 1)],
        )
        assert result.status == 0
        return float(-result.fun)

    while len(fixed) < len(problem.profiles):
        free = [p for p in range(len(problem.profiles)) if p not in fixed]
        level = best(free, None)
        held = [p for p in free if best([p], level) <= level + 1e-7]
        for p in held or free:
            fixed[p] = level
    return [fixed[p] for p in range(len(problem.profiles))]


def _random_instance(seed: int) -> tuple[Quotas, Pool, int]:
    rng = random.Random(seed)
    features = {f"f{i}": [f"v{j}" for j in range(rng.randint(2, 3))] for i in range(rng.randint(1, 3))}
    people = rng.randint(5, 9)
    seats = rng.randint(2, 4)
    quotas = {}
    for feature, values in features.items():
        quotas[feature] = {}
        for value in values:
            low = int(rng.random() < 0.3)
            quotas[feature][value] = (low, rng.randint(max(low, 1), seats))
    return quotas, _pool(rng, people, features), seats


def _check(distribution: FairDistribution) -> None:
    problem = distribution.problem
    assert sum(c.probability for c in distribution.compositions) == pytest.approx(1.0)
    assert all(0.0 <= chance <= 1.0 + 1e-9 for chance in distribution.chances)
    sizes = [profile.size for profile in problem.profiles]
    people = sum(chance * size for chance, size in zip(distribution.chances, sizes, strict=True))
    assert people == pytest.approx(problem.seats)
    for composition in distribution.compositions:
        assert _meets_quotas(problem, dict(composition.seats))


@pytest.mark.parametrize("seed", range(40))
def test_random_small_pools_match_the_exhaustive_oracle(seed: int) -> None:
    quotas, pool, seats = _random_instance(seed)
    problem = group(quotas, pool, seats)
    if not _compositions(problem):
        with pytest.raises(InfeasibleQuotas):
            maximin(problem)
        return
    expected = _oracle_leximin(problem)
    ours = leximin(problem)
    lowest = maximin(problem)
    for distribution in (ours, lowest):
        _check(distribution)
        assert distribution.minimum == pytest.approx(min(c for c in expected if c > 0), abs=1e-6)
    assert list(ours.chances) == pytest.approx(expected, abs=1e-6)
