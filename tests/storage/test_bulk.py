"""Bulk inserts: many rows per statement must store every row exactly, on both engines."""

from __future__ import annotations

import sqlalchemy as sa

from builders import make_actor
from maillage.services import actors, history
from maillage.storage import bulk
from maillage.storage.audit import utcnow
from maillage.storage.engine import transaction
from maillage.storage.tables import actor, actor_theme, change
from storage.dump import dump


def test_a_bulk_create_across_statement_boundaries_stores_every_row(db: sa.Engine) -> None:
    # 1,234 actors: two full statements of 500 rows and a last one of 234.
    start = dump(db)
    rows = [
        make_actor(
            name=f"Tiers-lieu l'Atelier n°{i} ?",  # a quote and a question mark in values
            description="médiation numérique " * (i % 7),
            themes=["inclusion-numerique", f"theme-{i % 3}"],
        )
        for i in range(1234)
    ]
    batch_id, ids = actors.create_actors(db=db, rows=rows)
    assert len(ids) == 1234
    with db.connect() as conn:
        query = sa.select(actor.c.id, actor.c.name).where(actor.c.id.in_(ids))
        names = {i: name for i, name in conn.execute(query)}
        themes = conn.execute(
            sa.select(actor_theme.c.actor_id, actor_theme.c.theme).where(
                actor_theme.c.actor_id.in_(ids)
            )
        ).all()
        audited = conn.execute(
            sa.select(sa.func.count()).select_from(change).where(change.c.batch_id == batch_id)
        ).scalar_one()
    assert [names[i] for i in ids] == [r["name"] for r in rows]
    assert sorted(themes) == sorted(
        (i, t) for i, r in zip(ids, rows, strict=True) for t in r["themes"]
    )
    assert audited == 1234
    # the last rows (the short statement) are searchable like the first ones
    found = {a["id"] for a in actors.search_actors(db=db, query="Atelier 1233", limit=5)}
    assert ids[-1] in found
    history.undo_batch(db=db, batch_id=batch_id)
    assert dump(db) == start


def test_long_constant_values_are_stored_on_every_row(db: sa.Engine) -> None:
    # A 50,000-character constant (written into the statement as a literal on
    # SQLite) on 11 rows: a few rows per statement, each row complete.
    note = {"note": "x" * 50_000 + "'"}
    rows = [(1_000_000 + i, {"id": 1_000_000 + i}) for i in range(11)]
    with transaction(db) as conn:
        bulk.insert_records(
            conn,
            change,
            ("entity_id", "after"),
            rows,
            {"entity": "test", "action": "create", "user": "cli", "before": note, "at": utcnow()},
        )
    with db.connect() as conn:
        stored = conn.execute(
            sa.select(change.c.entity_id, change.c.before, change.c.after)
            .where(change.c.entity == "test")
            .order_by(change.c.entity_id)
        ).all()
    assert [(i, before, after) for i, before, after in stored] == [
        (i, note, after) for i, after in rows
    ]
