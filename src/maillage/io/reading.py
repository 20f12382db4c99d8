"""Read CSV and XLSX files into a :class:`Table`: encoding, delimiter and header found.

Encoding: UTF-8 with or without BOM, else cp1252, else latin-1. Delimiter: the one of
``,`` ``;`` tab ``|`` that splits the first lines most consistently. Header: the first
row as wide as the data (a free-text line above the header is skipped and reported).
Text damaged by a wrong decoding upstream (``notifiÃ©e``, cp850 ``D‚partement``) is
repaired, with a warning per cell. Duplicate column names keep the first column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from pathlib import Path
from typing import Any

from maillage.io.result import RowLog
from maillage.io.spreadsheet import has_quoted_formula, unquoted_cell
from maillage.io.unreadable import (
    CELL_LIMIT,
    UnreadableFile,
    cell_too_long,
    data_suffix,
    open_workbook,
    read_data,
    sheet_rows,
)
from maillage.model.records import ImportIssue

__all__ = [
    "Row",
    "Table",
    "decode",
    "parse_csv_text",
    "read_csv_table",
    "read_table",
    "read_xlsx_table",
    "repair_mojibake",
    "WORKBOOK_SUFFIXES",
    "sniff_delimiter",
    "table_from_records",
    "xlsx_table",
]

_DELIMITERS = (",", ";", "\t", "|")
_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
_HIGH_RUN = re.compile(
    "[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{2,}"
)
# What a repaired run may decode to: Latin letters and common punctuation only.
_PLAUSIBLE = re.compile("[\u00a0-\u017f\u2010-\u2044\u20ac\u2122]+")
# cp850 bytes decoded as cp1252: the character seen -> the letter meant.
# Only applied when a "‚" (U+201A, cp850 "é") touches a letter: never legitimate French.
_CP850 = {"‚": "é", "Š": "è", "ˆ": "ê", "‡": "ç", "ƒ": "â", "…": "à", "—": "ù"}
_CP850_SIGN = re.compile("(?<=[A-Za-z])‚|‚(?=[A-Za-z])")
_CP850_SEEN = re.compile("(?<=[A-Za-z])[‚Šˆ‡ƒ…—]|[‚Šˆ‡ƒ…—](?=[A-Za-z])")


@dataclass(slots=True)
class Row:
    """One data row: its number as a person counts it, and its cells by column name."""

    number: int
    values: dict[str, Any]


class Table:
    """A header and numbered rows, plus the issues met while reading the file.

    A CSV table keeps its data as plain records (lists of cells in header order, none
    wider than the header) with their row numbers: column-wise readers such as
    :func:`maillage.io.tabular.parse_actor_table` use :attr:`records` and
    :attr:`numbers`, and :attr:`rows` is built on first use (then :attr:`records` is
    None: rows may be changed in place).
    """

    __slots__ = ("_numbers", "_records", "_rows", "delimiter", "encoding", "file", "header",
                 "issues")  # fmt: skip

    def __init__(
        self,
        header: list[str],
        rows: list[Row] | None = None,
        file: str | None = None,
        issues: list[ImportIssue] | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        *,
        records: list[list[Any]] | None = None,
        numbers: list[int] | None = None,
    ) -> None:
        self.header = header
        self.file = file
        self.issues = [] if issues is None else issues
        self.encoding = encoding
        self.delimiter = delimiter
        self._rows: list[Row] | None = rows or []
        self._records: list[list[Any]] | None = None
        self._numbers: list[int] | None = None
        if rows is None and records is not None:
            self._rows, self._records = None, records
            self._numbers = list(range(2, len(records) + 2)) if numbers is None else numbers

    def __repr__(self) -> str:
        return f"Table({self.file!r}, {len(self)} rows, header={self.header!r})"

    def __len__(self) -> int:
        return len(self._records if self._records is not None else self.rows)

    @property
    def rows(self) -> list[Row]:
        """The data rows, each with its cells by column name."""
        if self._rows is None:
            header, records = self.header, self._records or []
            self._rows = [
                Row(n, _by_name(header, r))
                for n, r in zip(self._numbers or [], records, strict=True)
            ]
            self._records = None
        return self._rows

    def row(self, index: int) -> Row:
        """The data row at ``index``, built on its own while the table keeps records."""
        if self._records is None or self._numbers is None:
            return self.rows[index]
        return Row(self._numbers[index], _by_name(self.header, self._records[index]))

    @property
    def records(self) -> list[list[Any]] | None:
        """The cells of each row in header order (None once :attr:`rows` was built)."""
        return self._records

    @property
    def numbers(self) -> list[int]:
        """The row number of each data row, as a person counts them."""
        if self._records is not None and self._numbers is not None:
            return self._numbers
        return [r.number for r in self.rows]


def _by_name(header: Sequence[str], record: Sequence[Any]) -> dict[str, Any]:
    """The cells of a record by column name (a short row lacks its last cells)."""
    return dict(zip(header, record, strict=False))


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``: UTF-8 (BOM removed), cp1252 or latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if not any(b in _CP1252_UNDEFINED for b in data):
        return data.decode("cp1252"), "cp1252"
    return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """Return the delimiter that gives the most consistent field count on the first lines."""
    sample = text[:20000]
    best, best_score = ",", -1.0
    for delimiter in _DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))[:20]
        except csv.Error:
            continue
        widths = [len(r) for r in rows[:-1] or rows if r]
        if not widths or max(widths) < 2:
            continue
        mode = max(set(widths), key=widths.count)
        score = widths.count(mode) / len(widths) * min(mode, 50)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-cp1252 (``Ã©`` -> ``é``) and cp850-read-as-cp1252
    (``D‚partement`` -> ``Département``) damage; other text is returned unchanged."""
    fixed = _HIGH_RUN.sub(_fix_run, text) if _HIGH_RUN.search(text) else text
    if _CP850_SIGN.search(fixed):
        fixed = _CP850_SEEN.sub(lambda m: _CP850[m.group()], fixed)
    return fixed


