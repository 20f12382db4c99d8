"""SQLite FTS5 backend: table ``actor_fts(tokens)`` keyed by the actor id (rowid)."""

from __future__ import annotations

import sqlalchemy as sa


def add(conn: sa.Connection, docs: list[tuple[int, str]]) -> None:
    # One row per statement: unlike plain tables (storage.bulk.insert_values), FTS5
    # gets slower with multi-row VALUES (measured: twice the instructions).
    if docs:
        conn.exec_driver_sql("INSERT INTO actor_fts(rowid, tokens) VALUES (?, ?)", docs)


def remove(conn: sa.Connection, ids: list[int]) -> None:
    if ids:
        conn.exec_driver_sql("DELETE FROM actor_fts WHERE rowid = ?", [(i,) for i in ids])


def search(conn: sa.Connection, tokens: list[str], *, limit: int) -> list[tuple[int, float]]:
    match = " ".join('"' + t.replace('"', '""') + '"' for t in tokens)
    rows = conn.exec_driver_sql(
        "SELECT rowid, -bm25(actor_fts) AS score FROM actor_fts WHERE actor_fts MATCH ? "
        "ORDER BY score DESC, rowid LIMIT ?",
        (match, limit),
    )
    return [(int(r[0]), float(r[1])) for r in rows]
