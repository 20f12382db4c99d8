"""Measures and recommendations of the analysis layers, for the portal's pages.

:class:`Analysis` holds, per database, the analysis of its latest data version: the map
loaded by :func:`maillage.services.analysis.load_map` (the same read as ``maillage
recommend``), its per-actor network measures, the fitted recommendation model of
:func:`maillage.recommend.prepare`, and the answers the pages read for every région and
département (measures, recommendations, brokers table, white-zone alliances, in French
and English).

Nothing waits on a model:

- **In the background.** :meth:`Analysis.start` (the portal's lifespan) computes the
  analysis of a database at start, without any question; a write moves the data version
  (the latest id of the change log) and the next question starts the new computation in
  a background thread, while pages keep answering from the previous result.
- **Persisted.** The answers of a completed computation are written next to the fitted
  models (:func:`maillage.services.analysis.model_store`, sub-folder ``analysis``): a
  gzipped JSON file of the answers and a NumPy archive of the per-actor measures, both
  named by a digest of the database, its data version and the time of its latest change,
  and the code that computes them. A restarted portal reads them back and answers at
  once (nothing computed again: :attr:`Analysis.computations` stays put); the map and
  the model (read back from the model store) load behind for the questions asked on
  demand. The results are derived data, reproducible from the database and the code,
  and specific to the code's version: they are a cache of this machine, like the
  models, not rows of the database (which would mix unaudited derived rows with the
  audited data, and make every import contend with them on SQLite). Several worker
  processes of one portal share them: one computes (a file lock), the others read its
  file. At most :data:`KEEP` computations are kept, least recently used removed first;
  files are written under a temporary name then renamed, and read with
  ``allow_pickle=False``.
- **With their age.** Every answer is a :class:`Served` value: when it was computed,
  whether a fresher one is being computed, whether the latest computation failed. A
  question waits at most :attr:`Analysis.wait` seconds *in all* for the answers of one
  request (:func:`deadline`, opened per request by the portal), then raises
  :class:`Pending`; a failed computation with no earlier answer raises
  :class:`AnalysisFailed`.

Rows follow :mod:`maillage.web.providers`: measures are ``{"code", "value", ...}``,
partners ``{"actor_id", "name", "score", "reasons", ...}``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import logging
import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar
from zipfile import BadZipFile

import numpy as np
import sqlalchemy as sa

import maillage
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
from maillage.storage.tables import change, territory

try:  # one computation per data version among the worker processes of a portal
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: each process computes its own
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)
Rows = list[dict[str, Any]]
T = TypeVar("T")
Key = tuple[Any, ...]
Stage = Literal["graph", "measures", "model"]
FORMAT = 1  # bump when the layout of the persisted answers changes
KEEP = 8
"""Computations kept on disk (each: one JSON file of answers, one archive of measures)."""
LANGS = ("fr", "en")
PRECOMPUTED_LEVELS = ("region", "departement")
"""Territories whose answers are computed in the background (communes and EPCI on demand)."""
SOLUTION_REASON = {
    "fr": "Solutions portées ailleurs pour un besoin sans réponse ici : %s",
    "en": "Solutions carried elsewhere for a need with no answer here: %s",
}


class Pending(Exception):  # noqa: N818 - a state, not an error
    """The analysis is being computed: ask again in a few seconds."""


class AnalysisFailed(Exception):
    """The analysis of the latest data failed, and there is no earlier answer to show."""


_deadline: ContextVar[float | None] = ContextVar("maillage_analysis_deadline", default=None)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Questions to the analysis inside this block wait ``seconds`` in all (the portal
    opens one per request); an enclosing deadline stays in force."""
    if _deadline.get() is not None:
        yield
        return
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


@dataclass(frozen=True, slots=True)
class Served(Generic[T]):
    """An answer and where it comes from: ``computed_at`` (UTC), ``fresher`` when the
    answer is of earlier data and the analysis of the latest is being computed,
    ``failed`` when the analysis of the latest data failed (the answer is earlier)."""

    value: T
    computed_at: dt.datetime
    fresher: bool = False
    failed: bool = False


class Answer(list[dict[str, Any]]):
    """Rows of a provider hook, with the :class:`Served` facts of where they come from."""

    def __init__(self, rows: Rows, served: Served[Any] | None = None) -> None:
        super().__init__(rows)
        self.computed_at = served.computed_at if served else None
        self.fresher = served.fresher if served else False
        self.failed = served.failed if served else False


