"""Evaluating digital solutions on CSR, and partnerships on "plus fort seul ou plus
pertinent ensemble ?": one transaction per use case, every write audited.

An evaluation answers a grid (:mod:`maillage.io.grid`, kept as versioned data) for one
subject: a solution (the CSR grid: economic, social, environmental with the RGESN 2024
and the EcoIndex, collective relevance), a link or an alliance (the partnership grid:
seven approaches on three objects). An alliance is the carriers of a solution taken
together: its id is the solution's. Each answer has its evidence (a document, an
address, a measurement, the map) and a confidence. An evaluation is kept as written,
with the grid version it answered: a later answer by the same evaluator is a new
evaluation, so that the results are comparable over time, and several evaluators
may evaluate the same subject: :func:`summary` shows where they disagree.

The collective relevance is read from the map where the map knows it
(:func:`map_facts`): the links of the carriers, the worlds of their partners, the
anchoring of the carriers in the territories where the solution runs, its commons.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from maillage.analysis.ecoindex import grade_of
from maillage.io.grid import Grid as Grid
from maillage.io.grid import load_grid
from maillage.model.errors import InvalidInput, NotFound
from maillage.services.ecoindex import (
    EcoIndexMeasurement,
    NetworkPolicy,
    check_url,
    ecoindex_browser,
)
from maillage.services.validation import clean_text
from maillage.storage.audit import Context
from maillage.storage.engine import transaction
from maillage.storage.evaluations import evaluations
from maillage.storage.registry import links, solutions
from maillage.storage.tables import actor, evaluation, link, solution, territory_member

SUBJECTS = {"solution": "csr", "alliance": "partnership", "link": "partnership"}
CONFIDENCES = {"low": 1 / 3, "medium": 2 / 3, "high": 1.0}
GridDir = Traversable | Path | None


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer as given: the value, its evidence, how sure the evaluator is."""

    value: str
    evidence_kind: str | None = None
    evidence: str | None = None
    evidence_url: str | None = None
    confidence: str = "medium"


def grid_of(subject_type: str, version: str | None = None, *, grids: GridDir = None) -> Grid:
    """The grid a subject is evaluated on (``solution``: CSR; ``link``, ``alliance``:
    partnership), at ``version`` (None: the latest). Raises NotFound."""
    return load_grid(SUBJECTS.get(subject_type, "csr"), version, directory=grids)


def ecoindex_answer(result: Any, *, pages: Sequence[str] = (), confidence: str = "high") -> Answer:
    """The answer to the ``ecoindex`` criterion from a measurement: ``result`` has a
    ``score`` (0..100) and a ``grade`` (A..G), as the EcoIndex measurement returns;
    ``pages`` are the addresses measured (the first is the evidence's address)."""
    score = float(result.score)
    measured = f" — {len(pages)} pages : " + ", ".join(pages[:5]) if pages else ""
    return Answer(
        value=f"{score:.2f}", evidence_kind="measurement",
        evidence=f"EcoIndex {score:.1f} ({result.grade}){measured}"[:2000],
        evidence_url=pages[0] if pages else None, confidence=confidence,
    )  # fmt: skip


def confidence_code(value: float | None) -> str | None:
    """``low`` / ``medium`` / ``high`` of a stored confidence."""
    if value is None:
        return None
    return min(CONFIDENCES, key=lambda k: abs(CONFIDENCES[k] - value))


def _check_subject(conn: sa.Connection, subject_type: str, subject_id: int) -> None:
    if subject_type not in SUBJECTS:
        listed = ", ".join(SUBJECTS)
        raise InvalidInput("subject_type", subject_type, f"valeurs admises : {listed}",
                           f"allowed values: {listed}")  # fmt: skip
    repo = links if subject_type == "link" else solutions
    repo.get(conn, subject_id)  # NotFound


