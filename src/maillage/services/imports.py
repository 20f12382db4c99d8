"""Imports of parsed records (actors and links) into the database.

One import is one transaction, one audit batch and one ``import_run`` row:
all or nothing by default (any rejected row and nothing is written),
``partial`` keeps the valid rows. Re-importing the same source updates the
actors it created (matched by their source key, then SIRET, SIREN, RNA)
instead of duplicating them, and skips links already stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, MaillageError
from maillage.model.records import ActorRecord, ImportIssue, LinkRecord
from maillage.model.text import fold
from maillage.services.validation import check_communes, check_territories, clean_actor, clean_link
from maillage.storage.audit import Context, open_batch, utcnow
from maillage.storage.engine import transaction
from maillage.storage.registry import actors, links
from maillage.storage.tables import actor, actor_identifier, import_run, link, territory

ACTOR_VALUE_FIELDS = (
    "name",
    "acronym",
    "description",
    "world",
    "category",
    "digital_profile",
    "siren",
    "siret",
    "rna",
    "legal_form",
    "naf",
    "address",
    "postcode",
    "commune_code",
    "latitude",
    "longitude",
    "website",
    "email",
    "phone",
    "classification_rule",
    "themes",
    "sdgs",
    "territories",
)
Progress = Callable[[int], None]


@dataclass
class ImportReport:
    """What an import did; ``issues`` lists every rejected row with its reason."""

    kind: str
    source: str
    file: str | None
    rows: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
    issues: list[ImportIssue] = field(default_factory=list)
    batch_id: int | None = None
    import_run_id: int | None = None
    status: str = "done"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["issues"] = [asdict(i) for i in self.issues]
        return data


def _issue(report: ImportReport, row: int | None, exc: InvalidInput) -> None:
    report.issues.append(
        ImportIssue(row=row, field=exc.field, value=exc.value, message=exc.rule, file=report.file)
    )


def _commune_index(conn: sa.Connection) -> dict[tuple[str, str | None], str]:
    """(folded commune name, département code) -> commune code, for rows without a code."""
    index: dict[tuple[str, str | None], str] = {}
    query = (
        sa.select(territory.c.code, territory.c.name_folded, territory.c.parent_code)
        .where(territory.c.level == "commune")
        .order_by(sa.func.coalesce(territory.c.population, 0))
    )
    for code, name, parent in conn.execute(query):
        index[(name, parent)] = code[4:]
        index[(name, None)] = code[4:]
    return index


def _actor_values(
    record: ActorRecord, source: str, communes: dict[tuple[str, str | None], str]
) -> dict[str, Any]:
    values = {f: getattr(record, f) for f in ACTOR_VALUE_FIELDS}
    values = {k: v for k, v in values.items() if v not in (None, [], "")}
    if not values.get("commune_code") and record.commune_name:
        deps = [t for t in record.territories if t.startswith("DEP:")]
        key = (fold(record.commune_name), deps[0] if deps else None)
        code = communes.get(key) or (None if deps else communes.get((key[0], None)))
        if code:
            values["commune_code"] = code
    if record.key:
        values["identifiers"] = [f"source:{source}:{record.key}"]
    values["source"] = source
    if record.source_ref:
        values["source_ref"] = record.source_ref
    if record.extra:
        values["extra"] = record.extra
    return values


def _known_aliases(codes: list[str] | None, known: set[str]) -> list[str]:
    """Overseas collectivities written as départements (``DEP:988``) become ``COLL:988``."""
    out = []
    for code in codes or ():
        if code not in known and code.startswith("DEP:") and f"COLL:{code[4:]}" in known:
            code = f"COLL:{code[4:]}"
        out.append(code)
    return sorted(set(out))


def _existing_actors(conn: sa.Connection, source: str) -> dict[str, int]:
    """Known identities: source keys, SIRET, SIREN and RNA -> actor id."""
    prefix = f"source:{source}:"
    known: dict[str, int] = {}
    query = sa.select(actor_identifier.c.identifier, actor_identifier.c.actor_id).where(
        actor_identifier.c.identifier.startswith(prefix)
    )
    for ident, actor_id in conn.execute(query):
        known[ident] = actor_id
    live = sa.select(actor.c.id, actor.c.siret, actor.c.siren, actor.c.rna).where(
        actor.c.deleted_at.is_(None)
    )
    for actor_id, siret, siren, rna in conn.execute(live):
        for scheme, value in (("siret", siret), ("siren", siren), ("rna", rna)):
            if value:
                known.setdefault(f"{scheme}:{value}", actor_id)
    return known


def _match(values: dict[str, Any], known: dict[str, int]) -> int | None:
    for ident in values.get("identifiers") or ():
        if ident in known:
            return known[ident]
    for scheme in ("siret", "siren", "rna"):
        if values.get(scheme) and f"{scheme}:{values[scheme]}" in known:
            return known[f"{scheme}:{values[scheme]}"]
    return None


def import_actors(
    *,
    db: sa.Engine,
    records: Sequence[ActorRecord],
    source: str,
    file: str | None = None,
    parse_issues: Iterable[ImportIssue] = (),
    rows: int | None = None,
    partial: bool = False,
    dry_run: bool = False,
    user: str = "import",
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and store actors read from one source; see the module docstring."""
    report = ImportReport("actors", source, file, rows=rows if rows is not None else len(records))
    report.issues.extend(i for i in parse_issues if i.severity == "error")
    with transaction(db) as conn:
        communes = _commune_index(conn)
        territories = set(conn.execute(sa.select(territory.c.code)).scalars())
        commune_codes = {c[4:] for c in territories if c.startswith("COM:")}
        cleaned: list[tuple[int, dict[str, Any]]] = []
        for number, record in enumerate(records, start=2):
            try:
                values = clean_actor(_actor_values(record, source, communes))
                values["territories"] = _known_aliases(values.get("territories"), territories)
                check_communes(values, commune_codes)
                check_territories(values, territories)
                cleaned.append((number, values))
            except InvalidInput as exc:
                _issue(report, number, exc)
        report.rejected = len({i.row for i in report.issues})
        if report.issues and not partial:
            report.status = "failed"
            _record_run(conn, report, None)
            return report
        if dry_run:
            report.status = "dry_run"
            report.created = len(cleaned)
            return report
        batch_id = open_batch(conn, kind="import", label=f"import {source}", user=user)
        ctx = Context(user=user, source=source, batch_id=batch_id)
        _store_actors(conn, cleaned, report, ctx, progress)
        report.batch_id = batch_id
        _record_run(conn, report, batch_id)
    return report


