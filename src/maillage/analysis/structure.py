"""Size, density, components and degree distribution of an actor graph."""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np

from maillage.analysis.graph import ActorGraph


class DegreeClass(TypedDict):
    """Actors whose degree is between ``min`` and ``max`` (inclusive)."""

    min: int
    max: int
    actors: int


class Degree(TypedDict):
    """The degree distribution: summary figures and histogram."""

    mean: float
    median: float
    p90: float
    max: int
    histogram: list[DegreeClass]


class Structure(TypedDict):
    """Size and shape of a graph (see :func:`structure`)."""

    actors: int
    ties: int
    link_records: int
    density: float
    components: int
    largest_component: int
    largest_component_share: float
    isolates: int
    degree: Degree


def density(n: int, m: int) -> float:
    """Share of the possible ties that exist: ``2m / (n (n - 1))`` (0 below two actors)."""
    return 2.0 * m / (n * (n - 1)) if n > 1 else 0.0


def degree_histogram(degree: np.ndarray[Any, Any]) -> list[DegreeClass]:
    """Counts of actors per degree class 0, 1, 2, 3-4, 5-8, 9-16, ... (powers of two)."""
    if len(degree) == 0:
        return []
    top = int(degree.max())
    bounds = [(0, 0), (1, 1), (2, 2)]
    low = 3
    while low <= top:
        high = 2 * low - 2 if low > 3 else 4
        bounds.append((low, high))
        low = high + 1
    return [
        {"min": lo, "max": hi, "actors": int(((degree >= lo) & (degree <= hi)).sum())}
        for lo, hi in bounds
        if lo <= top
    ]


def structure(graph: ActorGraph) -> Structure:
    """Size, density, connected components and degree distribution.

    Returns a JSON-serialisable :class:`Structure`: ``actors``, ``ties`` (distinct pairs),
    ``link_records``, ``density``, ``components``, ``largest_component`` (actors) and
    its ``largest_component_share``, ``isolates``, and ``degree`` (mean, median,
    max, 90th percentile, histogram by power-of-two classes).
    """
    degree = graph.degree()
    membership = np.asarray(graph.graph.connected_components().membership, dtype=np.int64)
    sizes = np.bincount(membership) if graph.n else np.zeros(0, dtype=np.int64)
    largest = int(sizes.max()) if len(sizes) else 0
    return {
        "actors": graph.n,
        "ties": graph.m,
        "link_records": len(graph.src),
        "density": density(graph.n, graph.m),
        "components": len(sizes),
        "largest_component": largest,
        "largest_component_share": largest / graph.n if graph.n else 0.0,
        "isolates": int((degree == 0).sum()),
        "degree": {
            "mean": float(degree.mean()) if graph.n else 0.0,
            "median": float(np.median(degree)) if graph.n else 0.0,
            "p90": float(np.percentile(degree, 90)) if graph.n else 0.0,
            "max": int(degree.max()) if graph.n else 0,
            "histogram": degree_histogram(degree),
        },
    }
