"""Bulk inserts: many rows per statement must store every row exactly, on both engines."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from stdnum import luhn

from builders import make_actor
from maillage.services import actors, history
from maillage.storage import bulk, registry
from maillage.storage.audit import Context, open_batch, utcnow
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


def _indexes(engine: sa.Engine) -> list[tuple[str, str]]:
    """Every index of the database with its definition."""
    if engine.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(query)]


def _bulk_create(engine: sa.Engine, rows: list[dict[str, object]]) -> list[int]:
    with transaction(engine) as conn:
        batch_id = open_batch(conn, kind="import", label="test", user="test")
        return registry.actors.create_many(conn, rows, ctx=Context("test", None, batch_id))


def test_a_large_bulk_create_builds_its_indexes_after_the_rows(
    db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Indexes are set aside (SQLite) for a bulk insert larger than the stored rows
    # and at least REINDEX_MIN_ROWS (20,000 in use; 100 here to keep the test short).
    monkeypatch.setattr(bulk, "REINDEX_MIN_ROWS", 100)
    indexes = _indexes(db)
    assert ("ix_actor_siret" in {name for name, _ in indexes}) is True
    rows: list[dict[str, object]] = [
        {"name": f"Association {i}", "siret": siret, "siren": siret[:9], "commune_code": "59350",
         "identifiers": [f"source:test:{i}"]}
        for i, siret in enumerate(sirets(300))
    ]  # fmt: skip
    ids = _bulk_create(db, rows)
    assert _indexes(db) == indexes  # all back, as they were
    with db.connect() as conn:
        by_siret = sa.select(actor.c.id).where(actor.c.siret == rows[150]["siret"])
        assert conn.execute(by_siret).scalar_one() == ids[150]
        if db.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM actor WHERE siret = ?", (rows[150]["siret"],)
            ))  # fmt: skip
            assert "ix_actor_siret" in plan
    # A bulk create that fails half-way leaves the rows and the indexes as they were.
    stored = dump(db)
    more = [{**r, "name": f"Autre {i}", "siret": siret, "siren": siret[:9],
             "identifiers": [f"source:test:b{i}"]}
            for i, (r, siret) in enumerate(zip(rows, sirets(600)[300:], strict=True))]  # fmt: skip
    more[250]["name"] = None  # NOT NULL: the insert of the last statement fails
    with pytest.raises(sa.exc.IntegrityError):
        _bulk_create(db, more)
    assert _indexes(db) == indexes
    assert dump(db) == stored


def sirets(count: int) -> list[str]:
    """``count`` distinct SIRETs with right check digits."""
    out = []
    for i in range(count):
        siren = f"{30000000 + i:08d}"
        siren += luhn.calc_check_digit(siren)
        siret = siren + "0001"
        out.append(siret + luhn.calc_check_digit(siret))
    return out
