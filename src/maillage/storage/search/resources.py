"""French full-text index of resources, one interface for both engines.

As for actors (:mod:`maillage.storage.search`), both engines index the same tokens
computed in Python by :func:`maillage.model.text.search_tokens`: FTS5
``resource_fts`` and ``resource_title_fts`` on SQLite, ``resource_search``
(tsvector + GIN, ``tsv`` and ``title_tsv``) on PostgreSQL, so a query finds the same
resources on both. The tokens are French stems already, so PostgreSQL reads them with
the ``simple`` configuration (its ``french`` one would stem them again). Queries return every matching id at once
(:func:`matching_ids`); ranking is done from them by the service, the same on both. A resource's facet values
(type, year, licence, themes, territories, worlds of the actors concerned) are
indexed too, as one token each (:func:`facet_token`): a facet filter is one more
term of the query, intersected by the index itself. Every indexing bumps
``resource_index_state.generation``, by which cached facet tables know they are stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa

from maillage.model.text import fold, search_tokens
from maillage.storage.repository import BulkIndex
from maillage.storage.tables import actor, resource, resource_actor

FACETS = ("type", "theme", "territory", "world", "year", "licence")


def facet_token(facet: str, value: object) -> str:
    """The index token of one facet value: ``zz`` + facet + folded value, letters and
    digits only (``facet_token("type", "guide")`` is ``"zztypeguide"``)."""
    return "zz" + facet + fold(str(value)).replace(" ", "")


def facet_values(row: Mapping[str, Any], worlds: Iterable[str] = ()) -> dict[str, list[str]]:
    """The facet values of a resource row (its collections included)."""
    date = row.get("date")
    if isinstance(date, str) and date:
        date = dt.date.fromisoformat(date[:10])
    return {
        "type": [row["type"]] if row.get("type") else [],
        "theme": list(row.get("themes") or []),
        "territory": list(row.get("territories") or []),
        "world": sorted(set(worlds)),
        "year": [str(date.year)] if isinstance(date, dt.date) else [],
        "licence": [row["licence"]] if row.get("licence") else [],
    }


def searchable_text(row: Mapping[str, Any]) -> str:
    """The words of a resource that search finds: title, summary, body, transcript,
    speakers, authors, themes."""
    turns = " ".join(str(t.get("text") or "") for t in row.get("transcript") or [])
    parts = [row.get("title"), row.get("summary"), row.get("body"), turns,
             " ".join(row.get("speakers") or []), " ".join(row.get("authors") or []),
             " ".join(row.get("themes") or [])]  # fmt: skip
    return "\n".join(p for p in parts if p)


def document_tokens(row: Mapping[str, Any], worlds: Iterable[str] = ()) -> str:
    """The indexed tokens of one resource: its title's on the first line, then the
    tokens of its other words and one token per facet value. Search finds every token;
    the first line also goes to the title index (a line break separates tokens like a
    space on both engines)."""
    facets = facet_values(row, worlds)
    rest = [search_tokens(searchable_text({**row, "title": None}))]
    rest += [facet_token(f, v) for f, values in facets.items() for v in values]
    return search_tokens(row.get("title")) + "\n" + " ".join(t for t in rest if t)


def _worlds(conn: sa.Connection, ids: Sequence[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for start in range(0, len(ids), 5000):
        query = (
            sa.select(resource_actor.c.resource_id, actor.c.world)
            .join(actor, actor.c.id == resource_actor.c.actor_id)
            .where(resource_actor.c.resource_id.in_(ids[start : start + 5000]),
                   actor.c.world.is_not(None))
        )  # fmt: skip
        for rid, world in conn.execute(query):
            found.setdefault(rid, set()).add(world)
    return found


def index_resources(conn: sa.Connection, ids: Sequence[int]) -> None:
    """(Re)index the given resources from their stored state; drop deleted ones."""
    if not ids:
        return
    from maillage.storage.registry import resources  # the repository reads collections

    rows = [r for i in ids if (r := resources.snapshot(conn, i)) and r["deleted_at"] is None]
    worlds = _worlds(conn, [r["id"] for r in rows])
    remove_resources(conn, ids)
    _add(conn, [(r["id"], document_tokens(r, worlds.get(r["id"], ()))) for r in rows])


def remove_resources(conn: sa.Connection, ids: Sequence[int]) -> None:
    if not ids:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DELETE FROM resource_fts WHERE rowid = ?", [(i,) for i in ids])
        conn.exec_driver_sql("DELETE FROM resource_title_fts WHERE rowid = ?", [(i,) for i in ids])
    else:
        conn.execute(sa.text("DELETE FROM resource_search WHERE resource_id = ANY(:ids)"),
                     {"ids": list(ids)})  # fmt: skip
    bump(conn)


def _add(conn: sa.Connection, docs: list[tuple[int, str]]) -> None:
    if docs:
        titles = [(i, t.partition("\n")[0]) for i, t in docs]
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("INSERT INTO resource_fts(rowid, tokens) VALUES (?, ?)", docs)
            conn.exec_driver_sql("INSERT INTO resource_title_fts(rowid, tokens) VALUES (?, ?)",
                                 titles)  # fmt: skip
        else:
            conn.execute(sa.text("INSERT INTO resource_search (resource_id, title_tokens, tsv, "
                                 "title_tsv) VALUES (:i, :title, to_tsvector('simple', :t), "
                                 "to_tsvector('simple', :title))"),
                         [{"i": i, "t": t, "title": title}
                          for (i, t), (_, title) in zip(docs, titles, strict=True)])  # fmt: skip
    bump(conn)


def bump(conn: sa.Connection) -> None:
    conn.execute(sa.text("UPDATE resource_index_state SET generation = generation + 1"))


def generation(conn: sa.Connection) -> int:
    return int(conn.execute(sa.text("SELECT generation FROM resource_index_state")).scalar_one())


def _prepare(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    wanted = sorted({a for r in rows for a in r.get("actors") or []})
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 5000):
        query = sa.select(actor.c.id, actor.c.world).where(
            actor.c.id.in_(wanted[start : start + 5000]))  # fmt: skip
        found.update((i, w) for i, w in conn.execute(query) if w)
    return found


def _compute(worlds: dict[int, str], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return [document_tokens(r, {worlds[a] for a in r.get("actors") or [] if a in worlds})
            for r in rows]  # fmt: skip


def _write(conn: sa.Connection, ids: Sequence[int], docs: Sequence[str]) -> None:
    _add(conn, list(zip(ids, docs, strict=True)))


#: How bulk inserts of resources keep the index in sync (see Repository.create_many).
RESOURCE_BULK_INDEX = BulkIndex(prepare=_prepare, compute=_compute, write=_write)


# -- queries ----------------------------------------------------------------------


def match_expression(dialect: str, words: Sequence[str], groups: Sequence[Sequence[str]]) -> str:
    """The engine's query: every word, and one token of each facet group."""
    if dialect == "sqlite":
        parts = ['"' + w.replace('"', '""') + '"' for w in words]
        parts += ["(" + " OR ".join(f'"{t}"' for t in g) + ")" for g in groups]
        return " AND ".join(parts)
    parts = [_ts_word(w) for w in words]
    parts += ["(" + " | ".join(g) + ")" for g in groups]
    return " & ".join(p for p in parts if p)