@dataclass(frozen=True, slots=True)
class _Measures:
    """Per-actor measures of the whole map, in vertex order."""

    ids: IntArray
    betweenness: FloatArray
    betweenness_rank: IntArray  # 1 for the highest betweenness
    betweenness_sample: int | None  # sources of the estimate, None when exact
    constraint: FloatArray
    roles: FloatArray  # brokerage roles, in maillage.analysis.brokers.ROLES order

    def position(self, actor_id: int) -> int | None:
        found = np.flatnonzero(self.ids == actor_id)
        return int(found[0]) if len(found) else None


@dataclass
class Snapshot:
    """The analysis of one database at one data version, filled stage by stage by its
    computing thread; ``answers`` maps a key (without the version) to its answer."""

    version: int
    data: MapData | None = None
    measures: _Measures | None = None
    error: BaseException | None = None
    restored: bool = False  # answers read back from disk
    answers: dict[Key, tuple[dt.datetime, Any]] = field(default_factory=dict)
    persisted: set[Key] = field(default_factory=set)  # keys written to disk
    memo: dict[Key, Any] = field(default_factory=dict)  # sub-results kept in memory only
    jobs: dict[Key, Future[Any]] = field(default_factory=dict)
    stages: dict[str, threading.Event] = field(
        default_factory=lambda: {s: threading.Event() for s in ("graph", "measures", "model")}
    )
    done: threading.Event = field(default_factory=threading.Event)  # answers all there

    def ready(self, stage: Stage) -> bool:
        return self.stages[stage].is_set() and self.error is None

    def fail(self, error: BaseException) -> None:
        self.error = error
        for event in (*self.stages.values(), self.done):
            event.set()

    def kept(self, key: Key, compute: Callable[[], T]) -> T:
        """``compute()`` once per snapshot, kept in memory only (a territory's network)."""
        if key not in self.memo:
            self.memo[key] = compute()
        value: T = self.memo[key]
        return value


@dataclass
class _Database:
    latest: Snapshot | None = None  # the latest data version (maybe being computed)
    previous: Snapshot | None = None  # the last complete one before it


def _key(db: sa.Engine) -> str:
    return db.url.render_as_string(hide_password=False)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@cache
def _code_digest() -> str:
    """Digest of the code that computes the answers (read once per process)."""
    from maillage import analysis, recommend  # noqa: PLC0415 - their folders

    h = hashlib.blake2b(digest_size=16)
    h.update(maillage.__version__.encode())
    files = [*sorted(Path(str(analysis.__file__)).parent.glob("*.py"))]
    files += sorted(Path(str(recommend.__file__)).parent.glob("*.py"))
    here = Path(__file__).parent
    files += [here / "providers.py", here / "brokers.py", here.parent / "analysis.py"]
    for path in files:
        h.update(path.read_bytes())
    return h.hexdigest()


