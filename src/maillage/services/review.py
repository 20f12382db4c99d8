"""Identity resolution on stored actors: find duplicates, merge them, keep a review queue.

``run`` scores the blocked pairs of live actors (:mod:`maillage.io.resolve`; actors are
read and compared one département at a time, by the first two characters of their
postcode or commune code, so a national map never sits in memory at once), merges
the clusters at or above the merge threshold and queues the pairs between the review
and merge thresholds in ``review_decision`` (``pending``). A person then calls
``accept`` (merge) or ``reject`` ("not the same", remembered: the pair is never
proposed again and no cluster is ever merged across it).

A merge is one audit batch, so ``maillage undo --batch N`` reverses it exactly: the
survivor gets the empty fields, themes, territories and identifiers of the merged
actors plus ``alias:<id>`` for each; every link of a merged actor is re-pointed to the
survivor (a link between the two is soft-deleted, it would point to itself); each
merged actor gets ``merged_into_id`` and is soft-deleted. The decision row itself is
a record of what was decided and is not part of the batch.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from maillage.io import resolve
from maillage.model.errors import Conflict, InvalidInput
from maillage.model.records import ActorRecord
from maillage.storage.audit import Context, open_batch, utcnow
from maillage.storage.engine import transaction
from maillage.storage.registry import actors, links
from maillage.storage.repository import Snapshot
from maillage.storage.tables import actor, link, review_decision, territory

__all__ = [
    "MERGE_THRESHOLD",
    "REVIEW_THRESHOLD",
    "Candidate",
    "MergeResult",
    "RunReport",
    "CROSS_SAMPLE",
    "SAMPLES",
    "SampleReport",
    "accept",
    "evaluate_sample",
    "find_candidates",
    "list_pending",
    "read_sample",
    "reject",
    "run",
]

FILL_FIELDS = ("acronym", "description", "world", "category", "siren", "siret", "rna",
               "holder_siret", "holder_rna", "legal_form", "naf", "address", "postcode", "commune_code", "website",
               "email", "phone")  # fmt: skip
UNION_FIELDS = ("themes", "sdgs", "territories", "identifiers")
_RECORD_COLUMNS = ("id", "name", "siret", "siren", "rna", "address", "postcode",
                   "commune_code", "latitude", "longitude")  # fmt: skip
Pair = tuple[int, int]
MERGE_THRESHOLD = resolve.MERGE_THRESHOLD  # the defaults, for the CLI too
REVIEW_THRESHOLD = resolve.REVIEW_THRESHOLD


@dataclass(slots=True)
class Candidate:
    """A pair of stored actors that may be the same, with its score and reasons."""

    left_id: int
    right_id: int
    score: float
    reasons: list[str] = field(default_factory=list)
    decision: str = "pending"


@dataclass(slots=True)
class MergeResult:
    """One merge: the survivor, the merged actors and the batch that undoes it all."""

    survivor_id: int
    merged_ids: list[int]
    batch_id: int | None
    links_repointed: int = 0
    links_removed: int = 0


@dataclass(slots=True)
class RunReport:
    """What ``run`` found and did."""

    candidates: int = 0
    merges: list[MergeResult] = field(default_factory=list)
    queued: int = 0
    skipped_decided: int = 0
    dry_run: bool = False

    @property
    def merged(self) -> int:
        """Number of actors merged into another one."""
        return sum(len(m.merged_ids) for m in self.merges)


def _pair(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


# -- reading stored actors ----------------------------------------------------------------


def _groups(conn: sa.Connection) -> list[str]:
    """Département-like prefixes of the live actors (postcode or commune, 2 characters)."""
    prefix = sa.func.substr(sa.func.coalesce(actor.c.postcode, actor.c.commune_code, ""), 1, 2)
    query = sa.select(prefix).where(_live()).distinct()
    return sorted(str(p or "") for p in conn.execute(query).scalars())


def _live() -> sa.ColumnElement[bool]:
    return sa.and_(actor.c.deleted_at.is_(None), actor.c.merged_into_id.is_(None))


def _records(conn: sa.Connection, group: str) -> list[ActorRecord]:
    """Live actors of one group as records (commune names from the geography)."""
    prefix = sa.func.substr(sa.func.coalesce(actor.c.postcode, actor.c.commune_code, ""), 1, 2)
    query = (
        sa.select(*(actor.c[c] for c in _RECORD_COLUMNS))
        .where(_live(), prefix == group)
        .order_by(actor.c.id)
    )
    rows = [dict(r._mapping) for r in conn.execute(query)]
    names = _commune_names(conn, {r["commune_code"] for r in rows if r["commune_code"]})
    return [ActorRecord(**r, commune_name=names.get(r["commune_code"])) for r in rows]


def _commune_names(conn: sa.Connection, codes: set[str]) -> dict[str, str]:
    wanted = sorted(f"COM:{c}" for c in codes)
    names: dict[str, str] = {}
    for start in range(0, len(wanted), 2000):
        query = sa.select(territory.c.code, territory.c.name).where(
            territory.c.code.in_(wanted[start : start + 2000])
        )
        names.update({code[4:]: name for code, name in conn.execute(query)})
    return names


def _scored(conn: sa.Connection, threshold: float) -> Iterator[Candidate]:
    """Every blocked pair of live actors scored at or above ``threshold``."""
    for group in _groups(conn):
        records = _records(conn, group)
        for match in resolve.find_matches(records, threshold=threshold):
            left, right = records[match.left].id, records[match.right].id
            assert left is not None and right is not None
            ids = _pair(left, right)
            yield Candidate(ids[0], ids[1], match.score, match.reasons)


def _decisions(conn: sa.Connection) -> dict[Pair, str]:
    query = sa.select(review_decision.c.left_id, review_decision.c.right_id,
                      review_decision.c.decision)  # fmt: skip
    return {_pair(a, b): d for a, b, d in conn.execute(query)}


def _canonical(conn: sa.Connection) -> dict[int, int]:
    """Merged actor id -> the live actor it ended in (following merge chains)."""
    query = sa.select(actor.c.id, actor.c.merged_into_id).where(actor.c.merged_into_id.isnot(None))
    into = {merged: target for merged, target in conn.execute(query)}
    result = {}
    for start in into:
        end, seen = start, set()
        while end in into and end not in seen:
            seen.add(end)
            end = into[end]
        result[start] = end
    return result


def _rejected(conn: sa.Connection, decisions: Mapping[Pair, str]) -> set[Pair]:
    """ "Not the same" pairs, carried to the actors their ends were merged into."""
    canon = _canonical(conn)
    return {
        _pair(canon.get(a, a), canon.get(b, b))
        for (a, b), d in decisions.items()
        if d == "different"
    }


def find_candidates(*, db: sa.Engine, threshold: float = REVIEW_THRESHOLD) -> list[Candidate]:
    """Pairs of live actors scoring at or above ``threshold``, best first, with any
    decision already taken on them (``pending``, ``same``, ``different`` or ``new``)."""
    with db.connect() as conn:
        decisions = _decisions(conn)
        found = list(_scored(conn, threshold))
    for candidate in found:
        candidate.decision = decisions.get((candidate.left_id, candidate.right_id), "new")
    return sorted(found, key=lambda c: (-c.score, c.left_id, c.right_id))


# -- merging -----------------------------------------------------------------------------


def _survivor(snaps: Sequence[Snapshot]) -> Snapshot:
    """The actor that absorbs the others: one with a SIRET, then the fullest, then the oldest."""
    return min(
        snaps,
        key=lambda s: (s.get("siret") is None, -sum(v not in (None, [], {}, "") for v in s.values()),
                       s["id"]),
    )  # fmt: skip


def _absorb(survivor: Snapshot, merged: Snapshot, changes: dict[str, Any]) -> None:
    """Accumulate in ``changes`` what ``survivor`` takes from ``merged``."""
    current = {**survivor, **changes}
    for name in FILL_FIELDS:
        if current.get(name) in (None, "") and merged.get(name) not in (None, ""):
            changes[name] = merged[name]
    if current.get("latitude") is None and merged.get("latitude") is not None:
        changes["latitude"], changes["longitude"] = merged["latitude"], merged["longitude"]
    for name in UNION_FIELDS:
        extra = list(merged.get(name) or ())
        if name == "identifiers":
            extra.append(f"alias:{merged['id']}")
        values = sorted(set(current.get(name) or ()) | set(extra))
        if values != sorted(current.get(name) or ()):
            changes[name] = values


def _repoint(
    conn: sa.Connection, old: set[int], new: int, ctx: Context, result: MergeResult
) -> None:
    """Move the live links of the actors ``old`` to actor ``new`` (audited, a chunk of
    links at a time); a link that would then point to ``new`` at both ends is deleted."""
    ids = sorted(old)
    query = sa.select(link.c.id, link.c.source_id, link.c.target_id).where(
        link.c.deleted_at.is_(None), sa.or_(link.c.source_id.in_(ids), link.c.target_id.in_(ids))
    )
    moved = []
    for link_id, source, target in conn.execute(query.order_by(link.c.id)).all():
        ends = (new if source in old else source, new if target in old else target)
        if ends[0] == ends[1]:
            links.delete(conn, link_id, ctx=ctx)
            result.links_removed += 1
            continue
        moved.append((link_id, {"source_id": ends[0], "target_id": ends[1]}))
    links.update_many(conn, moved, ctx=ctx)
    result.links_repointed += len(moved)


def _merge(conn: sa.Connection, ids: Iterable[int], user: str, label: str) -> MergeResult:
    """Merge live actors ``ids`` into the best of them, in one new audit batch."""
    snaps = [actors.get(conn, i) for i in sorted(set(ids))]
    survivor = _survivor(snaps)
    others = [s for s in snaps if s["id"] != survivor["id"]]
    batch_id = open_batch(conn, kind="merge", label=label, user=user)
    ctx = Context(user=user, source="review", batch_id=batch_id)
    result = MergeResult(survivor["id"], [s["id"] for s in others], batch_id)
    changes: dict[str, Any] = {}
    for merged in others:
        _absorb(survivor, merged, changes)
    _repoint(conn, set(result.merged_ids), survivor["id"], ctx, result)
    actors.update_many(conn, [(i, {"merged_into_id": survivor["id"], "identifiers": []})
                              for i in result.merged_ids], ctx=ctx, action="merge")  # fmt: skip
    for merged_id in result.merged_ids:
        actors.delete(conn, merged_id, ctx=ctx)
    if changes:
        actors.update(conn, survivor["id"], changes, ctx=ctx)
    return result


def _decide(conn: sa.Connection, candidate: Candidate, decision: str, user: str | None) -> None:
    """Insert or update the decision row of a pair."""
    key = _pair(candidate.left_id, candidate.right_id)
    values = {
        "decision": decision,
        "score": candidate.score,
        "reasons": candidate.reasons,
        "decided_by": user,
        "decided_at": utcnow() if user else None,
    }
    where = (review_decision.c.left_id == key[0], review_decision.c.right_id == key[1])
    if conn.execute(sa.select(review_decision.c.decision).where(*where)).first():
        conn.execute(sa.update(review_decision).where(*where).values(**values))
    else:
        conn.execute(sa.insert(review_decision).values(left_id=key[0], right_id=key[1], **values))


# -- use cases ----------------------------------------------------------------------------


def run(
    *,
    db: sa.Engine,
    merge_threshold: float = MERGE_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    user: str = "review",
    dry_run: bool = False,
) -> RunReport:
    """Find duplicates among live actors, merge the sure ones, queue the others.

    One transaction; each merged cluster is its own audit batch (``report.merges``).
    Pairs already decided are left alone; "not the same" pairs are never merged, not
    even through a third actor. Raises InvalidInput for thresholds out of order.
    """
    if not 0 < review_threshold <= merge_threshold <= 1:
        raise InvalidInput("merge_threshold", merge_threshold,
                           "il faut 0 < seuil de revue <= seuil de fusion <= 1",
                           "expected 0 < review threshold <= merge threshold <= 1")  # fmt: skip
    report = RunReport(dry_run=dry_run)
    with transaction(db) as conn:
        decisions = _decisions(conn)
        found = list(_scored(conn, review_threshold))
        report.candidates = len(found)
        fresh = [c for c in found if decisions.get((c.left_id, c.right_id)) in (None, "pending")]
        report.skipped_decided = len(found) - len(fresh)
        rejected = _rejected(conn, decisions)
        clusters = _clusters(fresh, merge_threshold, rejected)
        into: dict[int, int] = {}
        for group in clusters:
            if dry_run:
                merge = MergeResult(_survivor([actors.get(conn, i) for i in group])["id"], [], None)
                merge.merged_ids = [i for i in group if i != merge.survivor_id]
            else:
                merge = _merge(conn, group, user, f"fusion automatique de {group}")
            report.merges.append(merge)
            into.update({member: merge.survivor_id for member in group})
        _record_run(conn, fresh, into, rejected, user, report, merge_threshold)
    return report


def _clusters(found: Sequence[Candidate], threshold: float, rejected: set[Pair]) -> list[list[int]]:
    pairs = [resolve.PairScore(c.left_id, c.right_id, c.score) for c in found]
    return resolve.cluster(pairs, threshold=threshold, cannot_link=rejected)


def _record_run(
    conn: sa.Connection,
    found: Sequence[Candidate],
    into: Mapping[int, int],
    rejected: set[Pair],
    user: str,
    report: RunReport,
    merge_threshold: float,
) -> None:
    """Decision rows: ``same`` for merged pairs, ``pending`` for pairs of actors still
    apart (named by the actors they now live in, best score kept) unless those actors
    were declared different; nothing is written on a dry run."""
    queued: set[Pair] = set()
    for candidate in sorted(found, key=lambda c: -c.score):
        ends = _pair(into.get(candidate.left_id, candidate.left_id),
                     into.get(candidate.right_id, candidate.right_id))  # fmt: skip
        if ends[0] == ends[1]:
            if not report.dry_run and candidate.score >= merge_threshold:
                _decide(conn, candidate, "same", f"auto:{user}")
            continue
        if ends in queued or ends in rejected:
            continue
        queued.add(ends)
        if not report.dry_run:
            _decide(conn, Candidate(*ends, candidate.score, candidate.reasons), "pending", None)
    report.queued = len(queued)


@dataclass(slots=True)
class ReviewItem:
    """A pending pair with what a person needs to decide."""

    left: dict[str, Any]
    right: dict[str, Any]
    score: float
    reasons: list[str]


_SHOWN = ("id", "name", "address", "postcode", "commune_code", "siret", "rna", "source")


def list_pending(*, db: sa.Engine, limit: int = 50, offset: int = 0) -> list[ReviewItem]:
    """Pending pairs whose two actors are still live and apart, best score first."""
    left, right = actor.alias("l"), actor.alias("r")
    query = (
        sa.select(review_decision.c.score, review_decision.c.reasons,
                  *(left.c[c].label(f"l_{c}") for c in _SHOWN),
                  *(right.c[c].label(f"r_{c}") for c in _SHOWN))
        .join(left, left.c.id == review_decision.c.left_id)
        .join(right, right.c.id == review_decision.c.right_id)
        .where(review_decision.c.decision == "pending",
               left.c.deleted_at.is_(None), right.c.deleted_at.is_(None),
               left.c.merged_into_id.is_(None), right.c.merged_into_id.is_(None))
        .order_by(review_decision.c.score.desc(), review_decision.c.left_id,
                  review_decision.c.right_id)
        .limit(limit).offset(offset)
    )  # fmt: skip
    with db.connect() as conn:
        rows = [r._mapping for r in conn.execute(query)]
    return [
        ReviewItem(
            {c: r[f"l_{c}"] for c in _SHOWN},
            {c: r[f"r_{c}"] for c in _SHOWN},
            r["score"],
            list(r["reasons"] or []),
        )  # fmt: skip
        for r in rows
    ]


def _live_pair(conn: sa.Connection, left_id: int, right_id: int) -> tuple[Candidate, Pair]:
    """The stored pair (score, reasons) and the live actors its ends now are."""
    canon = _canonical(conn)
    ends = (canon.get(left_id, left_id), canon.get(right_id, right_id))
    for end in ends:
        actors.get(conn, end)  # NotFound for a deleted actor
    key = _pair(left_id, right_id)
    row = conn.execute(
        sa.select(review_decision.c.score, review_decision.c.reasons).where(
            review_decision.c.left_id == key[0], review_decision.c.right_id == key[1]
        )
    ).first()
    if row is None:
        snaps = [_record(actors.get(conn, e)) for e in ends]
        scored = resolve.score_pair(*snaps)
        return Candidate(*key, scored.score, scored.reasons), ends
    return Candidate(*key, float(row[0] or 0.0), list(row[1] or [])), ends


def _record(snap: Snapshot) -> ActorRecord:
    values: dict[str, Any] = {c: snap.get(c) for c in _RECORD_COLUMNS}
    return ActorRecord(**values)


def accept(*, db: sa.Engine, left_id: int, right_id: int, user: str = "cli") -> MergeResult:
    """Decide that two actors are the same and merge them (one undoable batch).

    Raises NotFound for an unknown or deleted actor, Conflict when they are already
    merged or when a "not the same" decision stands between them.
    """
    with transaction(db) as conn:
        candidate, ends = _live_pair(conn, left_id, right_id)
        if ends[0] == ends[1]:
            raise Conflict(f"les acteurs {left_id} et {right_id} sont déjà fusionnés (dans {ends[0]})",
                           f"actors {left_id} and {right_id} are already merged (into {ends[0]})")  # fmt: skip
        _check_not_rejected(conn, ends, _pair(left_id, right_id))
        result = _merge(conn, ends, user, f"fusion de {left_id} et {right_id}")
        _decide(conn, candidate, "same", user)
    return result


def _check_not_rejected(conn: sa.Connection, ends: Pair, asked: Pair) -> None:
    """Conflict if actors merged into the two ends were declared different (a person
    accepting the very pair they rejected earlier changes their mind: allowed)."""
    canon = _canonical(conn)
    for (a, b), decision in _decisions(conn).items():
        if (a, b) == asked or decision != "different":
            continue
        if {canon.get(a, a), canon.get(b, b)} == set(ends):
            raise Conflict(
                f"la paire {a}-{b} a été déclarée différente : pas de fusion de {ends[0]} et {ends[1]}",
                f"pair {a}-{b} was declared different: no merge of {ends[0]} and {ends[1]}",
            )


def reject(*, db: sa.Engine, left_id: int, right_id: int, user: str = "cli") -> Candidate:
    """Remember that two actors are not the same; returns the decided pair.

    Raises NotFound for an unknown or deleted actor, Conflict when they are already
    merged (undo the merge batch first).
    """
    with transaction(db) as conn:
        candidate, ends = _live_pair(conn, left_id, right_id)
        if ends[0] == ends[1]:
            raise Conflict(
                f"les acteurs {left_id} et {right_id} sont fusionnés : annulez d'abord la fusion",
                f"actors {left_id} and {right_id} are merged: undo the merge batch first",
            )
        _decide(conn, candidate, "different", user)
        candidate.decision = "different"
    return candidate


# -- the labelled sample ------------------------------------------------------------------

SAMPLE = Path(__file__).parent.parent / "data" / "resolution" / "pairs.csv"
"""The labelled sample of mediation places shipped with maillage (``data/resolution/README.md``)."""
CROSS_SAMPLE = SAMPLE.with_name("cross_source_pairs.csv")
"""The labelled sample across the demo's sources (ANR, places, France Services, DECP, holders)."""
SAMPLES = {"lieux": SAMPLE, "sources": CROSS_SAMPLE}
"""The shipped samples by name, as ``maillage review evaluate`` prints them."""


