"""Use cases of the resource centre: import, read, search with facets, export.

- :func:`import_resources`: files and folders read by :mod:`maillage.io.resources`
  (every file parsed before anything is written: a bad file writes nothing), then one
  transaction and one audit batch (undoable like any import); a resource already
  stored from the same source and reference is left as it is and counted.
- :func:`search_resources`: French full text over titles, bodies and transcripts,
  facet filters (type, theme, territory, world of the actors concerned, year,
  licence), counts per facet value over every match, highlighted passages. The same
  hits on SQLite and PostgreSQL (see :mod:`maillage.storage.search.resources`).
- :func:`get_resource`, :func:`export_resources`: one resource with its actors and
  proposed mentions; every resource as rows for CSV or JSON.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from maillage.io.resources import ResourceFileError, ResourceRecord, read_paths
from maillage.io.resources.model import TYPES as TYPES
from maillage.model.errors import InvalidInput
from maillage.model.text import fold, search_tokens, stem, stop_words
from maillage.services.portal.pages import territory_names_of
from maillage.storage.audit import Context, open_batch
from maillage.storage.engine import transaction
from maillage.storage.registry import resources
from maillage.storage.repository import Snapshot
from maillage.storage.search import resources as index
from maillage.storage.tables import actor, resource, resource_mention

FACETS = index.FACETS
PAGE = 20


# -- import -----------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What an import read and wrote: counts by source and by type."""

    read: int = 0
    created: int = 0
    already: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    batch_id: int | None = None
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("read", "created", "already", "by_source",
                                              "by_type", "batch_id", "dry_run")}  # fmt: skip


def values_of(record: ResourceRecord, source: str | None = None) -> dict[str, Any]:
    """The stored values of a parsed resource."""
    extra = dict(record.extra)
    if record.organisations:
        extra["organisations"] = record.organisations
    return {
        "type": record.type,
        "title": record.title[:500],
        "summary": record.summary,
        "body": record.body,
        "date": record.date,
        "authors": record.authors,
        "licence": (record.licence or None) and record.licence[:100],
        "url": record.url,
        "replay_url": record.replay_url,
        "speakers": record.speakers,
        "transcript": [t.as_dict() for t in record.transcript],
        "extra": extra,
        "themes": sorted({t[:100] for t in record.themes}),
        "territories": sorted(set(record.territories)),
        "sdgs": sorted(set(record.sdgs)),
        "source": (source or record.source or "")[:200] or None,
        "source_ref": (record.source_ref or None) and record.source_ref[:200],
    }


def import_resources(*, db: sa.Engine, paths: Sequence[Path], user: str = "cli",
                     source: str | None = None, default_type: str = "study",
                     dry_run: bool = False) -> ImportSummary:  # fmt: skip
    """Import the resources of ``paths``; nothing is written when one file is bad."""
    if default_type not in index_types():
        raise InvalidInput("type", default_type, "types : " + ", ".join(index_types()))
    records = list(read_paths(paths, default_type=default_type))
    label = "import resources: " + ", ".join(p.name for p in paths)[:150]
    return store_records(db=db, records=records, user=user, source=source, label=label,
                         dry_run=dry_run)  # fmt: skip


def store_records(*, db: sa.Engine, records: Sequence[ResourceRecord], user: str = "cli",
                  source: str | None = None, label: str = "import resources",
                  dry_run: bool = False) -> ImportSummary:  # fmt: skip
    """Store parsed resources in one transaction and one audit batch (the import path)."""
    rows = [values_of(r, source) for r in records]
    summary = ImportSummary(read=len(rows), dry_run=dry_run)
    with transaction(db) as conn:
        _check_territories(conn, rows)
        stored = _stored_refs(conn)
        seen: set[tuple[Any, Any]] = set()
        fresh = []
        for r in rows:  # stored before, or the same reference twice in the files: once
            key = (r["source"], r["source_ref"])
            if r["source_ref"] is None or (key not in stored and key not in seen):
                fresh.append(r)
                seen.add(key)
        summary.already = len(rows) - len(fresh)
        summary.by_source = dict(Counter(r["source"] or "" for r in fresh))
        summary.by_type = dict(Counter(r["type"] for r in fresh))
        if dry_run or not fresh:
            return summary
        summary.batch_id = open_batch(conn, kind="import", label=label, user=user)
        ctx = Context(user=user, source=source, batch_id=summary.batch_id)
        summary.created = len(resources.create_many(conn, fresh, ctx=ctx))
    return summary


