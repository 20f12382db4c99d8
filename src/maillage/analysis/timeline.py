"""Evolution of the map year by year: new ties, their cross-world share, new actors."""

from __future__ import annotations

from typing import TypedDict

import numpy as np

from maillage.analysis.graph import NO_YEAR, ActorGraph


class TimelineRow(TypedDict):
    """One year of the map (see :func:`timeline`)."""

    year: int
    new_ties: int
    cross_world_share: float | None
    digital_native_share: float | None
    new_actors: int
    actors_so_far: int


def timeline(graph: ActorGraph) -> list[TimelineRow]:
    """One row per year with a dated tie.

    Years run from the first to the last dated link record. A tie is new in the year
    of its earliest link record; an actor is new in the year
    of its first dated tie. Rows: ``year``, ``new_ties``, ``cross_world_share`` (of the
    new ties), ``digital_native_share`` (new ties touching a digital native),
    ``new_actors`` and ``actors_so_far``. Undated ties are left out.
    """
    dated = graph.pair_year != NO_YEAR
    if not dated.any():
        return []
    years = graph.pair_year[dated]
    s, d = graph.pair_src[dated], graph.pair_dst[dated]
    record_years = graph.year[graph.year != NO_YEAR]
    first, last = int(years.min()), int(max(years.max(), record_years.max()))
    offset = years - first
    span = last - first + 1
    new = np.bincount(offset, minlength=span)
    cross = np.bincount(offset, weights=graph.world[s] != graph.world[d], minlength=span)
    native = np.bincount(offset, weights=graph.native[s] | graph.native[d], minlength=span)
    first_seen = graph.first_year()
    seen = first_seen[first_seen != NO_YEAR] - first
    new_actors = np.bincount(seen, minlength=span)
    so_far = np.cumsum(new_actors)
    return [
        {
            "year": first + i,
            "new_ties": int(new[i]),
            "cross_world_share": float(cross[i] / new[i]) if new[i] else None,
            "digital_native_share": float(native[i] / new[i]) if new[i] else None,
            "new_actors": int(new_actors[i]),
            "actors_so_far": int(so_far[i]),
        }
        for i in range(span)
    ]
