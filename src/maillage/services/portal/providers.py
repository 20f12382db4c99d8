"""Measures and recommendations of the analysis layers, for the portal's pages.

:class:`Analysis` holds, per database, the map loaded once by
:func:`maillage.services.analysis.load_map` (the same read as ``maillage recommend``),
its per-actor network measures and the fitted recommendation model of
:func:`maillage.recommend.prepare`. Everything is tied to the data version (the latest
id of the change log): a write moves it, and the next question loads the map again.

Nothing here blocks a page for long. Loading runs in a background thread started by the
first question; a question waits ``wait`` seconds at most, then raises :class:`Pending`
(the portal shows "being computed" and asks again). On a 100,000-actor map the load
takes seconds, the model tens of seconds, and a département's missing links tens of
seconds too: those run one at a time on a worker thread, and their answers are kept.

Rows follow :mod:`maillage.web.providers`: measures are ``{"code", "value", ...}``,
partners ``{"actor_id", "name", "score", "reasons", ...}``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import sqlalchemy as sa

from maillage.analysis import GraphFilter, apply_filter, communities
from maillage.analysis.brokers import ROLES, betweenness, brokerage_roles, constraint, triangles
from maillage.analysis.graph import WORLDS, ActorGraph, FloatArray, IntArray
from maillage.analysis.mixing import group_mixing
from maillage.recommend import prepare, recommend_for_actor, recommend_for_territory
from maillage.recommend.store import ModelStore
from maillage.services import portal
from maillage.services.analysis import (
    MapData,
    load_map,
    model_store,
    territory_name,
    territory_prefixes_of,
)

log = logging.getLogger(__name__)
Rows = list[dict[str, Any]]
T = TypeVar("T")
SOLUTION_REASON = {
    "fr": "Solutions portées ailleurs pour un besoin sans réponse ici : %s",
    "en": "Solutions carried elsewhere for a need with no answer here: %s",
}


class Pending(Exception):  # noqa: N818 - a state, not an error
    """The analysis is being computed: ask again in a few seconds."""


@dataclass(frozen=True, slots=True)
class _Measures:
    """Per-actor measures of the whole map, in vertex order."""

    betweenness: FloatArray
    betweenness_rank: IntArray  # 1 for the highest betweenness
    betweenness_sample: int | None  # sources of the estimate, None when exact
    constraint: FloatArray
    roles: FloatArray  # brokerage roles, in maillage.analysis.brokers.ROLES order


@dataclass
class _Loaded:
    """One database at one data version: filled stage by stage by the loading thread."""

    version: int
    data: MapData | None = None
    measures: _Measures | None = None
    error: BaseException | None = None
    graph_ready: threading.Event = field(default_factory=threading.Event)
    measures_ready: threading.Event = field(default_factory=threading.Event)
    model_ready: threading.Event = field(default_factory=threading.Event)

    def fail(self, error: BaseException) -> None:
        self.error = error
        for event in (self.graph_ready, self.measures_ready, self.model_ready):
            event.set()


def _key(db: sa.Engine) -> str:
    return db.url.render_as_string(hide_password=False)


class Analysis:
    """The analysis of each database the portal serves, loaded lazily, kept per version.

    ``wait``: seconds a question may wait for the analysis before :class:`Pending`
    (a small map is ready within it). ``samples``: sources of the betweenness
    estimate above 20,000 actors. ``seed``: of the model and the estimates. ``store``:
    where fitted models are kept between runs (a restarted portal reads its model back).
    """

    def __init__(
        self,
        *,
        wait: float = 1.0,
        samples: int = 128,
        seed: int = 0,
        store: ModelStore | None = None,
    ) -> None:
        self.wait = wait
        self.samples = samples
        self.seed = seed
        self.store = store
        self._lock = threading.Lock()
        self._loaded: dict[str, _Loaded] = {}
        self._answers: dict[tuple[Any, ...], Any] = {}  # of the current versions only
        self._jobs: dict[tuple[Any, ...], Future[Any]] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="maillage-analysis")

    # --- loading ----------------------------------------------------------------------

    def loaded(self, db: sa.Engine) -> _Loaded:
        """The analysis of ``db`` at its current version, its loading started if needed."""
        version = portal.data_version(db=db)
        key = _key(db)
        with self._lock:
            found = self._loaded.get(key)
            if found is not None and found.version == version:
                return found
            found = _Loaded(version)
            self._loaded[key] = found
            self._answers = {k: v for k, v in self._answers.items() if k[1] == version}
        thread = threading.Thread(
            target=self._load, args=(db, key, found), name="maillage-load", daemon=True
        )
        thread.start()
        return found

    def _current(self, key: str, state: _Loaded) -> bool:
        with self._lock:
            return self._loaded.get(key) is state

    def _load(self, db: sa.Engine, key: str, state: _Loaded) -> None:
        try:
            state.data = load_map(db=db)
            state.graph_ready.set()
            if not self._current(key, state):
                return
            state.measures = self._measures(state.data)
            state.measures_ready.set()
            if not self._current(key, state):
                return
            prepare(state.data.graph, seed=self.seed, store=self.store)
            state.model_ready.set()
        except BaseException as exc:  # shown as a hidden block, logged by the caller
            log.exception("analysis of %s failed", db.url)
            state.fail(exc)

    def _measures(self, data: MapData) -> _Measures:
        """Per-actor measures of the whole map (vertex order), computed once."""
        graph = data.graph
        btw, sample = betweenness(graph, samples=self.samples, seed=self.seed)
        roles = brokerage_roles(graph, triangles(graph))
        order = np.argsort(-btw, kind="stable")
        rank = np.empty(graph.n, dtype=np.int64)
        rank[order] = np.arange(1, graph.n + 1)
        return _Measures(btw, rank, sample, constraint(graph), roles)

    def ready(self, event: threading.Event, state: _Loaded) -> MapData:
        """The map of ``state`` once ``event`` is set, waiting ``wait`` seconds before
        :class:`Pending`; the loading's error, if it failed."""
        if not event.wait(self.wait):
            raise Pending
        if state.error is not None:
            raise state.error
        assert state.data is not None
        return state.data

    def answer(self, key: tuple[Any, ...], compute: Callable[[], T], *, background: bool) -> T:
        """``compute()`` once per key (which holds the version); in the background worker
        when ``background``, waiting ``wait`` seconds for it before :class:`Pending`."""
        with self._lock:
            if key in self._answers:
                kept: T = self._answers[key]
                return kept
            if not background:
                job = None
            else:
                job = self._jobs.get(key)
                if job is None:
                    job = self._worker.submit(compute)
                    self._jobs[key] = job
        if job is None:
            value = compute()
        else:
            try:
                value = job.result(timeout=self.wait)
            except TimeoutError:
                raise Pending from None
            finally:
                if job.done():
                    with self._lock:
                        self._jobs.pop(key, None)
        with self._lock:
            self._answers[key] = value
            if len(self._answers) > 20_000:
                self._answers.pop(next(iter(self._answers)))
        return value

    # --- hooks (see maillage.web.providers) -------------------------------------------

    def actor_measures(self, db: sa.Engine, actor_id: int, lang: str) -> Rows:
        """Betweenness (with its rank), Burt's constraint and brokerage roles."""
        state = self.loaded(db)
        data = self.ready(state.measures_ready, state)
        assert state.measures is not None
        try:
            u = data.graph.vertex(actor_id)
        except KeyError:
            return []
        m = state.measures
        rows: Rows = [
            {
                "code": "betweenness",
                "value": round(float(m.betweenness[u]), 1),
                "rank": int(m.betweenness_rank[u]),
                "of": data.graph.n,
                "sample": m.betweenness_sample,
            }
        ]
        cons = float(m.constraint[u])
        if not np.isnan(cons):
            rows.append({"code": "constraint", "value": round(cons, 3)})
        roles = m.roles[u]
        rows.append(
            {
                "code": "brokerage",
                "value": int(round(float(roles[1:].sum()))),
                "detail": {n: int(round(float(v))) for n, v in zip(ROLES, roles, strict=True)},
            }
        )
        return rows

    def actor_recommendations(self, db: sa.Engine, actor_id: int, lang: str) -> Rows:
        """Ten new partners for the actor, best first, with their reasons (``likely``)."""
        state = self.loaded(db)
        data = self.ready(state.model_ready, state)

        def compute() -> Rows:
            try:
                found = recommend_for_actor(
                    data.graph,
                    actor_id,
                    top=10,
                    needs=data.needs,
                    lang=lang,
                    seed=self.seed,
                    territory_names=territory_name,
                )
            except KeyError:
                return []
            return [
                {
                    "actor_id": r["id"],
                    "name": r["name"],
                    "world": r["world"],
                    "score": round(r["score"], 4),
                    "reasons": r["reasons"],
                }
                for r in found
            ]

        return self.answer(("actor", state.version, actor_id, lang), compute, background=False)

    def territory_members(
        self, db: sa.Engine, state: _Loaded, data: MapData, code: str
    ) -> ActorGraph:
        def compute() -> ActorGraph:
            within = territory_prefixes_of(db=db, code=code)
            return apply_filter(data.graph, GraphFilter(territory=code, within=within))

        return self.answer(("members", state.version, code), compute, background=False)

    def territory_measures(self, db: sa.Engine, code: str, lang: str) -> Rows:
        """E-I index and assortativity of the worlds, communities (Leiden) of the territory."""
        state = self.loaded(db)
        data = self.ready(state.graph_ready, state)

        def compute() -> Rows:
            sub = self.territory_members(db, state, data, code)
            if sub.n == 0:
                return []
            worlds = group_mixing(sub, sub.world, list(WORLDS))
            rows: Rows = []
            if worlds["ei_index"] is not None:
                rows.append({"code": "ei_index", "value": round(worlds["ei_index"], 4)})
            if worlds["assortativity"] is not None:
                rows.append({"code": "assortativity", "value": round(worlds["assortativity"], 4)})
            found = communities(sub, seed=self.seed)
            if found["count"]:
                rows.append(
                    {
                        "code": "communities",
                        "value": found["count"],
                        "modularity": None
                        if found["modularity"] is None
                        else round(found["modularity"], 4),
                    }
                )
            return rows

        return self.answer(("tmeasures", state.version, code), compute, background=False)

    def territory_recommendations(self, db: sa.Engine, code: str, lang: str) -> Rows:
        """The most valuable missing links inside the territory (``bridging``) and the
        solutions carried elsewhere for its uncovered needs."""
        state = self.loaded(db)
        data = self.ready(state.model_ready, state)

        def compute() -> Rows:
            found = recommend_for_territory(
                data.graph,
                code,
                within=territory_prefixes_of(db=db, code=code),
                top=10,
                needs=data.needs,
                solutions=data.solutions,
                parents=data.parents,
                lang=lang,
                seed=self.seed,
                territory_names=territory_name,
            )
            rows: Rows = [
                {
                    "title": f"{r['source']['name']} — {r['target']['name']}",
                    "source": {"actor_id": r["source"]["id"], "name": r["source"]["name"]},
                    "target": {"actor_id": r["target"]["id"], "name": r["target"]["name"]},
                    "score": round(r["score"], 4),
                    "reasons": r["reasons"],
                }
                for r in found["links"]
            ]
            for entry in found["solutions"]:
                names = [s["name"] for s in entry["solutions"]]
                if names:
                    theme = portal.label("themes", entry["theme"], "en" if lang == "en" else "fr")
                    rows.append(
                        {
                            "title": ", ".join(names),
                            "score": None,
                            "theme": entry["theme"],
                            "reasons": [SOLUTION_REASON["en" if lang == "en" else "fr"] % theme],
                        }
                    )
            return rows

        key = ("territory", state.version, code, lang)
        return self.answer(key, compute, background=True)

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)


def providers(analysis: Analysis | None = None) -> dict[str, Any]:
    """The four hooks of :class:`maillage.web.providers.Providers` over ``analysis``
    (default: one keeping its models in this machine's :func:`model_store`), and the
    analysis itself (the brokers table and white-zone proposals read it)."""
    found = analysis or Analysis(store=model_store())
    return {
        "actor_measures": found.actor_measures,
        "actor_recommendations": found.actor_recommendations,
        "territory_measures": found.territory_measures,
        "territory_recommendations": found.territory_recommendations,
        "analysis": found,
    }


__all__ = ["Analysis", "Pending", "providers"]
