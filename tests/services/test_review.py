"""Identity resolution on stored actors, on SQLite and PostgreSQL: merges, queue, undo."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from builders import valid_siret
from maillage.io.resolve import MERGE_THRESHOLD, REVIEW_THRESHOLD
from maillage.model.errors import Conflict, NotFound
from maillage.model.records import ActorRecord, LinkRecord
from maillage.services import history, importing, review
from maillage.storage.registry import actors
from maillage.storage.tables import actor_identifier
from storage.dump import dump

LILLE = {"postcode": "59000", "commune_code": "59350"}


def _store(db: sa.Engine, records: list[ActorRecord], ties: list[LinkRecord] = ()) -> list[int]:  # type: ignore[assignment]
    """Import records (and links) of source ``t``; return the actor ids in record order."""
    assert importing.import_actors(db=db, records=records, source="t").status == "done"
    if ties:
        assert importing.import_links(db=db, records=ties, source="t").status == "done"
    with db.connect() as conn:
        rows = conn.execute(sa.select(actor_identifier.c.identifier, actor_identifier.c.actor_id))
        ids = {ident: actor_id for ident, actor_id in rows}
    return [ids[f"source:t:{r.key}"] for r in records]


def _emmaus(key: str, name: str, address: str, **extra: object) -> ActorRecord:
    return ActorRecord(name=name, key=key, address=address, latitude=50.6366,
                       longitude=3.0590, **LILLE, **extra)  # type: ignore[arg-type]  # fmt: skip


def test_run_merges_a_sure_pair_and_undo_batch_reverses_it_exactly(db: sa.Engine) -> None:
    a, b, c = _store(db, [
        _emmaus("a", "Emmaüs Connect", "12 rue Nationale", siret=valid_siret(11)),
        _emmaus("b", "EMMAUS CONNECT LILLE", "12 r. Nationale", website="https://emmaus-connect.org",
                themes=["inclusion-numerique"]),
        ActorRecord(name="Médiathèque Jean Lévy", key="c", address="32 rue Edouard Delesalle",
                    **LILLE),  # type: ignore[arg-type]
    ], [LinkRecord(source_key="b", target_key="c"), LinkRecord(source_key="a", target_key="b")])  # fmt: skip
    before = dump(db)
    report = review.run(db=db)
    assert (report.merged, report.queued) == (1, 0)
    (merge,) = report.merges
    assert (merge.survivor_id, merge.merged_ids) == (a, [b])  # the one with a SIRET survives
    assert (merge.links_repointed, merge.links_removed) == (1, 1)
    with db.connect() as conn:
        survivor = actors.get(conn, a)
        ghost = actors.get(conn, b, include_deleted=True)
        ends = conn.exec_driver_sql(
            "SELECT source_id, target_id FROM link WHERE deleted_at IS NULL"
        ).all()
    assert survivor["website"] == "https://emmaus-connect.org"
    assert survivor["themes"] == ["inclusion-numerique"]
    assert {f"alias:{b}", "source:t:a", "source:t:b"} <= set(survivor["identifiers"])
    assert ghost["merged_into_id"] == a and ghost["deleted_at"] is not None
    assert [tuple(e) for e in ends] == [(a, c)]
    assert review.run(db=db).merged == 0  # nothing left to merge
    history.undo_batch(db=db, batch_id=merge.batch_id)  # type: ignore[arg-type]
    assert dump(db) == before


def _mosaique(db: sa.Engine) -> list[int]:
    """Two records of one social centre scoring in the review band (0.6 <= s < 0.8)."""
    return _store(db, [
        ActorRecord(name="Centre social de la Mosaïque", key="d", address="5 place du Marché",
                    latitude=50.63, longitude=3.05, **LILLE),  # type: ignore[arg-type]
        ActorRecord(name="Centre social Mosaique - espace numérique", key="e",
                    address="7 place du Marché", latitude=50.6302, longitude=3.0503, **LILLE),  # type: ignore[arg-type]
    ])  # fmt: skip


def test_a_doubtful_pair_is_queued_and_not_the_same_is_remembered(db: sa.Engine) -> None:
    d, e = _mosaique(db)
    report = review.run(db=db)
    assert (report.merged, report.queued) == (0, 1)
    (item,) = review.list_pending(db=db)
    assert (item.left["id"], item.right["id"]) == (d, e)
    assert MERGE_THRESHOLD > item.score >= REVIEW_THRESHOLD
    assert review.reject(db=db, left_id=e, right_id=d).decision == "different"
    assert review.list_pending(db=db) == []
    again = review.run(db=db, merge_threshold=0.7, review_threshold=0.6)
    assert (again.candidates, again.skipped_decided, again.merged, again.queued) == (1, 1, 0, 0)
    assert [c.decision for c in review.find_candidates(db=db)] == ["different"]


def test_accepting_a_queued_pair_merges_it_in_one_undoable_batch(db: sa.Engine) -> None:
    d, e = _mosaique(db)
    review.run(db=db)
    before = dump(db)
    result = review.accept(db=db, left_id=d, right_id=e)
    assert (result.survivor_id, result.merged_ids) == (d, [e])
    assert review.list_pending(db=db) == []
    with pytest.raises(Conflict):
        review.reject(db=db, left_id=d, right_id=e)  # already merged: undo first
    with pytest.raises(Conflict):
        review.accept(db=db, left_id=e, right_id=d)
    history.undo_batch(db=db, batch_id=result.batch_id)  # type: ignore[arg-type]
    assert dump(db) == before
    with pytest.raises(NotFound):
        review.accept(db=db, left_id=d, right_id=999_999)


def test_no_merge_across_a_rejected_pair(db: sa.Engine) -> None:
    x, y, z = _store(db, [_emmaus(k, "Emmaüs Connect", "12 rue Nationale") for k in "xyz"])
    review.reject(db=db, left_id=x, right_id=z)
    before = dump(db)
    dry = review.run(db=db, dry_run=True)
    assert dump(db) == before and [m.merged_ids for m in dry.merges] == [[y]]
    report = review.run(db=db)
    assert [(m.survivor_id, m.merged_ids) for m in report.merges] == [(x, [y])]
    assert report.queued == 0  # x and z stay apart and are not proposed again
    with pytest.raises(Conflict, match="différente"):
        review.accept(db=db, left_id=y, right_id=z)  # y now lives in x, declared != z
    assert review.run(db=db).merged == 0