@dataclass(slots=True)
class LabelledPair:
    """One pair of the sample: two records, a label (``same``/``different``/``unsure``)."""

    pair_id: str
    split: str
    stratum: str
    label: str
    rule: str
    left: ActorRecord
    right: ActorRecord


@dataclass(slots=True)
class SampleReport:
    """Precision and recall of the resolver on a labelled sample, per split and stratum."""

    merge_threshold: float
    review_threshold: float
    splits: dict[str, resolve.Evaluation]
    strata: dict[str, resolve.Evaluation]
    review_recall: float
    unsure: int
    chosen_on_dev: tuple[float, float] | None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "merge_threshold": self.merge_threshold,
            "review_threshold": self.review_threshold,
            **self.splits["all"].to_dict(),
            "review_recall": round(self.review_recall, 4),
            "unsure_excluded": self.unsure,
            "splits": {k: v.to_dict() for k, v in self.splits.items()},
            "strata": {k: v.to_dict() for k, v in self.strata.items()},
        }
        if self.chosen_on_dev:
            data["thresholds_chosen_on_dev"] = list(self.chosen_on_dev)
        return data


def _side(row: Mapping[str, str], side: str) -> ActorRecord:
    def text(name: str) -> str | None:
        return row.get(f"{side}_{name}") or None

    def number(name: str) -> float | None:
        value = text(name)
        return float(value) if value else None

    return ActorRecord(
        name=text("name") or "", key=text("ref"), source=text("source"), address=text("address"),
        postcode=text("postcode"), commune_name=text("commune_name"),
        commune_code=text("commune_code"), siret=text("siret"), siren=text("siren"),
        rna=text("rna"), holder_siret=text("holder_siret"), latitude=number("latitude"),
        longitude=number("longitude"),
    )  # fmt: skip


