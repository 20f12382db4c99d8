"""PostgreSQL backend: ``actor_search(actor_id, tokens, tsv)``, tsv generated as
``to_tsvector('french', tokens)`` and indexed with GIN."""

from __future__ import annotations

import sqlalchemy as sa


def add(conn: sa.Connection, docs: list[tuple[int, str]]) -> None:
    if docs:
        conn.execute(
            sa.text("INSERT INTO actor_search (actor_id, tokens) VALUES (:i, :t)"),
            [{"i": i, "t": t} for i, t in docs],
        )


def remove(conn: sa.Connection, ids: list[int]) -> None:
    if ids:
        conn.execute(sa.text("DELETE FROM actor_search WHERE actor_id = ANY(:ids)"), {"ids": ids})


def search(conn: sa.Connection, tokens: list[str], *, limit: int) -> list[tuple[int, float]]:
    rows = conn.execute(
        sa.text(
            "SELECT actor_id, ts_rank(tsv, q) AS score "
            "FROM actor_search, plainto_tsquery('french', :q) AS q WHERE tsv @@ q "
            "ORDER BY score DESC, actor_id LIMIT :limit"
        ),
        {"q": " ".join(tokens), "limit": limit},
    )
    return [(int(r[0]), float(r[1])) for r in rows]