def index_types() -> tuple[str, ...]:
    """The resource types (taxonomy ``resource_types``)."""
    return TYPES


def _stored_refs(conn: sa.Connection) -> set[tuple[Any, Any]]:
    query = sa.select(resource.c.source, resource.c.source_ref).where(
        resource.c.source_ref.is_not(None), resource.c.deleted_at.is_(None))  # fmt: skip
    return {(s, r) for s, r in conn.execute(query)}


def _check_territories(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    from maillage.services.actors import known_codes

    wanted = {c for r in rows for c in r["territories"]}
    unknown = wanted - known_codes(conn, wanted)
    for r in rows:
        for code in r["territories"]:
            if code in unknown:
                raise ResourceFileError(
                    f"{r['source'] or ''} {r['source_ref'] or r['title']}".strip(), None,
                    "territories", f"territoire inconnu : {code!r}", f"unknown territory: {code!r}",
                )  # fmt: skip


# -- reading ----------------------------------------------------------------------


def get_resource(*, db: sa.Engine, resource_id: int) -> Snapshot:
    """One live resource, with its actors' names and its proposed mentions."""
    with db.connect() as conn:
        snap = resources.get(conn, resource_id)
        names = dict(conn.execute(sa.select(actor.c.id, actor.c.name).where(
            actor.c.id.in_(snap["actors"]))).all())  # fmt: skip
        snap["actor_names"] = {i: names.get(i, str(i)) for i in snap["actors"]}
        query = (
            sa.select(resource_mention, actor.c.name)
            .join(actor, actor.c.id == resource_mention.c.actor_id)
            .where(resource_mention.c.resource_id == resource_id)
            .order_by(resource_mention.c.start)
        )
        snap["mentions"] = [dict(r._mapping) for r in conn.execute(query)]
    return snap


def territory_labels(*, db: sa.Engine, codes: Iterable[str]) -> dict[str, str]:
    """How territories are shown: by name with their short code (``DEP:59`` -> « Nord
    (59) »); a code not in the reference data as it is."""
    wanted = sorted(set(codes))
    names = territory_names_of(db=db, codes=wanted)
    return {c: f"{names[c]} ({c.partition(':')[2] or c})" if c in names else c for c in wanted}


EXPORT_COLUMNS = ["id", "type", "title", "date", "authors", "licence", "url", "replay_url",
                  "speakers", "themes", "territories", "sdgs", "actors", "links", "source",
                  "source_ref", "summary", "turns"]  # fmt: skip


def export_resources(*, db: sa.Engine) -> list[dict[str, Any]]:
    """Every live resource as a flat row (lists joined by `` | ``), for CSV and JSON."""
    with db.connect() as conn:
        snaps = resources.list(conn, limit=None)
    rows = []
    for s in snaps:
        rows.append({
            "id": s["id"], "type": s["type"], "title": s["title"], "date": s["date"],
            "authors": " | ".join(s["authors"] or []), "licence": s["licence"],
            "url": s["url"], "replay_url": s["replay_url"],
            "speakers": " | ".join(s["speakers"] or []),
            "themes": " | ".join(s["themes"]), "territories": " | ".join(s["territories"]),
            "sdgs": " | ".join(map(str, s["sdgs"])), "actors": " | ".join(map(str, s["actors"])),
            "links": " | ".join(map(str, s["links"])), "source": s["source"],
            "source_ref": s["source_ref"], "summary": s["summary"],
            "turns": len(s["transcript"] or []),
        })  # fmt: skip
    return rows


# -- search -----------------------------------------------------------------------


class FacetTable:
    """What search needs of every live resource, as arrays read once per index
    generation: each facet's values (a code per resource where a facet has one value
    per resource, else ``(ids, codes)`` pairs), the resources' lengths and dates, and
    the title words (word -> ids). Counting facet values over a set of matches, or
    marking the matches whose title holds a word, is then a few array operations."""

    def __init__(self, conn: sa.Connection, generation: int) -> None:
        self.generation = generation
        pairs: dict[str, tuple[list[int], list[str]]] = {f: ([], []) for f in FACETS}
        for rid, facet, value in index.facet_rows(conn):
            ids, values = pairs[facet]
            ids.append(rid)
            values.append(value)
        self.live = np.array(sorted(set(pairs["type"][0])), dtype=np.int64)
        self.size = int(self.live.max()) + 1 if len(self.live) else 1
        self.single: dict[str, tuple[np.ndarray[Any, Any], list[str]]] = {}
        self.multi: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], list[str]]] = {}
        for facet, (ids, values) in pairs.items():
            labels = sorted(set(values))
            position = {v: i for i, v in enumerate(labels)}
            codes = np.fromiter((position[v] for v in values), dtype=np.int64, count=len(values))
            owners = np.array(ids, dtype=np.int64)
            if len(np.unique(owners)) == len(owners):  # one value per resource at most
                dense = np.full(self.size, len(labels), dtype=np.int64)  # len: no value
                dense[owners] = codes
                self.single[facet] = (dense, labels)
            else:
                self.multi[facet] = (owners, codes, labels)
        self.lengths = np.zeros(self.size, dtype=np.int64)  # characters, for ranking
        for rid, length in index.sizes(conn):
            if rid < self.size:
                self.lengths[rid] = length
        self.days = np.zeros(self.size, dtype=np.int64)  # the date, for "newest first"
        for rid, day in index.days(conn):
            if rid < self.size:
                self.days[rid] = day
        postings: dict[str, list[int]] = {}
        for rid, tokens in index.title_tokens(conn):
            for token in set(tokens.split()):
                postings.setdefault(token, []).append(rid)
        self.titles = {t: np.array(ids, dtype=np.int64) for t, ids in postings.items()}

    def in_title(self, matched: np.ndarray[Any, Any], words: Sequence[str]) -> np.ndarray[Any, Any]:
        """How many of ``words`` the title of each matched resource holds."""
        count = np.zeros(self.size, dtype=np.int64)
        for word in words:
            found = self.titles.get(word)
            if found is not None:
                count[found[found < self.size]] += 1
        titled: np.ndarray[Any, Any] = count[matched]
        return titled

    def counts(self, matched: np.ndarray[Any, Any]) -> dict[str, list[tuple[str, int]]]:
        found = {}
        hit = None
        for facet in FACETS:
            if facet in self.single:
                dense, labels = self.single[facet]
                counted = np.bincount(dense[matched], minlength=len(labels) + 1)[: len(labels)]
            else:
                owners, codes, labels = self.multi[facet]
                if hit is None:
                    hit = np.zeros(self.size, dtype=bool)
                    hit[matched] = True
                counted = np.bincount(codes[hit[owners]], minlength=len(labels))
            order = np.lexsort((np.arange(len(labels)), -counted))
            found[facet] = [(labels[i], int(counted[i])) for i in order if counted[i]]
        return found