class Analysis:
    """The analysis of each database the portal serves (see the module docstring).

    ``wait``: seconds the answers of one request may wait for the analysis in all
    before :class:`Pending`. ``samples``: sources of the betweenness estimate above
    20,000 actors. ``seed``: of the model and the estimates. ``store``: where fitted
    models are kept between runs; the answers are kept in its ``analysis`` sub-folder
    (``None``: nothing kept, everything computed again at start).
    ``precompute``: compute the answers of every région and département in the
    background (else only on demand). ``apart``: compute them in a process of their
    own, which writes them to the store (a computation holds Python's lock for seconds
    at a time: in a thread of the serving process it would stall every page); this
    process then reads them back and loads the map and the model for the questions
    asked on demand. Without a store, everything runs in a thread.
    """

    def __init__(
        self,
        *,
        wait: float = 2.0,
        samples: int = 128,
        seed: int = 0,
        store: ModelStore | None = None,
        precompute: bool = True,
        apart: bool = True,
    ) -> None:
        self.wait = wait
        self.samples = samples
        self.seed = seed
        self.store = store
        self.precompute = precompute
        self.apart = apart and store is not None
        self._follow = False  # in a computing process: stop when the data version moves
        self._child: Any = None
        self.computations = 0
        """Computations of answers run by this process (not those read back from disk)."""
        self._lock = threading.Lock()
        self._computing = threading.Lock()  # one computation at a time
        self._databases: dict[str, _Database] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="maillage-analysis")
        self._closed = False

    # --- following the data -----------------------------------------------------------

    def start(self, db: sa.Engine) -> Snapshot:
        """The analysis of ``db`` at its current version, its computation started in the
        background if needed (the portal calls this at start)."""
        version = portal.data_version(db=db)
        with self._lock:
            entry = self._databases.setdefault(_key(db), _Database())
            found = entry.latest
            if found is not None and found.version == version:
                return found
            # pages answer from the last complete one meanwhile, else from a partial one
            if (
                found is not None
                and found.error is None
                and (found.done.is_set() or (entry.previous is None and found.ready("graph")))
            ):
                entry.previous = found
            found = Snapshot(version)
            entry.latest = found
        try:
            files = self._files(db, found)
        except Exception:  # the database cannot name its version: nothing kept this time
            log.exception("analysis results of %s not looked up", db.url.render_as_string())
            files = None
        if files is not None and files.read(found):  # computed before (a restart): at once
            found.restored = True
            found.done.set()
        threading.Thread(
            target=self._run, args=(db, found, files), name="maillage-analysis-run", daemon=True
        ).start()
        return found

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """No computation runs while held: an import in several steps may hold the
        analysis back until its last step (pages answer from the previous result
        meanwhile, saying a fresher one is coming)."""
        with self._computing:
            yield

    def loaded(self, db: sa.Engine) -> Snapshot:
        """The snapshot of the latest data version (compatibility name of :meth:`start`)."""
        return self.start(db)

    def _entry(self, db: sa.Engine) -> tuple[Snapshot, Snapshot | None]:
        latest = self.start(db)
        with self._lock:
            previous = self._databases[_key(db)].previous
        return latest, previous if previous is not latest else None

    def _current(self, db: sa.Engine, snap: Snapshot) -> bool:
        with self._lock:
            entry = self._databases.get(_key(db))
            current = entry is not None and entry.latest is snap and not self._closed
        return current and not (self._follow and portal.data_version(db=db) != snap.version)

    def _run(self, db: sa.Engine, snap: Snapshot, files: _Files | None) -> None:
        with self._computing:  # a newer version waits for the older one to stop
            if not self._current(db, snap):
                return
            try:
                with files.locked(snap) if files is not None else contextlib.nullcontext():
                    apart = files is not None and self.apart and not snap.restored
                    if apart and not self._apart(db, snap, files):  # type: ignore[arg-type]
                        return  # the data moved meanwhile: a newer computation follows
                    self._compute(db, snap, files)
            except BaseException as exc:  # shown by the pages, logged here
                log.exception("analysis of %s failed", db.url.render_as_string())
                snap.fail(exc)
                return
        with self._lock:
            entry = self._databases.get(_key(db))
            if entry is not None and entry.latest is snap:
                entry.previous = None  # the latest is complete: the earlier one goes

    def _apart(self, db: sa.Engine, snap: Snapshot, files: _Files) -> bool:
        """The answers of ``snap`` computed in a process of its own, then read back
        (False: the data moved before they were written). Raises when it failed."""
        if files.read(snap):  # another worker process of the portal wrote them
            snap.restored = True
            snap.done.set()
            return True
        assert self.store is not None
        context = multiprocessing.get_context("spawn")
        child = context.Process(
            target=_compute_apart,
            args=(
                db.url.render_as_string(hide_password=False),
                str(self.store.directory),
                self.store.keep,
                files.stamp,
                snap.version,
                self.seed,
                self.samples,
                self.precompute,
            ),
            name="maillage-analysis",
            daemon=True,
        )
        child.start()
        with self._lock:
            self._child = child
        while child.is_alive():  # the French answers are written first: shown meanwhile
            child.join(timeout=1.0)
            if not snap.answers and child.is_alive() and files.answers.is_file():
                files.read(snap)
        with self._lock:
            self._child = None
        if child.exitcode == SUPERSEDED or not self._current(db, snap):
            return False
        if child.exitcode != 0:
            raise RuntimeError(
                f"the analysis process stopped with code {child.exitcode} (see the log above)"
            )
        if not files.read(snap):
            raise RuntimeError(f"the analysis process wrote no readable answers in {files.answers}")
        with self._lock:
            self.computations += 1
        snap.done.set()  # pages answer at once; the map and the model load behind
        return True

    def _compute(self, db: sa.Engine, snap: Snapshot, files: _Files | None) -> None:
        if not snap.done.is_set() and files is not None and files.read(snap):  # another one
            snap.restored = True
            snap.done.set()  # pages answer at once; the map loads behind for the rest
        snap.data = load_map(db=db)
        snap.stages["graph"].set()
        if not self._current(db, snap) and not snap.done.is_set():
            return
        if snap.measures is None:
            snap.measures = self._measures(snap.data)
        snap.stages["measures"].set()
        prepare(snap.data.graph, seed=self.seed, store=self.store)
        snap.stages["model"].set()
        if snap.done.is_set():  # read back: nothing more to compute
            return
        for lang in LANGS if self.precompute else ():
            for code, themes in self._territories(db, snap.data):
                if not self._current(db, snap):
                    return
                self._precompute(db, snap, code, lang, themes)
            if files is not None:  # French first: a restart during English keeps it
                files.write(snap)
        if files is not None and not self.precompute:
            files.write(snap)
        with self._lock:
            self.computations += 1
        snap.done.set()

    def _territories(self, db: sa.Engine, data: MapData) -> list[tuple[str, list[str]]]:
        """The régions and départements with actors, each with the themes of its needs."""
        with db.connect() as conn:
            codes = list(
                conn.execute(
                    sa.select(territory.c.code)
                    .where(territory.c.level.in_(PRECOMPUTED_LEVELS))
                    .order_by(territory.c.code)
                ).scalars()
            )
        themes: dict[str, set[str]] = {}
        for need in data.needs:
            place: str | None = need.territory
            while place:
                themes.setdefault(place, set()).add(need.theme)
                place = data.parents.get(place)
        return [(code, sorted(themes.get(code, ()))) for code in codes]

    def _precompute(
        self, db: sa.Engine, snap: Snapshot, code: str, lang: str, themes: Sequence[str]
    ) -> None:
        from maillage.services.portal import brokers  # noqa: PLC0415 - it imports this module

        assert snap.data is not None
        members = self._members(db, snap, code)
        if members.n == 0:
            return
        self.compute_in(snap, ("tmeasures", code), self._tmeasures(db, code), persist=True)
        key = ("territory", code, lang)
        self.compute_in(snap, key, self._trecommendations(db, code, lang), persist=True)
        brokers.precompute(self, db, snap, code, lang, themes)

    def _measures(self, data: MapData) -> _Measures:
        """Per-actor measures of the whole map (vertex order), computed once."""
        graph = data.graph
        btw, sample = betweenness(graph, samples=self.samples, seed=self.seed)
        roles = brokerage_roles(graph, triangles(graph))
        order = np.argsort(-btw, kind="stable")
        rank = np.empty(graph.n, dtype=np.int64)
        rank[order] = np.arange(1, graph.n + 1)
        ids = np.array(graph.ids, dtype=np.int64)  # actor ids of the database
        return _Measures(ids, btw, rank, sample, constraint(graph), roles)

    def _files(self, db: sa.Engine, snap: Snapshot) -> _Files | None:
        """Where the answers of ``snap`` are kept (None: nowhere)."""
        if self.store is None:
            return None
        return _Files(self.store.directory / "analysis", self._stamp(db, snap))

    def _stamp(self, db: sa.Engine, snap: Snapshot) -> str:
        """Name of a computation: the database, its version and latest change, the code."""
        with db.connect() as conn:
            at = conn.execute(
                sa.select(change.c.at).where(change.c.id == snap.version)
            ).scalar_one_or_none()
        h = hashlib.blake2b(digest_size=20)
        url = db.url.render_as_string(hide_password=True)
        parts = (FORMAT, url, snap.version, at, self.seed, self.samples, _code_digest())
        h.update(":".join(map(str, parts)).encode())
        return h.hexdigest()

    # --- answering --------------------------------------------------------------------

    def _remaining(self) -> float:
        found = _deadline.get()
        return self.wait if found is None else max(0.0, found - time.monotonic())

    def compute_in(
        self, snap: Snapshot, key: Key, compute: Callable[[Snapshot], T], *, persist: bool
    ) -> T:
        """The answer ``key`` of ``snap``, computed now in this thread unless it is there
        (or being computed by the worker: then its result)."""
        with self._lock:
            found = snap.answers.get(key)
            job = snap.jobs.get(key)
        if found is not None:
            value: T = found[1]
            return value
        value = job.result() if job is not None else compute(snap)
        with self._lock:
            snap.answers.setdefault(key, (_now(), value))
            if persist:
                snap.persisted.add(key)
        return value

    def _on(
        self, snap: Snapshot, key: Key, stage: Stage, compute: Callable[[Snapshot], T]
    ) -> tuple[dt.datetime, T]:
        """The answer of ``snap``, computed in the worker once ``stage`` is ready,
        waiting what is left of the deadline. Raises :class:`Pending`."""
        if not snap.stages[stage].wait(self._remaining()):
            raise Pending
        if snap.error is not None:
            raise Pending  # the caller answers from an earlier snapshot or says it failed
        with self._lock:
            if key in snap.answers:
                found: tuple[dt.datetime, T] = snap.answers[key]
                return found
            job = snap.jobs.get(key)
            if job is None:
                job = self._worker.submit(compute, snap)
                snap.jobs[key] = job
        try:
            value = job.result(timeout=self._remaining())
        except FutureTimeout:
            raise Pending from None
        with self._lock:
            snap.jobs.pop(key, None)
            return snap.answers.setdefault(key, (_now(), value))

    def serve(
        self, db: sa.Engine, key: Key, stage: Stage, compute: Callable[[Snapshot], T]
    ) -> Served[T]:
        """The answer ``key`` of the latest data; while it is being computed, that of
        the previous data version when there is one (``fresher``). ``compute(snapshot)``
        runs in the analysis worker once ``stage`` of the snapshot is ready.

        Raises :class:`Pending` when nothing can be shown within the deadline,
        :class:`AnalysisFailed` when the latest computation failed with nothing earlier.
        """
        latest, previous = self._entry(db)
        with self._lock:
            found = latest.answers.get(key)
            earlier = previous.answers.get(key) if previous is not None else None
        if found is not None:
            return Served(found[1], found[0])
        failed = latest.error is not None
        if failed and previous is None:
            raise AnalysisFailed(str(latest.error)) from latest.error
        fallback = previous is not None and (earlier is not None or previous.ready(stage))
        if not failed and (latest.ready(stage) or not fallback):
            try:
                at, value = self._on(latest, key, stage, compute)
                return Served(value, at)
            except Pending:
                failed = latest.error is not None
                if failed and previous is None:
                    raise AnalysisFailed(str(latest.error)) from latest.error
                if not fallback:
                    raise
        assert previous is not None
        if earlier is None:
            earlier = self._on(previous, key, stage, compute)
        return Served(earlier[1], earlier[0], fresher=not failed, failed=failed)

    def about(self, db: sa.Engine) -> dict[str, Any]:
        """Where the analysis of ``db`` stands (health checks, benches)."""
        latest, previous = self._entry(db)
        return {
            "version": latest.version,
            "done": latest.done.is_set() and latest.error is None,
            "restored": latest.restored,
            "failed": None if latest.error is None else str(latest.error),
            "answers": len(latest.answers),
            "computations": self.computations,
            "previous": None if previous is None else previous.version,
        }

    def wait_done(self, db: sa.Engine, timeout: float | None = None) -> Snapshot:
        """The latest snapshot once complete (tests, benches, ``timeout`` in seconds)."""
        snap = self.start(db)
        snap.done.wait(timeout)
        return snap

    # --- the answers ------------------------------------------------------------------

    def _members(self, db: sa.Engine, snap: Snapshot, code: str) -> ActorGraph:
        """The territory's own network (its actors and the links among them)."""

        def compute() -> ActorGraph:
            assert snap.data is not None
            within = territory_prefixes_of(db=db, code=code)
            return apply_filter(snap.data.graph, GraphFilter(territory=code, within=within))

        return snap.kept(("members", code), compute)

    def territory_members(self, db: sa.Engine, snap: Snapshot, code: str) -> ActorGraph:
        """The network of territory ``code`` in ``snap`` (its map loaded)."""
        return self._members(db, snap, code)

    def _tmeasures(self, db: sa.Engine, code: str) -> Callable[[Snapshot], Rows]:
        def compute(snap: Snapshot) -> Rows:
            sub = self._members(db, snap, code)
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
                modularity = found["modularity"]
                rows.append(
                    {
                        "code": "communities",
                        "value": found["count"],
                        "modularity": None if modularity is None else round(modularity, 4),
                    }
                )
            return rows

        return compute

    def _trecommendations(self, db: sa.Engine, code: str, lang: str) -> Callable[[Snapshot], Rows]:
        def compute(snap: Snapshot) -> Rows:
            data = snap.data
            assert data is not None
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
            language: Literal["fr", "en"] = "en" if lang == "en" else "fr"
            for entry in found["solutions"]:
                names = [s["name"] for s in entry["solutions"]]
                if names:
                    theme = portal.label("themes", entry["theme"], language)
                    rows.append(
                        {
                            "title": ", ".join(names),
                            "score": None,
                            "theme": entry["theme"],
                            "reasons": [SOLUTION_REASON[language] % theme],
                        }
                    )
            return rows

        return compute

    # --- hooks (see maillage.web.providers) -------------------------------------------

    def actor_measures(self, db: sa.Engine, actor_id: int, lang: str) -> Answer:
        """Betweenness (with its rank), Burt's constraint and brokerage roles."""

        def compute(snap: Snapshot) -> Rows:
            m = snap.measures
            assert m is not None
            u = m.position(actor_id)
            if u is None:
                return []
            rows: Rows = [
                {
                    "code": "betweenness",
                    "value": round(float(m.betweenness[u]), 1),
                    "rank": int(m.betweenness_rank[u]),
                    "of": len(m.ids),
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

        served = self.serve(db, ("ameasures", actor_id), "measures", compute)
        return Answer(served.value, served)

    def actor_recommendations(self, db: sa.Engine, actor_id: int, lang: str) -> Answer:
        """Ten new partners for the actor, best first, with their reasons (``likely``)."""

        def compute(snap: Snapshot) -> Rows:
            data = snap.data
            assert data is not None
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

        served = self.serve(db, ("actor", actor_id, lang), "model", compute)
        return Answer(served.value, served)

    def territory_measures(self, db: sa.Engine, code: str, lang: str) -> Answer:
        """E-I index and assortativity of the worlds, communities (Leiden) of the territory."""
        served = self.serve(db, ("tmeasures", code), "graph", self._tmeasures(db, code))
        return Answer(served.value, served)

    def territory_recommendations(self, db: sa.Engine, code: str, lang: str) -> Answer:
        """The most valuable missing links inside the territory (``bridging``) and the
        solutions carried elsewhere for its uncovered needs."""
        compute = self._trecommendations(db, code, lang)
        served = self.serve(db, ("territory", code, lang), "model", compute)
        return Answer(served.value, served)

    def close(self) -> None:
        """Stop computing (the portal's shutdown)."""
        with self._lock:
            self._closed = True
            child = self._child
        if child is not None:
            child.terminate()
        self._worker.shutdown(wait=False, cancel_futures=True)


SUPERSEDED = 3
"""Exit code of a computing process whose data moved before it could write its answers."""


def _compute_apart(
    url: str,
    directory: str,
    keep: int,
    stamp: str,
    version: int,
    seed: int,
    samples: int,
    precompute: bool,
) -> None:
    """The body of a computing process (:meth:`Analysis._apart`): compute the answers of
    data version ``version`` and write them as ``stamp``; exit :data:`SUPERSEDED` when
    the data moved meanwhile."""
    import sys  # noqa: PLC0415 - only in the computing process

    from maillage.storage.engine import make_engine  # noqa: PLC0415

    logging.basicConfig(level=logging.WARNING)
    db = make_engine(url)
    store = ModelStore(Path(directory), keep=keep)
    analysis = Analysis(seed=seed, samples=samples, store=store, precompute=precompute)
    analysis.apart = False
    analysis._follow = True
    snap = Snapshot(version)
    analysis._databases[_key(db)] = _Database(latest=snap)
    files = _Files(store.directory / "analysis", stamp)
    if portal.data_version(db=db) == version:
        analysis._compute(db, snap, files)
    analysis.close()
    db.dispose()
    if not snap.done.is_set():
        sys.exit(SUPERSEDED)


class _Files:
    """The files of one computation (module docstring): ``<stamp>.json.gz`` (answers),
    ``<stamp>.npz`` (per-actor measures), ``<stamp>.lock``."""

    def __init__(self, directory: Path, stamp: str) -> None:
        self.directory = directory
        self.stamp = stamp
        self.answers = directory / f"{stamp}.json.gz"
        self.measures = directory / f"{stamp}.npz"
        self.lock = directory / f"{stamp}.lock"

    @contextlib.contextmanager
    def locked(self, snap: Snapshot) -> Iterator[None]:
        """Held while this process reads or computes: another process computing the same
        data waits, showing the French answers once written, then reads the rest."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = open(self.lock, "a+b")  # noqa: SIM115 - held across the yield
        except OSError:  # a read-only cache: compute without sharing
            yield
            return
        try:
            while fcntl is not None:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not snap.answers and self.answers.is_file():
                        self.read(snap)
                    time.sleep(1.0)
            yield
        finally:
            handle.close()  # releases the lock

    def read(self, snap: Snapshot) -> bool:
        """Fill ``snap`` with the answers and measures written before; False when absent
        or unreadable (then computed again and replaced)."""
        if not (self.answers.is_file() and self.measures.is_file()):
            return False
        try:
            with gzip.open(self.answers, "rt", encoding="utf-8") as f:
                stored = json.load(f)
            if stored.get("format") != FORMAT:
                return False
            answers = {
                tuple(key): (dt.datetime.fromisoformat(at), value)
                for key, at, value in stored["answers"]
            }
            with np.load(self.measures, allow_pickle=False) as z:
                sample = int(z["sample"])
                measures = _Measures(
                    ids=z["ids"],
                    betweenness=z["betweenness"],
                    betweenness_rank=z["rank"],
                    betweenness_sample=None if sample < 0 else sample,
                    constraint=z["constraint"],
                    roles=z["roles"],
                )
        except (OSError, ValueError, KeyError, TypeError, EOFError, BadZipFile) as exc:
            log.warning("analysis results %s unreadable (%s): computed again", self.answers, exc)
            return False
        snap.answers.update(answers)
        snap.persisted.update(answers)
        snap.measures = measures
        snap.stages["measures"].set()
        now = time.time()
        for path in (self.answers, self.measures):
            os.utime(path, (now, now))  # most recently used
        return True

    def write(self, snap: Snapshot) -> None:
        """Write the persisted answers and the measures of ``snap`` (atomically), then
        keep the :data:`KEEP` most recently used computations."""
        with contextlib.suppress(OSError):  # a full or read-only cache costs a recomputation
            answers = [
                [list(key), at.isoformat(), value]
                for key, (at, value) in snap.answers.items()
                if key in snap.persisted
            ]
            stored = {"format": FORMAT, "version": snap.version, "answers": answers}
            m = snap.measures
            assert m is not None
            self._atomic(
                self.measures,
                lambda f: np.savez(
                    f,
                    ids=m.ids,
                    betweenness=m.betweenness,
                    rank=m.betweenness_rank,
                    sample=np.int64(-1 if m.betweenness_sample is None else m.betweenness_sample),
                    constraint=m.constraint,
                    roles=m.roles,
                ),
            )
            body = json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode()
            self._atomic(self.answers, lambda f: f.write(gzip.compress(body, compresslevel=6)))
            self._prune()

    def _atomic(self, path: Path, write: Callable[[Any], Any]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".analysis-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _prune(self) -> None:
        found = sorted(
            self.directory.glob("*.json.gz"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for old in found[KEEP:]:
            stamp = old.name.removesuffix(".json.gz")
            for suffix in (".json.gz", ".npz", ".lock"):
                (self.directory / f"{stamp}{suffix}").unlink(missing_ok=True)


def providers(analysis: Analysis | None = None) -> dict[str, Any]:
    """The four hooks of :class:`maillage.web.providers.Providers` over ``analysis``
    (default: one keeping its models and answers in this machine's :func:`model_store`),
    and the analysis itself (the brokers table and white-zone proposals read it)."""
    found = analysis or Analysis(store=model_store())
    return {
        "actor_measures": found.actor_measures,
        "actor_recommendations": found.actor_recommendations,
        "territory_measures": found.territory_measures,
        "territory_recommendations": found.territory_recommendations,
        "analysis": found,
    }


__all__ = [
    "Analysis",
    "AnalysisFailed",
    "Answer",
    "Pending",
    "Served",
    "Snapshot",
    "deadline",
    "providers",
]
