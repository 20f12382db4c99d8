"""French full-text search over actors, one interface for both engines.

Both backends index the same tokens, computed in Python by
:func:`maillage.model.text.search_tokens` (accent folding, French stop words,
Snowball French stemmer), so a query finds the same actors on SQLite (FTS5) and
PostgreSQL (``tsvector('french')`` with a GIN index).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import methodcaller
from typing import Any

import sqlalchemy as sa

from maillage.model.text import search_tokens, search_tokens_many
from maillage.storage.repository import BulkIndex
from maillage.storage.search import postgres_tsvector, sqlite_fts5
from maillage.storage.tables import actor, territory


@dataclass(frozen=True, slots=True)
class Hit:
    actor_id: int
    rank: float


def _backend(conn: sa.Connection):  # type: ignore[no-untyped-def]
    return sqlite_fts5 if conn.dialect.name == "sqlite" else postgres_tsvector


def document_tokens(
    name: str | None, acronym: str | None, description: str | None, commune_tokens: str | None
) -> str:
    """The indexed tokens of one actor: its texts, then its commune's name.

    ``commune_tokens`` are the commune name's tokens, stored with the geography
    (``territory.search_tokens``) so that imports do not stem them again.
    """
    return _with_place(search_tokens(_own_text(name, acronym, description)), commune_tokens)


def _own_text(name: str | None, acronym: str | None, description: str | None) -> str:
    return " ".join(filter(None, (name, acronym, description)))


def _with_place(own: str, commune_tokens: str | None) -> str:
    return f"{own} {commune_tokens}" if own and commune_tokens else own or commune_tokens or ""


def index_actors(conn: sa.Connection, ids: Sequence[int]) -> None:
    """(Re)index the given actors from their stored fields; drop deleted ones."""
    if not ids:
        return
    commune = territory.alias("commune")
    rows: list[Any] = []
    for start in range(0, len(ids), 5000):
        chunk = list(ids[start : start + 5000])
        query = (
            sa.select(
                actor.c.id,
                actor.c.name,
                actor.c.acronym,
                actor.c.description,
                commune.c.search_tokens,
                actor.c.deleted_at,
            )
            .select_from(
                actor.outerjoin(
                    commune, commune.c.code == sa.literal("COM:") + actor.c.commune_code
                )
            )
            .where(actor.c.id.in_(chunk))
        )
        rows.extend(conn.execute(query))
    backend = _backend(conn)
    backend.remove(conn, list(ids))
    backend.add(
        conn, [(r[0], document_tokens(r[1], r[2], r[3], r[4])) for r in rows if r[5] is None]
    )


def _commune_tokens(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    column = territory.c.search_tokens
    if len(rows) > 5000:  # all of them: cheaper than a long IN list
        query = sa.select(territory.c.code, column).where(territory.c.level == "commune")
        return {code[4:]: tokens for code, tokens in conn.execute(query) if tokens}
    codes = sorted({"COM:" + str(r["commune_code"]) for r in rows if r.get("commune_code")})
    found: dict[str, str] = {}
    for start in range(0, len(codes), 5000):
        query = sa.select(territory.c.code, column).where(
            territory.c.code.in_(codes[start : start + 5000])
        )
        found.update((code[4:], tokens) for code, tokens in conn.execute(query) if tokens)
    return found


def _documents(communes: dict[str, str], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """:func:`document_tokens` of many rows, their texts tokenised in one pass (each
    field read column by column; rows without acronym or description give their name)."""
    names, acronyms, descriptions, codes = (
        list(map(methodcaller("get", field), rows))
        for field in ("name", "acronym", "description", "commune_code")
    )
    texts = (
        list(map(_own_text, names, acronyms, descriptions))
        if any(acronyms) or any(descriptions)
        else names
    )
    owns = search_tokens_many(texts)
    places = list(map(communes.get, codes))  # None or "" for no commune: neither is a key
    if None not in places and all(owns):  # both parts everywhere
        return list(map("{} {}".format, owns, places))
    return list(map(_with_place, owns, places))


def _write_documents(conn: sa.Connection, ids: Sequence[int], docs: Sequence[str]) -> None:
    _backend(conn).add(conn, list(zip(ids, docs, strict=True)))


#: How bulk inserts of actors keep the index in sync (see Repository.create_many).
ACTOR_BULK_INDEX = BulkIndex(prepare=_commune_tokens, compute=_documents, write=_write_documents)


def remove_actors(conn: sa.Connection, ids: Sequence[int]) -> None:
    _backend(conn).remove(conn, list(ids))


def search(conn: sa.Connection, query: str, *, limit: int = 50) -> list[Hit]:
    """Actors matching every word of ``query`` (stemmed), best first. A query that is
    an e-mail address finds first the actors that carry it (:func:`by_email`)."""
    words = search_tokens(query).split()
    if not words:
        return []
    first = by_email(conn, query.strip(), limit=limit) if _EMAIL.fullmatch(query.strip()) else []
    hits = [Hit(i, EMAIL_RANK) for i in first]
    found = _backend(conn).search(conn, words, limit=limit)
    hits += [Hit(i, r) for i, r in found if i not in first]
    return hits[:limit]


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
EMAIL_RANK = 1000.0
"""The rank of an actor found by its e-mail: above any text match."""


def by_email(conn: sa.Connection, address: str, *, limit: int = 50) -> list[int]:
    """The live actors carrying the e-mail ``address`` (case aside), by id: as their
    ``email``, or among the others kept in ``extra`` (a text of e-mails separated by
    ``|``: the other e-mails of a cell, or of a repeated row, of an imported file)."""
    wanted = address.casefold()
    pattern = "%" + wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = (
        sa.select(actor.c.id, actor.c.email, actor.c.extra)
        .where(
            actor.c.deleted_at.is_(None),
            sa.or_(
                sa.func.lower(actor.c.email) == wanted,
                sa.func.lower(sa.cast(actor.c.extra, sa.Text)).like(pattern, escape="\\"),
            ),
        )
        .order_by(actor.c.id)
    )
    found = []
    for actor_id, email, extra in conn.execute(query):
        texts = [email, *(v for v in (extra or {}).values() if isinstance(v, str))]
        if any(wanted == part.strip().casefold() for t in texts if t for part in t.split("|")):
            found.append(actor_id)
            if len(found) == limit:
                break
    return found