_TABLES: weakref.WeakKeyDictionary[sa.Engine, FacetTable] = weakref.WeakKeyDictionary()
_TABLES_LOCK = threading.Lock()


def facet_table(db: sa.Engine, conn: sa.Connection) -> FacetTable:
    """The engine's facet table, read again when the index moved on."""
    current = index.generation(conn)
    table = _TABLES.get(db)
    if table is None or table.generation != current:
        table = FacetTable(conn, current)
        with _TABLES_LOCK:
            _TABLES[db] = table
    return table


@dataclass
class Hit:
    id: int
    title: str
    type: str
    date: str | None
    licence: str | None
    source: str | None
    score: float
    passages: list[list[tuple[str, bool]]]  # each passage: (text, highlighted) segments


@dataclass
class SearchPage:
    query: str
    filters: dict[str, list[str]]
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "filters": self.filters,
            "total": self.total,
            "hits": [
                {
                    "id": h.id,
                    "title": h.title,
                    "type": h.type,
                    "date": h.date,
                    "licence": h.licence,
                    "source": h.source,
                    "score": round(h.score, 6),
                    "passages": [
                        "".join(f"<mark>{t}</mark>" if m else t for t, m in p) for p in h.passages
                    ],
                }  # fmt: skip
                for h in self.hits
            ],
            "facets": {
                f: [{"value": v, "count": c} for v, c in values]
                for f, values in self.facets.items()
            },  # fmt: skip
        }


