"""What an import did: the report of counts, issues and warnings, and its ``import_run`` row.

**One count that balances.** A *row* of the report is one record the import counted:
an actor, a link, a need, an indicator read from the file, or one file row that the
file's reader rejected before it made any record. A file row that holds several
records counts once per record (a SCDL grant row gives a funder, a beneficiary and a
funding link: three rows; a wide indicators row one row per indicator column; a funder
named on ten rows of a SCDL file is one actor, deduplicated by the reader). ``lines``
keeps the number of data rows of the file as read. Every row is counted exactly once,
so that for each entity of ``details`` and for the totals::

    rows = created + updated + merged + unchanged + rejected

``merged`` counts the records merged into a stored actor of another source, or into
an earlier record of the same file (a duplicate: its differing values reported);
``unchanged`` the records that changed nothing.

**A refused import** (``failed``: one rejected row, without ``partial``) writes nothing:
every row is then ``rejected``, the valid ones too, and ``not_written`` says how many
of the rejected rows were valid (rejected only because the import was refused: they
would go in once the others are fixed, or with ``partial``). ``not_written`` is a part
of ``rejected``, not a sixth term: ``rejected - not_written`` rows have issues of their
own. The same holds per entity.

:meth:`ImportReport.check_balance` raises when a rule breaks: every import calls it
before it logs its run.
"""

from __future__ import annotations

import csv
import json
import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from maillage.io.spreadsheet import safe_row
from maillage.model.records import ImportIssue
from maillage.storage.audit import utcnow
from maillage.storage.tables import (
    import_run,
)

ACTOR_VALUE_FIELDS = (
    "name", "acronym", "description", "world", "category", "digital_profile", "siren",
    "siret", "rna", "holder_siret", "holder_rna", "legal_form", "naf", "address", "postcode",
    "commune_code", "latitude", "longitude", "website", "email", "phone",
    "classification_rule", "themes", "sdgs", "territories",
)  # fmt: skip
_actor_fields = operator.attrgetter(*ACTOR_VALUE_FIELDS)
LINK_VALUE_FIELDS = (
    "form", "subtype", "weight", "amount", "status", "start_date", "end_date", "purpose",
    "evidence", "evidence_url", "confidence", "themes", "source_ref",
)  # fmt: skip
COLLECTIONS = ("themes", "sdgs", "territories", "identifiers")
KEEP_ON_MERGE = ("source", "source_ref", "extra", "identifiers")
STANDIN = 2**40  # ids handed to links whose end is an actor created by the same import
COUNTS = ("created", "updated", "merged", "unchanged", "rejected")
NOT_WRITTEN = "not_written"
"""The part of ``rejected`` that was valid: rows of a refused import (see above)."""
READ_ENTITY = {
    "links": "links", "decp": "records", "scdl": "records", "network": "records",
    "kumu": "records", "gexf": "records", "graphml": "records",
}  # fmt: skip
"""What a rejected row of a file of each format is (``actors`` for the others): a
contract, a grant or a graph element makes actors and links, so its row is a record."""
Progress = Callable[[int, int], None]
"""Called with ``(done, total)`` work units as an import goes."""