def read_sample(path: str | Path = SAMPLE) -> list[LabelledPair]:
    """Read a labelled sample CSV (the columns of ``data/resolution/pairs.csv``).

    Raises InvalidInput when a row has no usable label.
    """
    pairs = []
    with open(path, encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            if row.get("label") not in ("same", "different", "unsure"):
                raise InvalidInput("label", row.get("label"),
                                   f"ligne {number} : same, different ou unsure attendu",
                                   f"row {number}: expected same, different or unsure")  # fmt: skip
            pairs.append(LabelledPair(row["pair_id"], row.get("split") or "all",
                                      row.get("stratum") or "", row["label"],
                                      row.get("rule") or "", _side(row, "left"),
                                      _side(row, "right")))  # fmt: skip
    return pairs


def evaluate_sample(
    *,
    path: str | Path = SAMPLE,
    merge_threshold: float = MERGE_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
) -> SampleReport:
    """Score every pair of a labelled sample and count against its labels.

    A pair is predicted "same" when the resolver would merge it (shares a block and
    scores at or above ``merge_threshold``). Pairs labelled ``unsure`` are left out.
    Figures are given for the whole sample, each split (``dev``, ``test``), the pairs
    labelled by hand (``hand-labelled``: all but the ``identifier`` stratum), the pairs
    whose two records come from different sources (``cross-source``, where the sample
    names them) and each stratum, with the thresholds the dev split would choose
    (:func:`maillage.io.resolve.choose_thresholds`).
    """
    scored: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    strata: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    unsure = 0
    for pair in read_sample(path):
        if pair.label == "unsure":
            unsure += 1
            continue
        item = (resolve.compare(pair.left, pair.right).score, pair.label == "same")
        hand = () if pair.stratum == "identifier" else ("hand-labelled",)
        sources = {pair.left.source, pair.right.source}
        cross = ("cross-source",) if len(sources) == 2 and None not in sources else ()
        for key in {"all", pair.split, *hand, *cross}:
            scored[key].append(item)
        strata[pair.stratum].append(item)
    everything = scored["all"]
    same = [s for s, y in everything if y]
    return SampleReport(
        merge_threshold,
        review_threshold,
        {k: resolve.evaluate(v, threshold=merge_threshold) for k, v in sorted(scored.items())},
        {k: resolve.evaluate(v, threshold=merge_threshold) for k, v in sorted(strata.items())},
        sum(s >= review_threshold for s in same) / len(same) if same else 1.0,
        unsure,
        resolve.choose_thresholds(scored["dev"]) if scored.get("dev") else None,
    )
