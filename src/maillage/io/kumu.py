"""Kumu-style workbooks (XLSX): an elements sheet and a connections sheet.

As Kumu imports them (``kumu/docs`` ``guides/import/import.md``): the elements sheet has
``Label`` in A1 (an optional ``ID`` column), ``Type``, ``Description``, ``Tags`` (``|``
for several values) and any custom columns; the connections sheet has ``From`` in A1 and
``To`` in B1, then ``Type``, ``Label``, ``Direction``, ``Strength``, ``Tags``... Sheets
named ``(ignore)`` are skipped. Connections name their ends by element ID when the
elements have one, else by label.

Mapping: Label -> name, ID -> key (else the label), Type -> world when it names one
(``Association``, ``public``...) else category, Description -> description, Tags ->
themes; From/To -> source_key/target_key, Type -> kind, Label -> purpose,
Strength -> weight, Direction (``directed``, ``undirected``, ``mutual``) -> directed
(Kumu's default is directed). Other columns are guessed like any spreadsheet header.
"""

from __future__ import annotations

from pathlib import Path

from maillage.io import values as v
from maillage.io.columns import norm_header
from maillage.io.reading import Table, xlsx_table
from maillage.io.result import ParseResult, RowLog
from maillage.io.tabular import parse_actor_table, parse_link_table
from maillage.io.unreadable import open_workbook, read_data, sheet_rows
from maillage.model.records import ImportIssue

__all__ = ["parse_kumu", "read_kumu"]

ELEMENT_MAPPING = {
    "Label": "name",
    "ID": "key",
    "Type": "category",
    "Description": "description",
    "Tags": "themes",
}
CONNECTION_MAPPING = {
    "From": "source_key",
    "To": "target_key",
    "Type": "kind",
    "Label": "purpose",
    "Strength": "weight",
    "Tags": "themes",
    "Direction": "ignore",
}


def _sheets(data: bytes, file: str | None) -> tuple[Table | None, Table | None]:
    """Find the elements sheet (A1 = Label) and the connections sheet (A1/B1 = From/To)."""
    workbook = open_workbook(data, file or "classeur", read_only=True, data_only=True)
    elements = connections = None
    try:
        for sheet in workbook.worksheets:
            if "(ignore)" in sheet.title.lower():
                continue
            rows = sheet_rows(sheet, file or "kumu")
            table = xlsx_table(rows, file=f"{file or 'kumu'}#{sheet.title}")
            first = [norm_header(h) for h in table.header[:2]]
            if first[:1] == ["label"] and elements is None:
                elements = table
            elif first == ["from", "to"] and connections is None:
                connections = table
    finally:
        workbook.close()
    return elements, connections


def _column(table: Table, name: str) -> str | None:
    return next((h for h in table.header if norm_header(h) == norm_header(name)), None)


def _mapping(table: Table, base: dict[str, str]) -> dict[str, str]:
    return {c: f for n, f in base.items() if (c := _column(table, n)) is not None}


def parse_kumu(data: bytes, *, file: str | None = None, source: str = "kumu") -> ParseResult:
    """Read a Kumu workbook: elements as actors, connections as links."""
    elements, connections = _sheets(data, file)
    result = ParseResult()
    if elements is None:
        result.issues.append(
            ImportIssue(None, None, None, "pas de feuille d'éléments (A1 = Label)", file)
        )
        return result
    mapping = _mapping(elements, ELEMENT_MAPPING)
    actors = parse_actor_table(elements, mapping, source=source)
    for actor in actors.actors:
        if actor.key is None:
            actor.key = actor.name
        if actor.category is not None:
            world = v.parse_world(actor.category, RowLog([], None, None))
            if world is not None:
                actor.world, actor.category, actor.classification_rule = world, None, None
    result.extend(actors)
    if connections is not None:
        result.extend(_connections(connections, source))
    return result


def _connections(table: Table, source: str) -> ParseResult:
    """Links of the connections sheet, with Kumu's direction vocabulary."""
    mapping = _mapping(table, CONNECTION_MAPPING)
    direction = _column(table, "Direction")
    result = parse_link_table(table, mapping, source=source)
    kept = [r for r in table.rows if r.number not in set(result.rejected_rows)]
    for row, link in zip(kept, result.links, strict=True):
        value = (v.clean_text(row.values.get(direction)) if direction else None) or "directed"
        link.directed = value.lower() != "undirected"
        if value.lower() == "mutual":
            link.extra["direction"] = "mutual"
    return result


def read_kumu(path: str | Path, *, source: str = "kumu") -> ParseResult:
    """Read a Kumu XLSX workbook."""
    data, name = read_data(path)
    return parse_kumu(data, file=name, source=source)
