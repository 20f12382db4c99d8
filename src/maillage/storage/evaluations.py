"""The evaluation repository: an evaluation's state includes its answers.

An evaluation is written once with its answers (``evaluation_score`` rows); its
snapshot carries them under ``answers`` so that the audit log holds the whole of it
and undo (:mod:`maillage.storage.undo`) puts back, or takes away, the answers with it.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from maillage.storage import audit
from maillage.storage.audit import Context
from maillage.storage.repository import Repository, Snapshot, sparse
from maillage.storage.tables import evaluation, evaluation_score

ANSWER_COLUMNS = tuple(c.name for c in evaluation_score.columns if c.name != "evaluation_id")


class EvaluationRepository(Repository):
    """Audited access to evaluations and their answers."""

    def _attach_collections(self, conn: sa.Connection, rows: builtins.list[Snapshot]) -> None:
        by_id = {r["id"]: r for r in rows}
        for r in rows:
            r["answers"] = []
        if not by_id:
            return
        query = (
            sa.select(evaluation_score)
            .where(evaluation_score.c.evaluation_id.in_(list(by_id)))
            .order_by(evaluation_score.c.evaluation_id, evaluation_score.c.criterion)
        )
        for row in conn.execute(query):
            m = row._mapping
            by_id[m["evaluation_id"]]["answers"].append({c: m[c] for c in ANSWER_COLUMNS})

    def create_with_answers(
        self, conn: sa.Connection, values: Mapping[str, Any],
        answers: Sequence[Mapping[str, Any]], *, ctx: Context,
    ) -> Snapshot:  # fmt: skip
        """Insert one evaluation and its answers, audit the whole, return it."""
        now = audit.utcnow()
        row = {**values, "version": 1, "created_at": now, "updated_at": now}
        new_id = int(conn.execute(sa.insert(self.table).values(**row)).inserted_primary_key[0])  # type: ignore[index]
        if answers:
            conn.execute(sa.insert(evaluation_score),
                         [{**a, "evaluation_id": new_id} for a in answers])  # fmt: skip
        snap = self.snapshot(conn, new_id)
        assert snap is not None
        audit.record(conn, entity=self.entity, entity_id=new_id, action="create", before=None,
                     after=sparse(snap), ctx=ctx)  # fmt: skip
        return snap

    def restore(self, conn: sa.Connection, entity_id: int, snap: Snapshot | None) -> None:
        conn.execute(
            sa.delete(evaluation_score).where(evaluation_score.c.evaluation_id == entity_id)
        )
        super().restore(conn, entity_id, snap)
        if snap is not None and snap.get("answers"):
            conn.execute(sa.insert(evaluation_score), [
                {**{c: a.get(c) for c in ANSWER_COLUMNS}, "evaluation_id": entity_id}
                for a in snap["answers"]
            ])  # fmt: skip


evaluations = EvaluationRepository("evaluation", evaluation)