def _ts_word(word: str) -> str:
    """One word as a tsquery operand (the tokens are letters and digits already)."""
    return "".join(c for c in word if c.isalnum())


def matching_ids(conn: sa.Connection, expression: str) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Every resource matching ``expression``, as a sorted array of ids, in one round trip."""
    if conn.dialect.name == "sqlite":
        text = conn.exec_driver_sql(
            "SELECT group_concat(rowid) FROM resource_fts WHERE resource_fts MATCH ?",
            (expression,),
        ).scalar()
    else:
        text = conn.execute(
            sa.text("SELECT string_agg(resource_id::text, ',') FROM resource_search "
                    "WHERE tsv @@ to_tsquery('simple', :q)"), {"q": expression},
        ).scalar()  # fmt: skip
    if not text:
        return np.zeros(0, dtype=np.int64)
    found = np.fromstring(text, dtype=np.int64, sep=",")  # parsed in C: 20x split()
    return found if conn.dialect.name == "sqlite" else np.sort(found)  # FTS5: by rowid


def title_tokens(conn: sa.Connection) -> Iterable[tuple[int, str]]:
    """``(resource id, title tokens)`` of every indexed resource."""
    if conn.dialect.name == "sqlite":
        yield from conn.exec_driver_sql("SELECT rowid, tokens FROM resource_title_fts")
    else:
        yield from conn.execute(sa.text("SELECT resource_id, title_tokens FROM resource_search"))


def sizes(conn: sa.Connection) -> Iterable[tuple[int, int]]:
    """``(resource id, characters)`` of every live resource: the length of its words
    (title, summary, body, transcript), for ranking."""

    def length(column: Any) -> Any:
        return sa.func.coalesce(sa.func.length(column), 0)

    size = (length(resource.c.title) + length(resource.c.summary) + length(resource.c.body)
            + length(sa.cast(resource.c.transcript, sa.Text)))  # fmt: skip
    yield from conn.execute(sa.select(resource.c.id, size).where(resource.c.deleted_at.is_(None)))


def days(conn: sa.Connection) -> Iterable[tuple[int, int]]:
    """``(resource id, date as a day number)`` of every dated live resource."""
    query = sa.select(resource.c.id, resource.c.date).where(
        resource.c.deleted_at.is_(None), resource.c.date.is_not(None))  # fmt: skip
    for rid, date in conn.execute(query):
        day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date)[:10])
        yield rid, day.toordinal()


def facet_rows(conn: sa.Connection) -> Iterable[tuple[int, str, str]]:
    """``(resource id, facet, value)`` of every live resource (for the facet tables)."""
    from maillage.storage.tables import resource_territory, resource_theme

    live = resource.c.deleted_at.is_(None)
    for rid, kind, date, licence in conn.execute(
        sa.select(resource.c.id, resource.c.type, resource.c.date, resource.c.licence).where(live)
    ):
        yield rid, "type", kind
        if date is not None:
            yield rid, "year", str(date.year if isinstance(date, dt.date) else str(date)[:4])
        if licence:
            yield rid, "licence", licence
    for table, column, facet in ((resource_theme, "theme", "theme"),
                                 (resource_territory, "territory_code", "territory")):  # fmt: skip
        query = sa.select(table.c.resource_id, table.c[column]).join(
            resource, resource.c.id == table.c.resource_id).where(live)  # fmt: skip
        for rid, value in conn.execute(query):
            yield rid, facet, value
    query = (
        sa.select(resource_actor.c.resource_id, actor.c.world).distinct()
        .join(actor, actor.c.id == resource_actor.c.actor_id)
        .join(resource, resource.c.id == resource_actor.c.resource_id)
        .where(live, actor.c.world.is_not(None))
    )  # fmt: skip
    for rid, world in conn.execute(query):
        yield rid, "world", world
