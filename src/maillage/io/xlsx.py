"""Actors and links as an XLSX workbook (sheets ``actors`` and ``links``), and back.

Same columns as the CSV export. Identifiers and codes are written as text (a SIRET
never becomes a float), numbers as numbers, dates as dates, booleans as booleans.
Numbers keep the 15 significant digits a spreadsheet keeps (openpyxl writes no more):
amounts, weights and coordinates read back exactly, a double such as
``0.1 + 0.2`` comes back as ``0.3``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from maillage.io.flat import ACTOR_COLUMNS, ACTORS_SHEET, LINK_COLUMNS, LINKS_SHEET, cell_text
from maillage.io.reading import read_xlsx_table
from maillage.io.result import ParseResult
from maillage.io.tabular import parse_actor_table, parse_link_table
from maillage.io.unreadable import open_workbook, read_data
from maillage.model.fields import date_text
from maillage.model.records import ActorRecord, LinkRecord

__all__ = ["ACTORS_SHEET", "LINKS_SHEET", "generate_xlsx", "parse_xlsx", "read_xlsx", "write_xlsx"]


def _cell(value: Any) -> Any:
    """A native cell value: numbers, dates and booleans stay typed, the rest is text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or isinstance(value, bool | int | float | dt.date):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", cell_text(value)) or None


def _value(record: Any, column: str) -> Any:
    """A record's value for ``column``: a date that is a year alone is the year (2011)."""
    value = getattr(record, column)
    if column not in ("start_date", "end_date") or value is None:
        return value
    return value.year if date_text(value, record.extra, column) == str(value.year) else value
    return value


def _fill(sheet: Any, columns: tuple[str, ...], records: Iterable[Any]) -> None:
    sheet.append(list(columns))
    for record in records:
        sheet.append([_cell(_value(record, c)) for c in columns])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula stays text


def generate_xlsx(actors: Iterable[ActorRecord] = (), links: Iterable[LinkRecord] = ()) -> bytes:
    """Return the bytes of a workbook with an ``actors`` and a ``links`` sheet."""
    import openpyxl

    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = ACTORS_SHEET
    _fill(first, ACTOR_COLUMNS, actors)
    _fill(workbook.create_sheet(LINKS_SHEET), LINK_COLUMNS, links)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse_xlsx(data: bytes, *, file: str | None = None) -> ParseResult:
    """Read the ``actors`` and ``links`` sheets of a workbook (a missing sheet is empty)."""
    workbook = open_workbook(data, file or "classeur", read_only=True)
    names = workbook.sheetnames
    workbook.close()
    result = ParseResult()
    if ACTORS_SHEET in names:
        result.extend(parse_actor_table(read_xlsx_table(data, sheet=ACTORS_SHEET, file=file)))
    if LINKS_SHEET in names:
        result.extend(parse_link_table(read_xlsx_table(data, sheet=LINKS_SHEET, file=file)))
    return result


def write_xlsx(
    path: str | Path, actors: Iterable[ActorRecord] = (), links: Iterable[LinkRecord] = ()
) -> None:
    """Write the workbook to ``path``."""
    Path(path).write_bytes(generate_xlsx(actors, links))


def read_xlsx(path: str | Path) -> ParseResult:
    """Read a workbook written by :func:`write_xlsx` (or any with those sheets)."""
    data, name = read_data(path)
    return parse_xlsx(data, file=name)
