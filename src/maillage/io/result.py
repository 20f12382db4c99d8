"""What every ``parse_*`` function returns, and the per-row issue log they share.

A parser never raises on bad data: it collects :class:`ImportIssue` objects (errors
reject the row, warnings report a repair) and returns them with the records it could
build. Row numbers are those a person sees: for a CSV file the header is row 1, so the
first data row is row 2; for a JSON array the first record is row 1; for a workbook the
sheet's own row number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from maillage.model.records import ActorRecord, ImportIssue, LinkRecord

__all__ = ["IssueViews", "ParseResult", "RowLog", "Territory"]

Territory = dict[str, Any]
"""A territory for GeoJSON: ``code``, ``name``, ``geometry`` (GeoJSON) and ``indicators``."""


class IssueViews:
    """The errors and the warnings among a result's ``issues``."""

    __slots__ = ()
    issues: list[ImportIssue]

    @property
    def errors(self) -> list[ImportIssue]:
        """Issues that rejected a row (or the whole file)."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[ImportIssue]:
        """Issues that report a repair or an ignored value; the row was kept."""
        return [i for i in self.issues if i.severity != "error"]


@dataclass(slots=True)
class ParseResult(IssueViews):
    """Records read from one file, with every problem met on the way.

    ``rows`` counts the data rows (records) read; ``rejected_rows`` lists the row
    numbers that carried at least one error and produced no record. ``territories``
    (GeoJSON) and ``services`` (data·inclusion) hold what is neither an actor nor a link.
    """

    actors: list[ActorRecord] = field(default_factory=list)
    links: list[LinkRecord] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    rows: int = 0
    rejected_rows: list[int] = field(default_factory=list)
    territories: list[Territory] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Number of data rows that produced records."""
        return self.rows - len(self.rejected_rows)

    @property
    def rejected(self) -> int:
        """Number of data rows rejected."""
        return len(self.rejected_rows)

    def reasons(self) -> dict[str, int]:
        """Count error issues by ``field: message`` (handy for reports and tests)."""
        counts: dict[str, int] = {}
        for issue in self.errors:
            key = f"{issue.field}: {issue.message}"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def extend(self, other: ParseResult) -> None:
        """Append the records, issues and row counts of ``other`` to this result."""
        self.actors.extend(other.actors)
        self.links.extend(other.links)
        self.issues.extend(other.issues)
        self.rows += other.rows
        self.rejected_rows.extend(other.rejected_rows)
        self.territories.extend(other.territories)
        self.services.extend(other.services)


class RowLog:
    """Collects the issues of one row; ``failed`` tells whether the row is rejected."""

    __slots__ = ("file", "issues", "row", "failed")

    def __init__(self, issues: list[ImportIssue], row: int | None, file: str | None) -> None:
        self.issues = issues
        self.row = row
        self.file = file
        self.failed = False

    def error(self, field_name: str | None, value: Any, message: str) -> None:
        """Record an error: the row will be rejected."""
        self.failed = True
        self.issues.append(ImportIssue(self.row, field_name, value, message, self.file))

    def warn(self, field_name: str | None, value: Any, message: str) -> None:
        """Record a warning: a repair or an ignored value; the row is kept."""
        self.issues.append(
            ImportIssue(self.row, field_name, value, message, self.file, severity="warning")
        )


def dedupe_actors(actors: Iterable[ActorRecord]) -> list[ActorRecord]:
    """Keep the first actor of each ``key`` (actors without a key are all kept)."""
    seen: set[str] = set()
    kept: list[ActorRecord] = []
    for actor in actors:
        if actor.key is not None:
            if actor.key in seen:
                continue
            seen.add(actor.key)
        kept.append(actor)
    return kept