def _answer_row(grid: Grid, code: str, answer: Answer) -> dict[str, Any]:
    criterion = grid.criterion(code)
    score = criterion.scale.score(answer.value, field_name=code)
    kind = answer.evidence_kind
    if kind not in criterion.evidence:
        listed = ", ".join(criterion.evidence)
        raise InvalidInput(f"{code}.evidence_kind", kind, f"une preuve parmi {listed}",
                           f"evidence among {listed}")  # fmt: skip
    text = clean_text(f"{code}.evidence", answer.evidence or "", 2000) or None
    url = clean_text(f"{code}.evidence_url", answer.evidence_url or "", 1000) or None
    if url and (not url.startswith(("http://", "https://")) or " " in url):
        raise InvalidInput(f"{code}.evidence_url", url, "une adresse http(s)", "an http(s) address")
    if kind == "url" and not url:
        raise InvalidInput(f"{code}.evidence_url", None, "l'adresse de la preuve",
                           "the address of the evidence")  # fmt: skip
    if not text and not url:
        raise InvalidInput(f"{code}.evidence", None, "chaque réponse a sa preuve",
                           "each answer needs its evidence")  # fmt: skip
    if answer.confidence not in CONFIDENCES:
        raise InvalidInput(f"{code}.confidence", answer.confidence, "low, medium ou high",
                           "low, medium or high")  # fmt: skip
    return {
        "criterion": code, "dimension": criterion.dimension, "score": score,
        "value": answer.value, "evidence_kind": kind, "evidence": text, "evidence_url": url,
        "confidence": round(CONFIDENCES[answer.confidence], 3),
    }  # fmt: skip