def _store_actors(
    conn: sa.Connection,
    cleaned: list[tuple[int, dict[str, Any]]],
    report: ImportReport,
    ctx: Context,
    progress: Progress | None,
) -> None:
    known = _existing_actors(conn, ctx.source or "")
    new: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for _number, values in cleaned:
        actor_id = _match(values, known)
        if actor_id is None:
            key = (values.get("identifiers") or [values["name"]])[0]
            if key in seen:  # same key twice in one file: keep the first
                report.unchanged += 1
                continue
            seen[key] = len(new)
            new.append(values)
            continue
        current = actors.get(conn, actor_id, include_deleted=True)
        changes = {k: v for k, v in values.items() if current.get(k) != v and k != "identifiers"}
        merged_ids = sorted(set(current["identifiers"]) | set(values.get("identifiers") or ()))
        if merged_ids != current["identifiers"]:
            changes["identifiers"] = merged_ids
        if changes:
            actors.update(conn, actor_id, changes, ctx=ctx)
            report.updated += 1
        else:
            report.unchanged += 1
        if progress:
            progress(1)
    actors.create_many(conn, new, ctx=ctx)
    report.created = len(new)
    if progress:
        progress(len(new))


def _record_run(conn: sa.Connection, report: ImportReport, batch_id: int | None) -> None:
    counts = {
        k: getattr(report, k)
        for k in ("rows", "created", "updated", "merged", "unchanged", "rejected")
    }
    result = conn.execute(
        sa.insert(import_run).values(
            batch_id=batch_id,
            kind=report.kind,
            source=report.source,
            file=report.file,
            status=report.status,
            started_at=utcnow(),
            finished_at=utcnow(),
            counts=counts,
            issues=[
                {
                    k: (v if isinstance(v, str | int | float | None) else str(v))
                    for k, v in asdict(i).items()
                }
                for i in report.issues[:1000]
            ],
        )
    )
    key = result.inserted_primary_key
    report.import_run_id = int(key[0]) if key else None