def clean_filters(filters: Mapping[str, Iterable[str]] | None) -> dict[str, list[str]]:
    cleaned: dict[str, list[str]] = {}
    for facet, values in (filters or {}).items():
        if facet not in FACETS:
            raise InvalidInput("facet", facet, "facettes : " + ", ".join(FACETS),
                               "facets: " + ", ".join(FACETS))  # fmt: skip
        kept = sorted({str(v) for v in values if str(v).strip()})
        if any(len(v) > 200 for v in kept):
            raise InvalidInput(facet, max(kept, key=len), "200 caractères au plus",
                               "200 characters at most")  # fmt: skip
        if kept:
            cleaned[facet] = kept
    return cleaned


def search_resources(*, db: sa.Engine, query: str = "",
                     filters: Mapping[str, Iterable[str]] | None = None,
                     limit: int = PAGE, offset: int = 0) -> SearchPage:  # fmt: skip
    """Resources matching every word of ``query`` and one value of each filtered facet;
    facet counts over every match; highlighted passages of the page's hits.

    Ranking, the same on both engines: the resources whose title holds more of the
    query's words first, then the shorter ones (a word weighs more in a short text, as
    in BM25 with one occurrence), then by number. Without words: newest first.
    """
    chosen = clean_filters(filters)
    words = list(dict.fromkeys(search_tokens(query).split()))
    groups = [[index.facet_token(f, v) for v in values] for f, values in chosen.items()]
    with db.connect() as conn:
        table = facet_table(db, conn)
        dialect = conn.dialect.name
        if not words and not groups:
            matched = table.live
        else:
            expression = index.match_expression(dialect, words, groups)
            matched = index.matching_ids(conn, expression)
        matched = matched[matched < table.size]  # indexed since the table was read: next time
        titled = table.in_title(matched, words)
        if words:
            key = (len(words) - titled) * (1 << 40) + table.lengths[matched]
        else:
            key = -table.days[matched]
        page = _top(matched, key, offset, limit)
        rows = _rows(conn, [int(matched[i]) for i in page])
    hits = []
    for i in page:
        rid = int(matched[i])
        if rid in rows:
            score = float(titled[i]) + 1 / (1 + float(table.lengths[rid]) / 1000)
            hits.append(_hit(rows[rid], score, words))
    return SearchPage(query, chosen, int(len(matched)), hits, table.counts(matched))


def _top(ids: np.ndarray[Any, Any], key: np.ndarray[Any, Any], offset: int, limit: int,
         ) -> list[int]:  # fmt: skip
    """Positions of the page ``[offset, offset + limit)`` by ``key``, then id: the
    smallest keys found in linear time, only those sorted."""
    wanted = offset + limit
    if len(key) > wanted:
        kth = np.partition(key, wanted - 1)[wanted - 1]
        below = np.flatnonzero(key < kth)
        ties = np.flatnonzero(key == kth)[: wanted - len(below)]  # ids ascending
        chosen = np.concatenate([below, ties])
    else:
        chosen = np.arange(len(key))
    ordered = chosen[np.lexsort((ids[chosen], key[chosen]))]
    return [int(i) for i in ordered[offset:wanted]]


def _rows(conn: sa.Connection, ids: list[int]) -> dict[int, Any]:
    if not ids:
        return {}
    columns = [resource.c[c] for c in ("id", "title", "type", "date", "licence", "source",
                                        "summary", "body", "transcript")]  # fmt: skip
    return {r.id: r for r in conn.execute(sa.select(*columns).where(resource.c.id.in_(ids)))}