@dataclass
class ImportReport:
    """What an import did; ``issues`` lists every rejected row with its reason.

    The totals add up the ``details`` per entity (``actors``, ``links``, ``needs``,
    ``indicators``, ``records``), each with its own ``rows`` (see the module docstring
    for what a row counts); ``warnings`` lists repairs and values left out (rows kept).
    """

    kind: str
    source: str
    file: str | None
    rows: int = 0
    lines: int | None = None
    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
    not_written: int = 0
    issues: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    details: dict[str, dict[str, int]] = field(default_factory=dict)
    batch_id: int | None = None
    import_run_id: int | None = None
    status: str = "done"
    relations: dict[str, Any] | None = None  # drawn after the import (services.relations)

    def _entity(self, entity: str) -> dict[str, int]:
        return self.details.setdefault(entity, dict.fromkeys(("rows", *COUNTS, NOT_WRITTEN), 0))

    def read(self, entity: str, n: int) -> None:
        """Add ``n`` rows of ``entity`` (records read, or file rows its reader rejected)
        to be counted: each must end in exactly one of :data:`COUNTS`."""
        self._entity(entity)["rows"] += n
        self.rows += n

    def count(self, entity: str, what: str, n: int = 1) -> None:
        """Add ``n`` to one count of ``entity`` and to the total."""
        self._entity(entity)[what] += n
        setattr(self, what, getattr(self, what) + n)

    def count_read_rejections(self) -> None:
        """Count the rows the file's reader rejected (in ``rejected``, set from the parse)
        for the entity the file holds (:data:`READ_ENTITY`), so that the ``details`` add
        up to the totals. Counts only what no entity holds yet: calling it again, or
        after the import's own rejections, changes nothing."""
        counted = sum(counts["rejected"] for counts in self.details.values())
        if missing := self.rejected - counted:
            counts = self._entity(READ_ENTITY.get(self.kind, "actors"))
            counts["rejected"] += missing
            counts["rows"] += missing
            self.rows += missing

    def clear_writes(self) -> None:
        """Count every valid record as rejected and ``not_written`` (a refused import
        wrote nothing); the rejections of their own stay."""
        for what in ("created", "updated", "merged", "unchanged"):
            moved = getattr(self, what)
            self.rejected += moved
            self.not_written += moved
            setattr(self, what, 0)
            for counts in self.details.values():
                counts["rejected"] += counts[what]
                counts[NOT_WRITTEN] += counts[what]
                counts[what] = 0

    def imbalance(self) -> list[str]:
        """What breaks ``rows = created + updated + merged + unchanged + rejected``, in
        the totals, in an entity, or between them; empty when the counts balance."""
        wrong = []
        for entity, counts in {"total": self.counts(), **self.details}.items():
            if counts["rows"] != sum(counts[what] for what in COUNTS):
                wrong.append(f"{entity}: {counts}")
            if not 0 <= counts[NOT_WRITTEN] <= counts["rejected"]:
                wrong.append(f"{entity}: not_written outside rejected: {counts}")
        for what in ("rows", *COUNTS, NOT_WRITTEN):
            if getattr(self, what) != sum(counts[what] for counts in self.details.values()):
                wrong.append(f"total {what} {getattr(self, what)} != details {self.details}")
        return wrong

    def counts(self) -> dict[str, int]:
        """The totals: ``rows``, each of :data:`COUNTS`, and ``not_written``."""
        return {what: getattr(self, what) for what in ("rows", *COUNTS, NOT_WRITTEN)}

    def check_balance(self) -> None:
        """Raise AssertionError when the counts do not balance (a bug of the import,
        never of the file): see the module docstring."""
        if wrong := self.imbalance():
            raise AssertionError(f"import {self.kind} {self.file}: counts unbalanced: {wrong}")

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (issues and warnings as dicts)."""
        data = asdict(self)
        data["issues"] = [_issue_dict(i) for i in self.issues]
        data["warnings"] = [_issue_dict(i) for i in self.warnings]
        return data


def _issue_dict(issue: ImportIssue) -> dict[str, Any]:
    return {
        k: (v if isinstance(v, str | int | float | bool | None) else str(v))
        for k, v in asdict(issue).items()
    }


def record_run(conn: sa.Connection, report: ImportReport, batch_id: int | None) -> None:
    """Log one import (its counts and first 1,000 issues) in ``import_run``; raises
    AssertionError, before anything is logged, when the counts do not balance."""
    report.check_balance()
    counts: dict[str, Any] = {**report.counts(), "lines": report.lines}
    counts["details"] = report.details
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
            issues=[_issue_dict(i) for i in report.issues[:1000]],
        )
    )
    key = result.inserted_primary_key
    report.import_run_id = int(key[0]) if key else None


REPORT_COLUMNS = ("file", "row", "field", "value", "message", "severity")


def write_report(report: ImportReport, path: Path) -> None:
    """Write every issue and warning of ``report`` to ``path``: JSON for a ``.json`` name,
    CSV otherwise (its cells safe to open in a spreadsheet: a rejected value may hold a
    formula)."""
    rows = [{c: getattr(i, c) for c in REPORT_COLUMNS} for i in (*report.issues, *report.warnings)]
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1, default=str), "utf-8")
        return
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(safe_row(row) for row in rows)
