"""Mixing between groups of actors: worlds, and digital natives versus the others.

* Mixing matrix: ties counted once per pair of groups (both cells of an off-diagonal
  pair hold the same count), density = ties / possible pairs.
* Expected counts under random mixing keep each group's total degree (the
  configuration-model expectation used by Newman 2003): with ``a_g`` the share of tie
  ends held by group ``g`` and ``m`` ties, ``E[g,h] = 2 m a_g a_h`` for ``g != h`` and
  ``E[g,g] = m a_g^2``.
* E-I index (Krackhardt & Stern 1988): ``(E - I) / (E + I)`` with ``E`` the ties between
  groups and ``I`` the ties within; -1 all internal, +1 all external. Per group, over
  the ties touching the group; per territory, over the ties touching its actors.
* Assortativity (Newman 2003, Phys. Rev. E 67:026126): nominal coefficient on the group.
"""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np

from maillage.analysis.graph import WORLDS, ActorGraph, IntArray


class GroupMixing(TypedDict):
    """Ties between groups, by group label (see :func:`group_mixing`)."""

    groups: list[str]
    sizes: dict[str, int]
    counts: dict[str, dict[str, int]]
    density: dict[str, dict[str, float]]
    expected: dict[str, dict[str, float]]
    ratio: dict[str, dict[str, float]]
    ei_index: float | None
    ei_by_group: dict[str, float | None]
    assortativity: float | None


class TerritoryMixing(TypedDict):
    """The ties touching a territory's actors and their E-I index."""

    ties: int
    ei_index: float | None


class Mixing(TypedDict):
    """World and digital-native mixing of a graph (see :func:`mixing`)."""

    worlds: GroupMixing
    worlds_by_territory: dict[str, TerritoryMixing]
    digital: GroupMixing
    degree_assortativity: float | None


def ei_index(external: float, internal: float) -> float | None:
    """Krackhardt-Stern E-I index, ``None`` when there is no tie."""
    total = external + internal
    return (external - internal) / total if total else None


def mixing_matrix(src: IntArray, dst: IntArray, group: IntArray, k: int) -> IntArray:
    """Symmetric ``k x k`` count of ties between groups (each tie counted once)."""
    gs, gd = group[src], group[dst]
    counts = np.bincount(gs * k + gd, minlength=k * k).reshape(k, k)
    sym = counts + counts.T
    np.fill_diagonal(sym, np.diag(counts))
    return sym.astype(np.int64)


def expected_matrix(matrix: IntArray) -> np.ndarray[Any, Any]:
    """Expected tie counts under degree-preserving random mixing (module docstring)."""
    m = float(np.triu(matrix).sum())
    ends = matrix.sum(axis=1) + np.diag(matrix)
    share = ends / (2 * m) if m else np.zeros(len(matrix))
    expected = 2 * m * np.outer(share, share)
    np.fill_diagonal(expected, m * share**2)
    return expected


def group_mixing(graph: ActorGraph, group: IntArray, labels: list[str]) -> GroupMixing:
    """Mixing of ``graph`` ties between the groups ``group`` (vertex -> label index).

    Returns counts, densities, expected counts, observed/expected ratios, the overall
    and per-group E-I index and the nominal assortativity, labelled by ``labels``. The
    E-I indices are ``None`` when fewer than two groups are present (no comparison).
    """
    k = len(labels)
    matrix = mixing_matrix(graph.pair_src, graph.pair_dst, group, k)
    sizes = np.bincount(group, minlength=k)
    possible = np.outer(sizes, sizes).astype(np.float64)
    np.fill_diagonal(possible, sizes * (sizes - 1) / 2)
    expected = expected_matrix(matrix)
    internal = np.diag(matrix)
    touching = matrix.sum(axis=1)
    external = touching - internal
    total_internal = float(internal.sum())
    total = float(np.triu(matrix).sum())
    assort = graph.graph.assortativity_nominal(group.tolist(), directed=False) if total else None
    present = [i for i in range(k) if sizes[i] > 0]
    mixed = len(present) > 1  # with one group, "no external tie" is no finding
    return {
        "groups": [labels[i] for i in present],
        "sizes": {labels[i]: int(sizes[i]) for i in present},
        "counts": _table(matrix, labels, present, int),
        "density": _table(_ratio(matrix, possible), labels, present),
        "expected": _table(expected, labels, present),
        "ratio": _table(_ratio(matrix, expected), labels, present),
        "ei_index": ei_index(total - total_internal, total_internal) if mixed else None,
        "ei_by_group": {
            labels[i]: ei_index(external[i], internal[i]) if mixed else None for i in present
        },
        "assortativity": None if assort is None or np.isnan(assort) else float(assort),
    }


def _ratio(num: np.ndarray[Any, Any], den: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    out = np.zeros(num.shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _table(
    values: np.ndarray[Any, Any], labels: list[str], present: list[int], cast: type = float
) -> dict[str, dict[str, Any]]:
    return {labels[i]: {labels[j]: cast(values[i, j]) for j in present} for i in present}


def ei_by_territory(
    graph: ActorGraph, group: IntArray, min_ties: int = 1
) -> dict[str, TerritoryMixing]:
    """E-I index of the ties touching each territory's actors (main territory).

    A tie between two territories counts for both. Territories with fewer than
    ``min_ties`` ties are left out. Values: ``{"ties": n, "ei_index": x}``, ``x`` being
    ``None`` when the map holds a single group.
    """
    names = sorted({t for t in graph.territory if t})
    code = {t: i for i, t in enumerate(names)}
    terr = np.array([code.get(t, -1) for t in graph.territory], dtype=np.int64)
    external = (group[graph.pair_src] != group[graph.pair_dst]).astype(np.int64)
    ts, td = terr[graph.pair_src], terr[graph.pair_dst]
    both = np.r_[ts, np.where(td != ts, td, -1)]
    ext = np.r_[external, external]
    valid = both >= 0
    ties = np.bincount(both[valid], minlength=len(names))
    ext_count = np.bincount(both[valid], weights=ext[valid], minlength=len(names))
    mixed = len(np.unique(group)) > 1
    return {
        t: {
            "ties": int(ties[i]),
            "ei_index": ei_index(ext_count[i], ties[i] - ext_count[i]) if mixed else None,
        }
        for t, i in code.items()
        if ties[i] >= min_ties
    }


def mixing(graph: ActorGraph) -> Mixing:
    """World mixing, digital-native mixing and per-territory E-I (see module docstring)."""
    digital = graph.native.astype(np.int64)
    labels = list(WORLDS)
    return {
        "worlds": group_mixing(graph, graph.world, labels),
        "worlds_by_territory": ei_by_territory(graph, graph.world),
        "digital": group_mixing(graph, digital, ["other", "digital_native"]),
        "degree_assortativity": _degree_assortativity(graph),
    }


def _degree_assortativity(graph: ActorGraph) -> float | None:
    if graph.m == 0:
        return None
    value = graph.graph.assortativity_degree(directed=False)
    return None if value is None or np.isnan(value) else float(value)