def is_damaged(text: str) -> bool:
    """True if :func:`repair_mojibake` would change some part of ``text``.

    Cells are then repaired one by one. A run of high characters lies inside one
    cell (delimiters and quotes are ASCII), so when no run of the whole text
    changes, no cell would: French text such as "Vogüé" is left alone at the
    cost of one pass over the text.
    """
    if text.isascii():
        return False
    if "\u201a" in text and _CP850_SIGN.search(text):  # the plain search first: much faster
        return True
    # A run that repairs decodes to plausible characters (U+00A0-U+017F, U+2010-U+2044, €,
    # ™), so it holds a UTF-8 lead byte read as cp1252: C2-C5 (Â Ã Ä Å) or E2 (â) before
    # 80, 82 or 84 (€ ‚ „). Plain substring searches rule most files out at memchr speed.
    # ("â" is common French: its second characters, rare, are looked for first.)
    if not any(lead in text for lead in "ÃÂÅÄ") and not (
        any(c in text for c in "€‚„") and any(f"â{c}" in text for c in "€‚„")
    ):
        return False
    return any(_fix_run(m) != m.group() for m in _HIGH_RUN.finditer(text))


def _fix_run(match: re.Match[str]) -> str:
    """Decode one run of cp1252 characters as the UTF-8 bytes it was."""
    run = match.group()
    try:
        fixed = run.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return run
    return fixed if _PLAUSIBLE.fullmatch(fixed) else run


def _find_header(records: list[list[str]]) -> int:
    """Return the index of the header: the first record as wide as the data rows."""
    widths = [len(r) for r in records[:30] if any(c.strip() for c in r)]
    if not widths:
        return 0
    data_width = max(set(widths[1:] or widths), key=(widths[1:] or widths).count)
    for index, record in enumerate(records[:10]):
        if len(record) >= data_width and sum(1 for c in record if c.strip()) >= 2:
            return index
    return 0


def parse_csv_text(text: str, *, file: str | None = None, delimiter: str | None = None) -> Table:
    """Split CSV text into a :class:`Table` (header row number + 1 = first data row)."""
    delimiter = delimiter or sniff_delimiter(text)
    previous = csv.field_size_limit(CELL_LIMIT)  # the same limit whoever set another
    try:
        records = _csv_records(text, delimiter, file or "CSV")
    finally:
        csv.field_size_limit(previous)
    start = _find_header(records)
    issues: list[ImportIssue] = []
    if start:
        issues.append(
            ImportIssue(
                1, None, records[0][:1], f"{start} ligne(s) avant l'en-tête ignorée(s)", file,
                severity="warning",
            )
        )  # fmt: skip
    header_cells: list[Any] = list(records[start]) if records else []
    header = _header_names(header_cells, start + 1, file, issues)
    data = records[start + 1 :]
    if has_quoted_formula(text):  # cells an export marked as text, not formulas
        data = [[unquoted_cell(cell) for cell in record] for record in data]
    # Blank rows are skipped; the test runs in C (a joined, stripped row is "" or not).
    kept = list(map(str.strip, map("".join, data)))
    numbers = list(compress(range(start + 2, start + 2 + len(data)), kept))
    data = list(compress(data, kept))
    damaged = is_damaged(text)
    if not damaged and max(map(len, data), default=0) <= len(header):
        # The common case: nothing to repair or report; rows are built when asked for.
        return Table(header, None, file, issues, delimiter=delimiter, records=data,
                     numbers=numbers)  # fmt: skip
    rows = [
        Row(n, _cells(header, r, RowLog(issues, n, file), repair=damaged))
        for n, r in zip(numbers, data, strict=True)
    ]
    return Table(header, rows, file, issues, delimiter=delimiter)


