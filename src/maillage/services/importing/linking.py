"""Imported links: their ends found among stored and new actors, duplicates left out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, MaillageError
from maillage.model.records import ImportIssue, LinkRecord
from maillage.services.importing.cleaning import _with_origin
from maillage.services.importing.identity import _ActorPlan, _Batch, _Identities
from maillage.services.importing.report import LINK_VALUE_FIELDS
from maillage.services.validation import (
    clean_link,
)
from maillage.storage.tables import (
    link,
)


def _link_values(
    record: LinkRecord, ends: Callable[[str | None], int | None], source: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for end in ("source", "target"):
        key = getattr(record, f"{end}_key")
        actor_id = getattr(record, f"{end}_id") or ends(key)
        if actor_id is None:
            raise InvalidInput(
                f"{end}_key",
                key,
                "aucun acteur de cette source ne porte ce code (ni ce SIRET/SIREN/RNA)",
                "no actor of this source has this key (nor SIRET/SIREN/RNA)",
            )
        values[f"{end}_id"] = actor_id
    try:
        values["kind"] = taxonomy.resolve("link_kinds", record.kind, field="kind")
    except MaillageError:
        values["kind"] = record.kind  # clean_link names the allowed values
    for name in LINK_VALUE_FIELDS:
        value = getattr(record, name)
        if value not in (None, [], ""):
            values[name] = value
    if record.territory:
        values["territory_code"] = record.territory
    values["directed"] = record.directed
    values["source"] = source
    values["extra"] = _with_origin(record.extra, record.source, source)
    if record.kind != values["kind"]:
        values["extra"]["source_kind"] = record.kind
    return values


def _end_finder(
    conn: sa.Connection, plan: _ActorPlan, source: str
) -> Callable[[str | None], int | None]:
    """Resolve a link end: a key of this import, of this source, or a SIRET/SIREN/RNA."""
    stored = _Identities.load(conn, source)
    prefix = f"source:{source}:"
    keys = {k[len(prefix) :]: v for k, v in stored.by_key.items()}

    def find(key: str | None) -> int | None:
        if not key:
            return None
        if key in plan.ids:
            return plan.ids[key]
        if key in keys:
            return keys[key]
        digits = "".join(ch for ch in key if ch.isalnum()).upper()
        for scheme in ("siret", "siren", "rna"):
            ident = f"{scheme}:{digits}"
            if ident in plan.idents:
                return plan.idents[ident]
            found = stored.by_ident.get(ident, ())
            if len(found) == 1:
                return found[0]
        return None

    return find


def _with_reference(record: LinkRecord, exc: InvalidInput) -> InvalidInput:
    """The refusal of a link as reported: the record's reference in its source named
    (a DECP contract's ``uid``, the record to look up in a JSON file)."""
    if not record.source_ref:
        return exc
    return InvalidInput(exc.field, exc.value, f"{exc.rule} (réf. {record.source_ref})",
                        f"{exc.rule_en} (ref. {record.source_ref})")  # fmt: skip


def _link_identity(values: dict[str, Any]) -> tuple[Any, ...]:
    start = values.get("start_date")
    if isinstance(start, dt.date):
        start = start.isoformat()
    return (values["source_id"], values["target_id"], values["kind"], start,
            values.get("source_ref"))  # fmt: skip


def _stored_links(conn: sa.Connection, source: str) -> set[tuple[Any, ...]]:
    query = sa.select(
        link.c.source_id, link.c.target_id, link.c.kind, link.c.start_date, link.c.source_ref
    ).where(link.c.source == source, link.c.deleted_at.is_(None))
    return {
        (s, t, k, d.isoformat() if isinstance(d, dt.date) else d, ref)
        for s, t, k, d, ref in conn.execute(query)
    }


def _plan_links(
    conn: sa.Connection, batch: _Batch, plan: _ActorPlan, source: str
) -> list[dict[str, Any]]:
    """Validate every link (ends resolved, stand-ins for new actors); drop known ones."""
    ends = _end_finder(conn, plan, source)
    existing = _stored_links(conn, source)
    planned: set[tuple[Any, ...]] = set()
    twice = 0
    new: list[dict[str, Any]] = []
    for record, row in zip(batch.links, batch.link_rows, strict=True):
        try:
            values = clean_link(_link_values(record, ends, source))
        except InvalidInput as exc:
            name = f"lien {record.source_key} → {record.target_key}"
            key = record.target_key if exc.field == "target_id" else record.source_key
            exc = _with_reference(record, exc)
            batch.reject("links", row, name, exc, key if exc.field.endswith("_id") else None)
            continue
        identity = _link_identity(values)
        if identity in existing:
            batch.report.count("links", "unchanged")
            twice += identity in planned
            continue
        existing.add(identity)
        planned.add(identity)
        new.append(values)
    if twice:
        batch.warn(ImportIssue(None, "links", twice, f"{twice} lien(s) en double dans le "
                               "fichier (mêmes extrémités, type, date et référence) : gardés "
                               "une fois", severity="warning"))  # fmt: skip
    batch.advance(len(batch.links))
    batch.report.count("links", "created", len(new))
    return new