def turn_lines(transcript: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """A transcript's turns as lines, ``speaker : words`` (``—`` for a speaker not said)."""
    return [f"{t.get('speaker') or '—'} : {t.get('text') or ''}" for t in transcript or []]


def text_of(body: str | None, transcript: Iterable[Mapping[str, Any]] | None) -> str:
    """The text of a resource as it is read and coded: its body, or for a transcript
    without one its turns, one a line (:func:`turn_lines`)."""
    return body if body else "\n".join(turn_lines(transcript))


def _hit(row: Any, score: float, words: list[str]) -> Hit:
    texts = [row.summary or "", row.body or "", *turn_lines(row.transcript)]
    return Hit(row.id, row.title, row.type, row.date.isoformat() if row.date else None,
               row.licence, row.source, score, passages(texts, words))  # fmt: skip


# -- highlighted passages ---------------------------------------------------------

_BOUNDARY = re.compile(r"[.!?…](?=\s)|\n")
PASSAGE_CHARS = 240
_ACCENTS = {"a": "aàâä", "c": "cç", "e": "eéèêë", "i": "iîï", "o": "oôö", "u": "uùûü", "y": "yÿ"}
_SCAN = 40  # matching words looked at per text, at most: long bodies cost little


@lru_cache(maxsize=4096)
def _pattern(stems: tuple[str, ...]) -> re.Pattern[str]:
    """Words starting like one of the (folded) stems, accents aside, in C."""
    alternatives = ["".join(f"[{_ACCENTS[c]}]" if c in _ACCENTS else re.escape(c) for c in s)
                    for s in stems]  # fmt: skip
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\w*", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)
def _stem_of(word: str) -> str:
    folded = fold(word)
    return "" if not folded or folded in stop_words() else stem(folded.replace(" ", ""))


def passages(texts: Sequence[str], words: Sequence[str], *, most: int = 2,
             ) -> list[list[tuple[str, bool]]]:  # fmt: skip
    """Up to ``most`` sentences of ``texts`` holding the most distinct query stems, cut
    around the first match to :data:`PASSAGE_CHARS`, the matching words marked; the
    first sentence stands in when no word matches (a facet-only search).

    Candidate words are found by one regular expression per query (accent-insensitive
    stem prefixes), then confirmed by their own stem.
    """
    wanted = frozenset(words)
    if not wanted:
        first = next((t for t in texts if t and t.strip()), "")
        return [_marked(_sentence_at(first, 0), frozenset())] if first else []
    pattern = _pattern(tuple(sorted(wanted)))
    sentences: dict[tuple[int, int], tuple[str, set[str]]] = {}
    said: dict[str, tuple[int, int]] = {}  # a sentence's words -> where it was first found
    for number, text in enumerate(texts):
        if not text:
            continue
        seen = 0
        for match in pattern.finditer(text):
            word_stem = _stem_of(match[0])
            if word_stem not in wanted:
                continue
            start, end = _bounds(text, match.start())
            # the same sentence twice (a summary that opens the body) is one passage
            where = said.setdefault(" ".join(text[start:end].split()), (number, start))
            found = sentences.setdefault(where, (text[start:end], set()))
            found[1].add(word_stem)
            seen += 1
            if seen == _SCAN:
                break
    best = sorted(sentences.items(), key=lambda kv: (-len(kv[1][1]), kv[0]))[:most]
    return [_marked(sentence, wanted) for _, (sentence, _) in sorted(best)]


def _bounds(text: str, position: int) -> tuple[int, int]:
    """The sentence of ``text`` around ``position``."""
    start = 0
    for cut in _BOUNDARY.finditer(text, max(0, position - 600), position):
        start = cut.end()
    after = _BOUNDARY.search(text, position)
    end = after.end() if after else len(text)
    return start, end


def _sentence_at(text: str, position: int) -> str:
    start, end = _bounds(text, position)
    return text[start:end]


_HEADING = re.compile(r"^#{1,6}\s+")  # a Markdown heading's marks (the Travail fiches' sections)


def _marked(sentence: str, wanted: frozenset[str]) -> list[tuple[str, bool]]:
    sentence = _HEADING.sub("", sentence.strip())
    spans = []
    if wanted:
        pattern = _pattern(tuple(sorted(wanted)))
        spans = [(m.start(), m.end()) for m in pattern.finditer(sentence)
                 if _stem_of(m[0]) in wanted]  # fmt: skip
    start = 0
    if len(sentence) > PASSAGE_CHARS:
        first = spans[0][0] if spans else 0
        start = max(0, first - PASSAGE_CHARS // 3)
    end = min(len(sentence), start + PASSAGE_CHARS)
    segments: list[tuple[str, bool]] = [("…", False)] if start else []
    cursor = start
    for a, b in spans:
        if a < start or b > end:
            continue
        if a > cursor:
            segments.append((sentence[cursor:a], False))
        segments.append((sentence[a:b], True))
        cursor = b
    segments.append((sentence[cursor:end] + ("…" if end < len(sentence) else ""), False))
    return [s for s in segments if s[0]]


# -- actors concerned: mentions accepted in one click -------------------------------


def _mention(conn: sa.Connection, resource_id: int, actor_id: int) -> Any:
    row = conn.execute(sa.select(resource_mention).where(
        resource_mention.c.resource_id == resource_id,
        resource_mention.c.actor_id == actor_id)).first()  # fmt: skip
    if row is None:
        from maillage.model.errors import NotFound

        raise NotFound("resource_mention", f"{resource_id}/{actor_id}")
    return row


def accept_mention(*, db: sa.Engine, resource_id: int, actor_id: int, user: str) -> Snapshot:
    """Link the resource to the actor it names (one click): the resource's actors gain
    it (audited, undoable like any edit) and the mention is marked accepted."""
    with transaction(db) as conn:
        _mention(conn, resource_id, actor_id)
        current = resources.get(conn, resource_id)
        after = current
        if actor_id not in current["actors"]:
            after = resources.update(conn, resource_id, {"actors": [*current["actors"], actor_id]},
                                     ctx=Context(user=user, source="mention"))  # fmt: skip
        _set_status(conn, resource_id, actor_id, "accepted")
    return after


def reject_mention(*, db: sa.Engine, resource_id: int, actor_id: int, user: str) -> None:
    """Set a proposed mention aside: it is not proposed again."""
    with transaction(db) as conn:
        _mention(conn, resource_id, actor_id)
        _set_status(conn, resource_id, actor_id, "rejected")


def _set_status(conn: sa.Connection, resource_id: int, actor_id: int, status: str) -> None:
    conn.execute(sa.update(resource_mention).where(
        resource_mention.c.resource_id == resource_id,
        resource_mention.c.actor_id == actor_id).values(status=status))  # fmt: skip


def find_mentions(*, db: sa.Engine, resource_ids: Sequence[int] | None = None) -> dict[str, int]:
    """Find the known actors named in resources (all, or ``resource_ids``) and propose
    each as a link resource ↔ actor (:mod:`maillage.io.resources.mentions`): one
    proposal per resource and actor, at its first mention; an actor already linked, or
    a proposal already accepted or set aside, is not proposed again. Proposals are
    derived data, like the search index: the audited change is the acceptance."""
    from maillage.io.resources.mentions import Known, MentionFinder
    from maillage.storage.tables import resource_actor

    with transaction(db) as conn:
        live = sa.text("deleted_at IS NULL AND merged_into_id IS NULL")
        finder = MentionFinder(
            Known(i, name, acronym)
            for i, name, acronym in conn.execute(
                sa.select(actor.c.id, actor.c.name, actor.c.acronym).where(live))
        )  # fmt: skip
        query = sa.select(resource.c.id).where(resource.c.deleted_at.is_(None))
        if resource_ids is not None:
            query = query.where(resource.c.id.in_(list(resource_ids)))
        ids = list(conn.execute(query.order_by(resource.c.id)).scalars())
        known = {(r, a) for r, a in conn.execute(sa.select(resource_mention.c.resource_id,
                                                           resource_mention.c.actor_id))}  # fmt: skip
        known |= {(r, a) for r, a in conn.execute(sa.select(resource_actor.c.resource_id,
                                                            resource_actor.c.actor_id))}  # fmt: skip
        proposed = 0
        for rid in ids:
            snap = resources.get(conn, rid)
            text = index.searchable_text(snap)
            first: dict[int, Any] = {}
            for mention in finder.find(text):
                first.setdefault(mention.actor_id, mention)
            rows = [{"resource_id": rid, "actor_id": m.actor_id, "surface": m.surface[:500],
                     "start": m.start, "score": m.score, "status": "proposed"}
                    for a, m in first.items() if (rid, a) not in known]  # fmt: skip
            if rows:
                conn.execute(sa.insert(resource_mention), rows)
                proposed += len(rows)
    return {"resources": len(ids), "proposed": proposed}