def _csv_records(text: str, delimiter: str, file: str) -> list[list[str]]:
    """The records of CSV text; a quote never closed or a huge cell is refused with the
    line where its record starts (the csv module would take the rest of the file as one
    cell, or stop with a traceback)."""
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        records = None  # a field larger than the limit: found again below with its line
    if records is not None and text.count('"') % 2 == 0:
        return records  # quotes pair up: no quoted field runs to the end of the file
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    last_start = end = 0
    try:
        for _ in reader:
            last_start, end = end + 1, reader.line_num
    except csv.Error as error:
        raise _csv_error(file, str(error), end + 1) from None
    lines = io.StringIO(text, newline="").readlines()
    if records and _ends_in_quote("".join(lines[last_start - 1 :]), delimiter):
        raise UnreadableFile(
            file, "guillemet jamais fermé : la suite du fichier serait lue comme une cellule",
            "quote never closed: the rest of the file would be read as one cell",
            line=last_start,
        )  # fmt: skip
    return records or []


def _csv_error(file: str, error: str, line: int) -> UnreadableFile:
    if "field larger" not in error:
        return UnreadableFile(file, f"CSV illisible ({error})", f"unreadable CSV ({error})",
                              line=line)  # fmt: skip
    return cell_too_long(file, line)


def _ends_in_quote(record: str, delimiter: str) -> bool:
    """True if the text of one record ends inside a quoted field."""
    try:
        list(csv.reader(io.StringIO(record, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def _cells(
    header: Sequence[str], record: Sequence[Any], log: RowLog, *, repair: bool = True
) -> dict[str, Any]:
    """Zip a record with the header; repair mojibake; report cells beyond the header."""
    values: dict[str, Any] = dict(zip(header, record, strict=False))  # names are unique
    for name, cell in values.items() if repair else ():
        if isinstance(cell, str) and not cell.isascii():
            fixed = repair_mojibake(cell)
            if fixed != cell:
                log.warn(name, cell, f"texte mal encodé réparé en {fixed!r}")
                values[name] = fixed
    if len(record) > len(header):
        extra = [c for c in record[len(header) :] if c not in (None, "")]
        if extra:
            log.warn(None, extra, "cellules au-delà de la dernière colonne ignorées")
    return values


def _header_names(
    cells: Sequence[Any], row: int, file: str | None, issues: list[ImportIssue]
) -> list[str]:
    """Return usable column names: stripped, repaired, unique (``name#2`` for repeats)."""
    names: list[str] = []
    for index, cell in enumerate(cells):
        letter = _column_letter(index)
        if isinstance(cell, str) and cell.strip():
            name = repair_mojibake(cell.strip())
        else:
            name = letter
            if cell not in (None, ""):
                issues.append(
                    ImportIssue(row, letter, cell, "en-tête non textuel : colonne nommée "
                                f"{letter}", file, severity="warning")
                )  # fmt: skip
        if name in names:
            issues.append(
                ImportIssue(row, name, name, f"colonne en double (colonne {letter}) : seule "
                            "la première est lue", file, severity="warning")
            )  # fmt: skip
            repeat = 2
            while f"{name}#{repeat}" in names or f"{name}#{repeat}" in cells[index + 1 :]:
                repeat += 1  # a name the file itself gives stays the file's
            name = f"{name}#{repeat}"
        names.append(name)
    while names and names[-1] == _column_letter(len(names) - 1):
        names.pop()
    return names


def _column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_csv_table(
    path: str | Path, *, delimiter: str | None = None, member: str | None = None
) -> Table:
    """Read a CSV file of any supported encoding into a :class:`Table` (compressed or
    not: see :func:`~maillage.io.unreadable.read_data`, whose ``member`` names the file
    of a zip holding several)."""
    data, name = read_data(path, member)
    text, encoding = decode(data)
    table = parse_csv_text(text, file=name, delimiter=delimiter)
    table.encoding = encoding
    if encoding not in ("utf-8", "utf-8-sig"):
        table.issues.insert(
            0, ImportIssue(None, None, encoding, f"fichier lu en {encoding} (pas en UTF-8)",
                           name, severity="warning"),
        )  # fmt: skip
    return table


def xlsx_table(
    records: Iterable[Sequence[Any]], *, file: str | None = None, skip_flag: str | None = None
) -> Table:
    """Build a :class:`Table` from worksheet rows (first non-empty row is the header).

    ``skip_flag`` names a column (such as data·inclusion's ``__ignore__``) whose truthy
    cells mark template rows to skip; each skipped row is reported. A text cell longer
    than :data:`~maillage.io.unreadable.CELL_LIMIT` characters refuses the file, as in
    a CSV file.
    """
    issues: list[ImportIssue] = []
    header: list[str] = []
    rows: list[Row] = []
    for number, record in enumerate(records, start=1):
        if record.count(None) + record.count("") == len(record):  # blank (counted in C)
            continue
        if max(map(_text_length, record)) > CELL_LIMIT:
            index = next(i for i, c in enumerate(record) if _text_length(c) > CELL_LIMIT)
            raise cell_too_long(file or "classeur", number, index + 1)
        if not header:
            header = _header_names(list(record), number, file, issues)
            continue
        log = RowLog(issues, number, file)
        values = _cells(header, list(record), log)
        if skip_flag and values.get(skip_flag) not in (None, "", False, 0):
            log.warn(skip_flag, values[skip_flag], "ligne de modèle ignorée")
            continue
        rows.append(Row(number, values))
    return Table(header, rows, file, issues)


def _text_length(cell: Any) -> int:
    return len(cell) if isinstance(cell, str) else 0


def read_xlsx_table(
    source: str | Path | bytes,
    *,
    sheet: str | int | None = 0,
    skip_flag: str | None = None,
    file: str | None = None,
    prefer: str | None = None,
) -> Table:
    """Read one worksheet of an XLSX workbook into a :class:`Table`; ``file`` names it in
    messages (default: the path's name, else ``classeur``).

    ``sheet`` is a sheet's name (in any case or spacing), its position counted from 1
    when written in digits (``"2"``), or an index from 0; None reads the sheet
    ``prefer`` names when the workbook has it (the ``links`` sheet of an export read
    as links), else the first. A sheet the workbook lacks is refused, naming those it has.
    """
    if isinstance(source, bytes):
        data, name = source, file or "classeur"
    else:
        data, name = read_data(source)
        name = file or name
    workbook = open_workbook(data, name, read_only=True, data_only=True)
    try:
        worksheet = workbook[_sheet_name(workbook.sheetnames, sheet, prefer, name)]
        rows = sheet_rows(worksheet, name)
        return xlsx_table(rows, file=f"{name}#{worksheet.title}", skip_flag=skip_flag)
    finally:
        workbook.close()


def _sheet_name(names: list[str], sheet: str | int | None, prefer: str | None, file: str) -> str:
    """The name of the sheet :func:`read_xlsx_table` reads (see there)."""
    if sheet is None:
        return prefer if prefer in names else names[0]
    if isinstance(sheet, int):
        if -len(names) <= sheet < len(names):
            return names[sheet]
    elif sheet in names:
        return sheet
    else:
        from maillage.io.columns import header_key  # columns reads tables: imported here

        folded = [n for n in names if header_key(n) == header_key(sheet)]
        if folded:
            return folded[0]
        if sheet.strip().isdigit() and 1 <= int(sheet) <= len(names):
            return names[int(sheet) - 1]
    found = ", ".join(names)
    raise UnreadableFile(file, f"pas de feuille « {sheet} » (feuilles : {found})",
                         f"no sheet '{sheet}' (sheets: {found})")  # fmt: skip


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def read_table(
    path: str | Path, *, sheet: str | int | None = None, prefer: str | None = None
) -> Table:
    """Read a ``.csv``/``.txt``/``.tsv`` or ``.xlsx`` file, compressed (``.gz``, ``.zip``)
    or not, into a :class:`Table`.

    ``sheet`` names a workbook's sheet (see :func:`read_xlsx_table`, with ``prefer``), or
    the file to read in a zip archive holding several; a text file has no sheets."""
    path = Path(path)
    member = sheet if isinstance(sheet, str) and path.suffix.lower() == ".zip" else None
    if data_suffix(path, member) in WORKBOOK_SUFFIXES:
        data, name = read_data(path, member)
        if member is not None and name.endswith("/" + member.lstrip("/")):
            sheet = None  # the name was the archive's file, not a sheet
        return read_xlsx_table(data, sheet=sheet, file=name, prefer=prefer)
    if sheet is not None and not (member is not None and _names_member(path, member)):
        raise UnreadableFile(path.name, f"pas de feuille « {sheet} » : un fichier texte n'a "
                             "qu'une table", f"no sheet '{sheet}': a text file holds one "
                             "table")  # fmt: skip
    return read_csv_table(path, member=member)


def _names_member(path: Path, member: str) -> bool:
    """True when ``member`` names a file of the zip archive ``path``."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return any(member in (n, Path(n).name) for n in archive.namelist())


def table_from_records(
    records: Iterable[dict[str, Any]], *, file: str | None = None, start: int = 2
) -> Table:
    """Wrap plain dicts as a :class:`Table`, numbered as a CSV would be (first row = 2)
    unless ``start`` says otherwise (1 for the elements of a JSON or XML document)."""
    rows = [Row(n, dict(r)) for n, r in enumerate(records, start=start)]
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row.values if k not in header)
    return Table(header, rows, file)