def aggregate(grid: Grid, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Scores on 0..1: per radar axis (``axes``), per dimension and axis (``cells``: the
    seven approaches on each object of a partnership) and per dimension (the mean of
    its cells); each the mean of the answered criteria weighted by their priority (not
    applicable and unknown criteria left out). Pure."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    by_code = grid.by_code
    for r in rows:
        c = by_code.get(r["criterion"])
        if c is None or r["score"] is None:
            continue
        for key in ((c.dimension, c.axis), ("*", c.axis)):
            sums[key][0] += c.weight * r["score"]
            sums[key][1] += c.weight
    cells: dict[str, dict[str, float]] = defaultdict(dict)
    for (dim, axis), (total, weight) in sums.items():
        if weight:
            cells[dim][axis] = round(total / weight, 4)
    axes = cells.pop("*", {})
    dims = {d: round(sum(v.values()) / len(v), 4) for d, v in cells.items() if v}
    return {"axes": axes, "cells": dict(cells), "dimensions": dims}


def submit_evaluation(
    *, db: sa.Engine, subject_type: str, subject_id: int, answers: Mapping[str, Answer],
    evaluator_id: int | None, evaluator: str | None, note: str | None = None,
    user: str = "cli", when: dt.date | None = None, grids: GridDir = None,
) -> dict[str, Any]:  # fmt: skip
    """Store an evaluation of a subject on the latest version of its grid; returns it
    (with its answers). Raises InvalidInput naming the criterion, NotFound."""
    grid = grid_of(subject_type, grids=grids)
    given = {k: a for k, a in answers.items() if a.value not in ("", None)}
    if not given:
        raise InvalidInput("answers", None, "au moins une réponse", "at least one answer")
    rows = [_answer_row(grid, code, a) for code, a in sorted(given.items())]
    values = {
        "subject_type": subject_type, "subject_id": subject_id, "grid": grid.code,
        "grid_version": grid.version, "date": when or dt.date.today(),
        "evaluator": clean_text("evaluator", evaluator or "", 200) or None,
        "evaluator_id": evaluator_id, "note": clean_text("note", note or "", 5000) or None,
        "aggregates": aggregate(grid, rows),
    }  # fmt: skip
    with transaction(db) as conn:
        _check_subject(conn, subject_type, subject_id)
        return evaluations.create_with_answers(conn, values, rows, ctx=Context(user=user))


def delete_evaluation(*, db: sa.Engine, evaluation_id: int, user: str = "cli") -> dict[str, Any]:
    """Withdraw an evaluation (soft delete, undoable). Raises NotFound."""
    with transaction(db) as conn:
        return evaluations.delete(conn, evaluation_id, ctx=Context(user=user))


def get_evaluation(*, db: sa.Engine, evaluation_id: int) -> dict[str, Any]:
    """One live evaluation with its answers. Raises NotFound."""
    with db.connect() as conn:
        return evaluations.get(conn, evaluation_id)


def evaluations_of(*, db: sa.Engine, subject_type: str, subject_id: int) -> list[dict[str, Any]]:
    """The live evaluations of a subject with their answers, oldest first."""
    where = [evaluation.c.subject_type == subject_type, evaluation.c.subject_id == subject_id]
    with db.connect() as conn:
        return evaluations.list(conn, where=where, limit=None)


def _who(e: Mapping[str, Any]) -> str:
    return f"user:{e['evaluator_id']}" if e.get("evaluator_id") else f"name:{e.get('evaluator')}"


def summary(
    *, db: sa.Engine, subject_type: str, subject_id: int, grids: GridDir = None
) -> dict[str, Any]:
    """What the evaluators say of a subject: the latest evaluation of each evaluator
    (``current``), every evaluation in date order (``history``, comparable over time by
    their axis scores), per criterion the answers of each evaluator and whether they
    disagree (different answers; ``spread``: the gap between their scores on 0..1), and
    the mean per axis and per dimension across the current evaluations."""
    every = evaluations_of(db=db, subject_type=subject_type, subject_id=subject_id)
    return summarise(grid_of(subject_type, grids=grids), every, grids=grids)


def _own_grid(e: Mapping[str, Any], grid: Grid, grids: GridDir) -> Grid:
    """The grid version an evaluation answered (``grid`` when that file is gone)."""
    if e["grid"] == grid.code and e["grid_version"] == grid.version:
        return grid
    try:
        return load_grid(e["grid"], e["grid_version"], directory=grids)
    except NotFound:
        return grid


def summarise(
    grid: Grid, every: Sequence[dict[str, Any]], *, grids: GridDir = None
) -> dict[str, Any]:
    """:func:`summary` of the evaluations ``every`` of one subject, on ``grid`` (each
    answer labelled with the wording of the grid version it answered)."""
    latest: dict[str, dict[str, Any]] = {}
    for e in sorted(every, key=lambda e: (e["date"] or "", e["id"])):
        latest[_who(e)] = e
    current = list(latest.values())
    criteria: dict[str, dict[str, Any]] = {}
    for e in current:
        own = _own_grid(e, grid, grids).by_code
        for a in e["answers"]:
            line = criteria.setdefault(a["criterion"], {"code": a["criterion"], "answers": []})
            asked = own.get(a["criterion"])
            line["answers"].append({
                **a, "evaluation_id": e["id"], "evaluator": e["evaluator"],
                "grid_version": e["grid_version"],
                "confidence_code": confidence_code(a["confidence"]),
                "criterion_label": {"fr": asked.fr, "en": asked.en} if asked else None,
            })  # fmt: skip
    for line in criteria.values():
        values = {a["value"] for a in line["answers"]}
        scores = [a["score"] for a in line["answers"] if a["score"] is not None]
        line["disagreement"] = len(values) > 1
        line["spread"] = round(max(scores) - min(scores), 4) if len(scores) > 1 else 0.0
    mean_axes = _mean([e["aggregates"].get("axes", {}) for e in current])
    mean_dims = _mean([e["aggregates"].get("dimensions", {}) for e in current])
    mean_cells = {d.code: _mean([e["aggregates"].get("cells", {}).get(d.code, {})
                                 for e in current]) for d in grid.dimensions}  # fmt: skip
    order = {c.code: i for i, c in enumerate(grid.criteria)}
    lines = sorted(criteria.values(), key=lambda c: order.get(c["code"], len(order)))
    return {
        "grid": grid, "current": current, "history": list(every), "criteria": lines,
        "disagreements": [c for c in lines if c["disagreement"]],
        "axes": mean_axes, "dimensions": mean_dims, "cells": mean_cells,
    }  # fmt: skip


def _mean(maps: Sequence[Mapping[str, float]]) -> dict[str, float]:
    keys = {k for m in maps for k in m}
    return {k: round(sum(v) / len(v), 4) for k in keys if (v := [m[k] for m in maps if k in m])}


# --- the collective relevance read from the map ----------------------------------------


def _level(value: float, steps: Sequence[float]) -> int:
    """0..3: how many of ``steps`` ``value`` reaches."""
    return sum(1 for s in steps if value >= s)


def map_facts(*, db: sa.Engine, solution_id: int) -> dict[str, dict[str, Any]]:
    """What the map says of a solution's collective relevance, one entry per
    ``from_map`` code of the CSR grid: ``value`` (a suggested level 0..3) and ``facts``
    (what it rests on). Raises NotFound."""
    with db.connect() as conn:
        s = solutions.get(conn, solution_id)
        carriers = list(s["carriers"])
        touching = []
        if carriers:
            query = sa.select(link.c.source_id, link.c.target_id).where(
                sa.or_(link.c.source_id.in_(carriers), link.c.target_id.in_(carriers)),
                link.c.deleted_at.is_(None))  # fmt: skip
            touching = [tuple(r) for r in conn.execute(query)]
        partners = {a for pair in touching for a in pair} - set(carriers)
        between = sum(1 for a, b in touching if a in carriers and b in carriers)
        people = set(carriers) | partners
        worlds = set()
        communes: dict[int, str | None] = {}
        if people:
            for aid, world, commune in conn.execute(
                sa.select(actor.c.id, actor.c.world, actor.c.commune_code).where(
                    actor.c.id.in_(sorted(people)))):  # fmt: skip
                if world and world != "unknown":
                    worlds.add(world)
                communes[aid] = commune
        anchored = _anchored(conn, [communes.get(c) for c in carriers], s["territories"])
    share = anchored / len(carriers) if carriers and s["territories"] else 0.0
    commons = [k for k in ("open_source", "open_data") if s.get(k)]
    if s.get("licence"):
        commons.append("licence")
    if s.get("resources"):
        commons.append("resources")
    return {
        "alliances": {"value": _level(len(touching), (1, 3, 10)) if not between else
                      max(2, _level(len(touching), (1, 3, 10))),
                      "facts": {"links": len(touching), "between_carriers": between,
                                "partners": len(partners), "carriers": len(carriers)}},
        "worlds": {"value": _level(len(worlds), (2, 3, 4)), "facts": {"worlds": sorted(worlds)}},
        "anchoring": {"value": _level(share, (0.01, 0.5, 1.0)),
                      "facts": {"anchored": anchored, "carriers": len(carriers),
                                "territories": list(s["territories"])}},
        "commons": {"value": min(3, len(commons)), "facts": {"commons": commons}},
    }  # fmt: skip


def _anchored(conn: sa.Connection, communes: Sequence[str | None], places: Sequence[str]) -> int:
    """How many of the carriers' ``communes`` lie in one of the territories ``places``."""
    wanted = set(places)
    count = 0
    for commune in communes:
        if not commune:
            continue
        code = f"COM:{commune}"
        parents = set(conn.execute(sa.select(territory_member.c.parent_code).where(
            territory_member.c.member_code == code)).scalars())  # fmt: skip
        if code in wanted or parents & wanted or any(p.split(":")[0] == "DEP" and
                                                      p in wanted for p in parents) or any(w.startswith("DEP:") and commune.startswith(w[4:]) for w in wanted):  # fmt: skip
            count += 1
    return count


def subject_name(*, db: sa.Engine, subject_type: str, subject_id: int) -> str:
    """How a subject is named on pages and reports. Raises NotFound."""
    with db.connect() as conn:
        if subject_type == "link":
            row = links.get(conn, subject_id)
            query = sa.select(actor.c.id, actor.c.name).where(
                actor.c.id.in_([row["source_id"], row["target_id"]])
            )
            names = {int(i): str(n) for i, n in conn.execute(query)}
            return f"{names.get(row['source_id'])} ↔ {names.get(row['target_id'])}"
        found = conn.execute(sa.select(solution.c.name).where(solution.c.id == subject_id,
                             solution.c.deleted_at.is_(None))).scalar()  # fmt: skip
        if found is None:
            raise NotFound(subject_type, subject_id)
        return str(found)


def solution_summaries(
    *, db: sa.Engine, solution_ids: Sequence[int], grids: GridDir = None
) -> dict[int, dict[str, Any]]:
    """The CSR summary of each solution: its mean score per dimension and per axis
    across its current evaluations, how many evaluators, how many disagreements (the
    evaluations of all the solutions read at once)."""
    grid = grid_of("solution", grids=grids)
    by_subject: dict[int, list[dict[str, Any]]] = {sid: [] for sid in solution_ids}
    with db.connect() as conn:
        for start in range(0, len(solution_ids), 500):
            chunk = list(solution_ids[start : start + 500])
            where = [evaluation.c.subject_type == "solution", evaluation.c.subject_id.in_(chunk)]
            for e in evaluations.list(conn, where=where, limit=None):
                by_subject[e["subject_id"]].append(e)
    out = {}
    for sid, every in by_subject.items():
        s = summarise(grid, every, grids=grids)
        out[sid] = {"dimensions": s["dimensions"], "axes": s["axes"],
                    "evaluators": len(s["current"]),
                    "disagreements": len(s["disagreements"])}  # fmt: skip
    return out


# --- the EcoIndex measured into an evaluation ------------------------------------------

MAX_PAGES = 5  # pages of one measurement (each up to the policy's time limit)


@dataclass(frozen=True, slots=True)
class SiteEcoIndex:
    """The EcoIndex of a solution's pages: ``score`` the mean of the pages' scores (to the
    hundredth, not rounded to an integer), ``grade`` the grade of that mean by the
    reference's thresholds, ``pages`` each page's measurement (an
    :class:`~maillage.services.ecoindex.EcoIndexMeasurement`), ``measured_at`` when the
    first page was loaded (UTC)."""

    score: float
    grade: str
    pages: tuple[EcoIndexMeasurement, ...]
    measured_at: dt.datetime


def site_ecoindex(pages: Sequence[EcoIndexMeasurement]) -> SiteEcoIndex:
    """The EcoIndex of several measured pages: the mean of their scores and its grade
    (one page: its own score and grade). Pure."""
    if not pages:
        raise InvalidInput("pages", None, "au moins une page mesurée", "at least one measured page")
    score = round(sum(p.score for p in pages) / len(pages), 2)
    return SiteEcoIndex(score=score, grade=grade_of(score), pages=tuple(pages),
                        measured_at=min(p.measured_at for p in pages))  # fmt: skip


def pages_to_measure(*, db: sa.Engine, solution_id: int, pages: Sequence[str] = ()) -> list[str]:
    """The addresses to measure for a solution: ``pages`` if given (blank ones left out,
    duplicates once), else its website. Raises InvalidInput (none, too many), NotFound."""
    wanted = list(dict.fromkeys(p.strip() for p in pages if p and p.strip()))
    if not wanted:
        with db.connect() as conn:
            website = solutions.get(conn, solution_id).get("website")  # NotFound
        if not website:
            raise InvalidInput("pages", None,
                               "la solution n'a pas de site : donnez les pages à mesurer",
                               "the solution has no website: give the pages to measure")  # fmt: skip
        wanted = [str(website)]
    if len(wanted) > MAX_PAGES:
        raise InvalidInput("pages", len(wanted), f"au plus {MAX_PAGES} pages par mesure",
                           f"at most {MAX_PAGES} pages per measurement")  # fmt: skip
    return wanted


def measure_site(
    urls: Sequence[str], *, policy: NetworkPolicy, chromium: str | None = None
) -> SiteEcoIndex:
    """Measure the pages ``urls`` under ``policy`` with one Chromium (each page in a fresh
    context), every address checked before the browser starts. Not from inside a
    running event loop (call it from a thread there). Raises InvalidInput (an address the
    policy refuses), EcoIndexError (time or size limit, status, browser missing)."""
    for url in urls:
        check_url(url, policy)
    with ecoindex_browser(policy=policy, chromium=chromium) as browser:
        return site_ecoindex([browser.measure(url) for url in urls])


def measured_answer(site: SiteEcoIndex, *, confidence: str = "high") -> Answer:
    """The answer to the ``ecoindex`` criterion from a measurement of several pages: the
    mean score, and as evidence the grade, the date and each page's DOM elements,
    requests, transferred kilobytes, score and grade (one line each)."""
    urls = [p.url for p in site.pages]
    when = site.measured_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = f"EcoIndex {site.score:.2f} ({site.grade}), " + (
        f"{len(urls)} pages, mean / moyenne, {when}" if len(urls) > 1 else when
    )
    lines = [head]
    for p in site.pages:
        refused = f" · {len(p.refused)} refused / refusées" if p.refused else ""
        lines.append(f"- {p.url} : {p.score} ({p.grade}) · DOM {p.dom_nodes} · "
                     f"{p.requests} req. · {p.size_kb:.1f} kB{refused}")  # fmt: skip
    base = ecoindex_answer(site, pages=urls, confidence=confidence)
    return replace(base, evidence="\n".join(lines)[:2000])


def latest_by(
    *, db: sa.Engine, subject_type: str, subject_id: int, evaluator_id: int | None,
    evaluator: str | None,
) -> dict[str, Any] | None:  # fmt: skip
    """The evaluator's latest live evaluation of a subject (by account, else by name)."""
    me = _who({"evaluator_id": evaluator_id, "evaluator": evaluator})
    every = evaluations_of(db=db, subject_type=subject_type, subject_id=subject_id)
    mine = [e for e in every if _who(e) == me]
    return max(mine, key=lambda e: (e["date"] or dt.date.min, e["id"])) if mine else None


def record_answer(
    *, db: sa.Engine, subject_type: str, subject_id: int, code: str, answer: Answer,
    evaluator_id: int | None, evaluator: str | None, user: str = "cli", grids: GridDir = None,
) -> dict[str, Any]:  # fmt: skip
    """Answer one criterion in the evaluator's evaluation: a new evaluation (evaluations
    are kept as written) holding the evaluator's latest answers on the criteria of the
    current grid, its note, and ``code`` answered anew. Audited as any evaluation.
    Raises InvalidInput, NotFound."""
    grid = grid_of(subject_type, grids=grids)
    latest = latest_by(db=db, subject_type=subject_type, subject_id=subject_id,
                       evaluator_id=evaluator_id, evaluator=evaluator)  # fmt: skip
    answers = {}
    for a in latest["answers"] if latest else ():
        if a["criterion"] in grid.by_code and a["value"] not in (None, ""):
            answers[a["criterion"]] = Answer(
                value=a["value"], evidence_kind=a["evidence_kind"], evidence=a["evidence"],
                evidence_url=a["evidence_url"],
                confidence=confidence_code(a["confidence"]) or "medium",
            )  # fmt: skip
    answers[code] = answer
    return submit_evaluation(
        db=db, subject_type=subject_type, subject_id=subject_id, answers=answers,
        evaluator_id=evaluator_id, evaluator=evaluator,
        note=latest["note"] if latest else None, user=user, grids=grids,
    )  # fmt: skip


def measure_solution_ecoindex(
    *, db: sa.Engine, solution_id: int, policy: NetworkPolicy, evaluator_id: int | None,
    evaluator: str | None, pages: Sequence[str] = (), user: str = "cli",
    chromium: str | None = None, grids: GridDir = None,
) -> tuple[SiteEcoIndex, dict[str, Any]]:  # fmt: skip
    """Measure a solution's pages (``pages``, else its website) under ``policy`` with one
    Chromium and record the mean as the ``ecoindex`` answer of the evaluator's
    evaluation (:func:`record_answer`); returns the measurement and the evaluation.
    Nothing is written when a page cannot be measured. Not from inside a running event
    loop. Raises InvalidInput (refused address, no page), EcoIndexError, NotFound."""
    urls = pages_to_measure(db=db, solution_id=solution_id, pages=pages)
    site = measure_site(urls, policy=policy, chromium=chromium)
    made = record_answer(
        db=db, subject_type="solution", subject_id=solution_id, code="ecoindex",
        answer=measured_answer(site), evaluator_id=evaluator_id, evaluator=evaluator,
        user=user, grids=grids,
    )  # fmt: skip
    return site, made
