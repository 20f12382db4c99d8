"""The EcoIndex of a web page from its three measured metrics (GreenIT.fr / CNUMR).

Each metric (DOM elements, HTTP requests, transferred kilobytes of 1000 bytes) is placed
in its 21-point quantile table by linear interpolation (a value at or past the last
quantile counts 20); the score is ``100 - 5 * (3 q_dom + 2 q_requests + q_size) / 6``
rounded to an integer, the grade the first of A..F whose threshold the score exceeds
(else G), and the greenhouse gases (gCO2e) and water (cl) ``base + slope * (50 - score)
/ 100``, rounded to the hundredth.

The tables, weights, thresholds and conversions are data
(``maillage/data/ecoindex/reference.json``, with their source and version); the method
follows the reference implementation ``ecoindex-compute`` (PyPI, cnumr), which the tests
compare with on every value they try (``tests/analysis/test_ecoindex.py``).
Reference: https://github.com/cnumr/ecoindex_reference, reference/domain.md 3.2.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

METRICS = ("dom", "requests", "size_kb")


@dataclass(frozen=True, slots=True)
class Reference:
    """The EcoIndex reference values (see ``reference.json``)."""

    version: str
    source: str
    quantiles: dict[str, tuple[float, ...]]
    weights: dict[str, float]
    grades: tuple[tuple[str, float | None], ...]  # (grade, score it must exceed), best first
    ges: tuple[float, float]  # base, slope
    water: tuple[float, float]


@dataclass(frozen=True, slots=True)
class EcoIndex:
    """A page's EcoIndex: ``score`` 0..100 (higher is better), ``grade`` A..G, ``ges`` in
    gCO2e and ``water`` in cl per page view."""

    score: int
    grade: str
    ges: float
    water: float


@cache
def reference() -> Reference:
    """The shipped reference values, read once."""
    text = resources.files("maillage").joinpath("data", "ecoindex", "reference.json")
    data: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return Reference(
        version=data["version"],
        source=data["source"],
        quantiles={name: tuple(data["quantiles"][name]) for name in METRICS},
        weights={name: data["weights"][name] for name in METRICS},
        grades=tuple((row["grade"], row["above"]) for row in data["grades"]),
        ges=(data["ges"]["base"], data["ges"]["slope"]),
        water=(data["water"]["base"], data["water"]["slope"]),
    )


def quantile_position(quantiles: Sequence[float], value: float) -> float:
    """Where ``value`` falls in ``quantiles``, 0 to ``len(quantiles) - 1``: for the first
    ``i`` with ``value < quantiles[i]``, ``i - 1`` plus the linear fraction of the way
    from ``quantiles[i - 1]`` to ``quantiles[i]``; past the last quantile, its index."""
    for i in range(1, len(quantiles)):
        if value < quantiles[i]:
            return i - 1 + (value - quantiles[i - 1]) / (quantiles[i] - quantiles[i - 1])
    return len(quantiles) - 1


def _conversion(base_slope: tuple[float, float], score: int) -> float:
    base, slope = base_slope
    return round(100 * (base + slope * (50 - score) / 100)) / 100


def grade_of(score: float) -> str:
    """The grade (A..G) of an EcoIndex ``score``: the first of A..F whose threshold it
    exceeds, else G (a page's score, or a mean of several pages' scores)."""
    return next(name for name, above in reference().grades if above is None or score > above)


def compute_ecoindex(*, dom_nodes: int, requests: int, size_kb: float) -> EcoIndex:
    """The EcoIndex of a page with ``dom_nodes`` elements, ``requests`` HTTP requests and
    ``size_kb`` transferred kilobytes (1000 bytes). Raises ``ValueError`` on a negative
    metric."""
    values = {"dom": dom_nodes, "requests": requests, "size_kb": size_kb}
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"EcoIndex metric {name} is negative: {value}")
    ref = reference()
    positions = {name: quantile_position(ref.quantiles[name], values[name]) for name in METRICS}
    steps = len(ref.quantiles["dom"]) - 1  # 20: a position step is worth 100 / 20 points
    weighted = sum(ref.weights[name] * positions[name] for name in METRICS)
    score = round(100 - (100 / steps) * weighted / sum(ref.weights.values()))
    return EcoIndex(
        score=score,
        grade=grade_of(score),
        ges=_conversion(ref.ges, score),
        water=_conversion(ref.water, score),
    )
