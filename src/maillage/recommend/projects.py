"""The joint projects behind the ties, when a links file gives them.

Many maps are projections of joint projects: every partner of a consortium tied to
every other (CORDIS gives one row per pair and shared project, ``project_rcn``). The
projects say more than the ties: two organisations whose partners sat in the same
consortium are close in a way the flattened ties blur. :func:`attach_projects` records
the membership of every project (actor x project incidence, with the project's year) on
the graph; :mod:`~maillage.recommend.features` reads it, frozen at a reference year
like the ties, and :mod:`~maillage.recommend.explain` names the consortium.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from maillage.analysis.graph import NO_YEAR, ActorGraph, IntArray

KEY = "projects"


@dataclass(eq=False)
class Projects:
    """Membership of the projects: ``actor[i]`` took part in project ``project[i]``;
    ``year[p]`` is project ``p``'s first year (:data:`NO_YEAR` when undated) and
    ``names[p]`` its reference in the source."""

    actor: IntArray
    project: IntArray
    year: IntArray
    names: list[str]

    def incidence(self, n: int, ref_year: int) -> sp.csr_matrix:
        """Actors x projects (0/1) of the projects known before ``ref_year``."""
        known = (self.year[self.project] < ref_year) | (self.year[self.project] == NO_YEAR)
        data = np.ones(int(known.sum()))
        m = sp.csr_matrix(
            (data, (self.actor[known], self.project[known])), shape=(n, len(self.names))
        )
        m.data[:] = 1.0
        return m


def attach_projects(
    graph: ActorGraph,
    sources: Sequence[Hashable],
    targets: Sequence[Hashable],
    projects: Sequence[Hashable],
    years: Sequence[int | None],
) -> Projects:
    """Record on ``graph`` the projects of the rows ``(sources[i], targets[i],
    projects[i], years[i])``: one row per pair of actors and shared project. Rows naming
    an actor the graph does not hold are skipped. Returns what was recorded."""
    index = graph.index()
    names: dict[str, int] = {}
    actor: list[int] = []
    project: list[int] = []
    first: list[int] = []
    for s, t, p, y in zip(sources, targets, projects, years, strict=True):
        a, b = index.get(s), index.get(t)
        if a is None or b is None or p is None or p == "":
            continue
        code = names.setdefault(str(p), len(names))
        if code == len(first):
            first.append(NO_YEAR)
        if y is not None and (first[code] == NO_YEAR or y < first[code]):
            first[code] = int(y)
        actor += [a, b]
        project += [code, code]
    found = Projects(
        actor=np.array(actor, dtype=np.int64),
        project=np.array(project, dtype=np.int64),
        year=np.array(first, dtype=np.int64),
        names=list(names),
    )
    keys = np.unique(found.actor * max(len(names), 1) + found.project)
    found.actor, found.project = keys // max(len(names), 1), keys % max(len(names), 1)
    graph.cache[KEY] = found
    return found