def _actor_keys(conn: sa.Connection, source: str) -> dict[str, int]:
    keys = _existing_actors(conn, source)
    prefix = f"source:{source}:"
    return {**keys, **{k[len(prefix) :]: v for k, v in keys.items() if k.startswith(prefix)}}


def _link_values(record: LinkRecord, ids: dict[str, int], source: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for end in ("source", "target"):
        key = getattr(record, f"{end}_key")
        actor_id = getattr(record, f"{end}_id") or ids.get(key or "") or _by_identifier(key, ids)
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
    for name in (
        "form",
        "subtype",
        "weight",
        "amount",
        "status",
        "start_date",
        "end_date",
        "purpose",
        "evidence",
        "evidence_url",
        "confidence",
        "themes",
    ):
        value = getattr(record, name)
        if value not in (None, [], ""):
            values[name] = value
    if record.territory:
        values["territory_code"] = record.territory
    values["directed"] = record.directed
    values["source"] = source
    extra = dict(record.extra)
    if record.kind != values["kind"]:
        extra["source_kind"] = record.kind
    values["extra"] = extra
    return values


def _by_identifier(key: str | None, ids: dict[str, int]) -> int | None:
    if not key:
        return None
    digits = "".join(ch for ch in key if ch.isalnum()).upper()
    for scheme in ("siret", "siren", "rna"):
        if f"{scheme}:{digits}" in ids:
            return ids[f"{scheme}:{digits}"]
    return None


def _link_identity(values: dict[str, Any]) -> tuple[Any, ...]:
    start = values.get("start_date")
    if isinstance(start, dt.date):
        start = start.isoformat()
    return (values["source_id"], values["target_id"], values["kind"], start)


def import_links(
    *,
    db: sa.Engine,
    records: Sequence[LinkRecord],
    source: str,
    file: str | None = None,
    parse_issues: Iterable[ImportIssue] = (),
    rows: int | None = None,
    partial: bool = False,
    dry_run: bool = False,
    user: str = "import",
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and store links whose ends are actors of the same source (or SIRET...)."""
    report = ImportReport("links", source, file, rows=rows if rows is not None else len(records))
    report.issues.extend(i for i in parse_issues if i.severity == "error")
    with transaction(db) as conn:
        ids = _actor_keys(conn, source)
        existing = {
            (s, t, k, d.isoformat() if isinstance(d, dt.date) else d)
            for s, t, k, d in conn.execute(
                sa.select(link.c.source_id, link.c.target_id, link.c.kind, link.c.start_date).where(
                    link.c.source == source, link.c.deleted_at.is_(None)
                )
            )
        }
        new: list[dict[str, Any]] = []
        for number, record in enumerate(records, start=2):
            try:
                values = clean_link(_link_values(record, ids, source))
            except InvalidInput as exc:
                _issue(report, number, exc)
                continue
            identity = _link_identity(values)
            if identity in existing:
                report.unchanged += 1
                continue
            existing.add(identity)
            new.append(values)
        report.rejected = len({i.row for i in report.issues})
        if report.issues and not partial:
            report.status = "failed"
            _record_run(conn, report, None)
            return report
        report.created = len(new)
        if dry_run:
            report.status = "dry_run"
            return report
        batch_id = open_batch(conn, kind="import", label=f"import {source} links", user=user)
        links.create_many(conn, new, ctx=Context(user=user, source=source, batch_id=batch_id))
        if progress:
            progress(len(new))
        report.batch_id = batch_id
        _record_run(conn, report, batch_id)
    return report
