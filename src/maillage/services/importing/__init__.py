"""Imports into the database: :func:`import_file` reads a file of any importable format
(:mod:`.formats`, the one dispatch used by the CLI, the demo and web uploads), then
:func:`import_records` stores the parsed actors and links (needs and indicators go to
:mod:`maillage.services.needs`).

One import is one transaction, one audit batch and one ``import_run`` row, whatever
the file holds (a SCDL file gives funders, beneficiaries and grants: all in the same
batch, so ``maillage undo --batch N`` removes the whole import and only it). All or
nothing by default: every record is validated before anything is written, and any
rejected row means nothing is written (the failed run is still logged); ``partial``
keeps the valid records. An error while writing rolls everything back.

Identity (resolution on identifiers):

- an actor already imported from the same source is found by its source key
  (stored as the identifier ``source:<source>:<key>``; records without a key get
  ``nom:<folded name>@<commune code, else postcode, else folded commune
  name>@<folded address>``) and updated with the file's values;
- otherwise an actor with the same SIRET, RNA or SIREN (a SIREN only against actors
  without SIRET when the record has one) is merged into: its empty fields are filled,
  its themes, territories and identifiers extended, its values kept. A shared
  identifier merges only one to one: when several incoming records, or several stored
  actors, carry it (the places of one structure share its SIRET), none is merged;
- a record repeating an earlier one of the file (same key) is folded into it: the
  first's values kept, its empty fields filled, what differs reported on both rows;
- a link's end is a key of this import or source, a SIRET/SIREN/RNA, an actor's
  number (``n°42``), a name and a commune code or postcode (``Centre social@59512``),
  else a name: the one live actor (stored, or of the file) with the same comparable
  name; several reject the row with, for each, the exact key to write, only close
  names with the candidates named. A link kind our list lacks rejects its row, unless
  ``kind_map`` maps it;
- a link is the same when its ends, kind, start date and source reference are; a
  re-imported link is left as it is.

Counts: see :mod:`.report` (rows = created + updated + merged + unchanged + rejected).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from maillage.model.errors import Conflict
from maillage.model.records import ActorRecord, ImportIssue, LinkRecord
from maillage.services.importing.cleaning import import_key
from maillage.services.importing.formats import FORMATS, Format, default_source, import_file
from maillage.services.importing.identity import _ActorPlan, _Batch, _plan_actors
from maillage.services.importing.linking import _plan_links, link_kinds
from maillage.services.importing.report import STANDIN, ImportReport, Progress, record_run
from maillage.storage.audit import Context, open_batch
from maillage.storage.bulk import paused_gc
from maillage.storage.engine import transaction
from maillage.storage.registry import actors, links

__all__ = [
    "FORMATS",
    "Format",
    "ImportReport",
    "Progress",
    "default_source",
    "import_actors",
    "import_file",
    "import_key",
    "import_links",
    "import_records",
    "qualify_keys",
    "record_run",
]


def import_records(
    *,
    db: sa.Engine,
    kind: str,
    source: str,
    actor_records: Sequence[ActorRecord] = (),
    link_records: Sequence[LinkRecord] = (),
    file: str | None = None,
    parse_issues: Iterable[ImportIssue] = (),
    rows: int | None = None,
    parse_rejected: int | None = None,
    actor_rows: Sequence[int | None] | None = None,
    link_rows: Sequence[int | None] | None = None,
    partial: bool = False,
    dry_run: bool = False,
    user: str = "import",
    progress: Progress | None = None,
    kind_map: Mapping[str, str] | None = None,
) -> ImportReport:
    """Validate and store the actors and links read from one file, as one import.

    ``parse_issues`` are the reader's (errors reject, warnings are kept in the report);
    ``rows`` is the number of data rows of the file (the report's ``lines``; its
    ``rows`` count records: see :mod:`.report`); ``parse_rejected`` counts the rows the
    reader rejected; ``actor_rows``/``link_rows``
    give the file row of each record for the issue report; ``kind_map`` maps the link
    kinds of the file that our list lacks (``{"partenaire": "partnership"}``: see
    :func:`~maillage.services.importing.linking.link_kinds`). Returns the report; a
    ``failed`` one wrote nothing but its ``import_run`` row. Raises InvalidInput for a
    kind mapped to no link kind.
    """
    kinds = link_kinds(kind_map)
    parse_issues = list(parse_issues)
    if parse_rejected is None:
        errors = (i for i in parse_issues if i.severity == "error" and i.row is not None)
        parse_rejected = len({i.row for i in errors})
    for attempt in range(1, RACE_ATTEMPTS + 1):
        report = ImportReport(kind, source, file)
        report.lines = rows if rows is not None else len(actor_records) + len(link_records)
        report.issues = [i for i in parse_issues if i.severity == "error"]
        report.warnings = [i for i in parse_issues if i.severity != "error"]
        report.read("actors", len(actor_records))
        report.read("links", len(link_records))
        report.rejected = parse_rejected
        report.count_read_rejections()  # for the file's entity, before its own rejections
        batch = _Batch(report, actor_records, link_records,
                       actor_rows or [None] * len(actor_records),
                       link_rows or [None] * len(link_records), progress, kinds)  # fmt: skip
        try:
            return _attempt(db, batch, kind, source, partial, dry_run, user)
        except Conflict:
            # Another writer stored or changed some of these actors since this import
            # planned (a second holder of an identity, a version moved), or the database
            # aborted this import to let a concurrent one through (a deadlock): plan
            # again, finding them; a loser that keeps losing reports the conflict.
            if attempt == RACE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


RACE_ATTEMPTS = 3
"""How many times an import plans again after losing a race for an identity."""


def _attempt(
    db: sa.Engine,
    batch: _Batch,
    kind: str,
    source: str,
    partial: bool,
    dry_run: bool,
    user: str,
) -> ImportReport:
    """Plan and store one import in one transaction (see :func:`import_records`)."""
    report = batch.report
    with paused_gc(), transaction(db) as conn:
        plan = _plan_actors(conn, batch, source)
        new_links = _plan_links(conn, batch, plan, source)
        anything = bool(plan.new or plan.changes or new_links)
        if _verdict(report, partial, dry_run) or not anything:
            if report.status == "dry_run":
                report.check_balance()
            else:
                record_run(conn, report, None)
            return report
        batch_id = open_batch(conn, kind="import", label=f"import {kind} {source}", user=user)
        ctx = Context(user=user, source=source, batch_id=batch_id)
        _store(conn, batch, plan, new_links, ctx)
        report.batch_id = batch_id
        record_run(conn, report, batch_id)
    return report


def _verdict(report: ImportReport, partial: bool, dry_run: bool) -> bool:
    """Set the status of a validated import; True when nothing is to be written.

    It fails on any rejection unless ``partial``, and then when no record was valid."""
    valid = report.created + report.updated + report.merged + report.unchanged
    if report.issues and (not partial or not valid):
        report.status = "failed"
        report.clear_writes()
        return True
    if dry_run:
        report.status = "dry_run"
        return True
    return False


def _store(
    conn: sa.Connection,
    batch: _Batch,
    plan: _ActorPlan,
    new_links: list[dict[str, Any]],
    ctx: Context,
) -> None:
    """Write the planned actors, then the links with their new ends' real ids."""
    changes = [(actor_id, values) for actor_id, _, values in plan.changes]
    actors.update_many(conn, changes, ctx=ctx)
    created: list[int] = list(actors.create_many(conn, plan.new, ctx=ctx))
    batch.advance(len(batch.actors))
    for values in new_links:
        for end in ("source_id", "target_id"):
            if values[end] >= STANDIN:
                values[end] = created[values[end] - STANDIN]
    links.create_many(conn, new_links, ctx=ctx)
    batch.advance(len(batch.links))


def qualify_keys(actors: Iterable[ActorRecord], field: str = "source") -> None:
    """Prefix each actor's key with its publisher (``extra[field]``): the ids of the
    national map exports are unique per publisher only (``"0"`` in two files is two
    places), ``conseiller-numerique:<id>`` is the same place in every file."""
    for record in actors:
        publisher = record.extra.get(field)
        if record.key and isinstance(publisher, str) and publisher.strip():
            record.key = f"{publisher.strip()}:{record.key}"


def import_actors(
    *, db: sa.Engine, records: Sequence[ActorRecord], source: str, **options: Any
) -> ImportReport:
    """Import actors only (rows numbered from 2 unless ``actor_rows`` is given)."""
    options.setdefault("actor_rows", list(range(2, len(records) + 2)))
    return import_records(db=db, kind="actors", source=source, actor_records=records, **options)


def import_links(
    *, db: sa.Engine, records: Sequence[LinkRecord], source: str, **options: Any
) -> ImportReport:
    """Import links only; their ends are actors of ``source`` (or a SIRET/SIREN/RNA)."""
    options.setdefault("link_rows", list(range(2, len(records) + 2)))
    return import_records(db=db, kind="links", source=source, link_records=records, **options)
