"""Bounded reading of workbooks: a zip bomb, a part that lies about its size, a cell or
a text too long, a sheet that names a row or a column beyond a spreadsheet's are
refused with one line naming the file, the part or the place, and the limit, in
bounded memory (a generous sanity bound, measured with tracemalloc)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xlsx_bombs as bombs

from maillage.io.data_inclusion import read_data_inclusion_xlsx
from maillage.io.kumu import read_kumu
from maillage.io.reading import read_table
from maillage.io.unreadable import UnreadableFile
from maillage.io.xlsx import parse_xlsx, read_xlsx

NNBSP = "\N{NARROW NO-BREAK SPACE}"
MEMORY_BOUND = 300 << 20


def _refused(call: Callable[[], Any]) -> tuple[str, int]:
    """The one-line message of the refusal of ``call`` and the peak memory it took."""
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableFile) as caught:
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert "\n" not in message
    return message, peak


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An actors workbook of about 1 MB whose shared string is 1 GiB of ``a``."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    path.write_bytes(bombs.shared_string_bomb())
    assert path.stat().st_size < 2 << 20
    return path


@pytest.mark.parametrize("reader", [read_table, read_xlsx, read_data_inclusion_xlsx, read_kumu])
def test_a_gibibyte_shared_string_is_refused_before_it_is_decompressed(
    bomb: Path, reader: Callable[[Path], Any]
) -> None:
    message, peak = _refused(lambda: reader(bomb))
    assert message == (
        "Fichier illisible « bomb.xlsx » : partie « xl/sharedStrings.xml » du classeur : "
        f"1{NNBSP}073{NNBSP}741{NNBSP}917 octets décompressés, plus que la limite de "
        f"268{NNBSP}435{NNBSP}456"
    )
    assert peak < MEMORY_BOUND


def test_a_part_that_declares_less_than_it_holds_is_refused_as_damaged() -> None:
    message, peak = _refused(lambda: parse_xlsx(bombs.lying_bomb(), file="menteur.xlsx"))
    assert message == (
        "Fichier illisible « menteur.xlsx » : classeur XLSX endommagé "
        "(Bad CRC-32 for file 'xl/sharedStrings.xml')"
    )
    assert peak < MEMORY_BOUND


def test_a_part_that_grows_like_a_bomb_is_refused() -> None:
    rows = '<row r="2"><c r="A2" t="inlineStr"><is><t>Lieu</t></is></c></row>'
    sheet = bombs.Part.repeated(b"", b" " * (1 << 20), 40, bombs.sheet_xml(bombs.HEADER + rows))
    message, _ = _refused(lambda: parse_xlsx(bombs.with_sheet(sheet), file="b.xlsx"))
    assert message.startswith(
        "Fichier illisible « b.xlsx » : partie « xl/worksheets/sheet1.xml » du classeur : "
        "se décompresse "
    )
    assert message.endswith(" fois (limite : 100 fois ; une bombe zip ?)")


@pytest.mark.parametrize("build", [bombs.long_cell, bombs.long_shared_string])
def test_a_cell_over_the_csv_limit_is_refused_in_a_workbook_too(
    build: Callable[[int], bytes],
) -> None:
    limit = 1 << 20
    assert parse_xlsx(build(limit), file="ok.xlsx").actors[0].name == bombs.letters(limit)
    message, _ = _refused(lambda: parse_xlsx(build(limit + 1), file="long.xlsx"))
    assert message == (
        "Fichier illisible « long.xlsx#actors », ligne 2, colonne 1 : cellule de plus "
        f"de 1{NNBSP}048{NNBSP}576 caractères"
    )


@pytest.mark.parametrize("build", [bombs.long_cell, bombs.long_shared_string])
def test_a_text_too_long_to_be_a_cell_is_refused_while_it_streams(
    build: Callable[[int], bytes],
) -> None:
    data = build(5 << 20)
    message, peak = _refused(lambda: parse_xlsx(data, file="t.xlsx"))
    part = "xl/worksheets/sheet1.xml" if build is bombs.long_cell else "xl/sharedStrings.xml"
    assert message == (
        f"Fichier illisible « t.xlsx » : partie « {part} » du classeur : un texte de plus "
        f"de 4{NNBSP}194{NNBSP}304 octets d'un seul tenant (une cellule de plus de "
        f"1{NNBSP}048{NNBSP}576 caractères ?)"
    )
    assert peak < 64 << 20  # the text is never built whole: a few buffers of it


def test_a_sheet_declaring_a_million_empty_rows_reads_its_one_row() -> None:
    result = parse_xlsx(bombs.empty_rows_bomb(), file="vide.xlsx")
    assert [a.name for a in result.actors] == ["Lieu"]
    assert result.issues[0].row == 1 << 20  # the row as the file numbers it


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [
        (1 << 20, "XFE", f"ligne 1048576 : plus de 16{NNBSP}384 colonnes"),
        ((1 << 20) + 1, "A", f"ligne 1048577 : plus de 1{NNBSP}048{NNBSP}576 lignes"),
    ],
)
def test_a_row_or_a_column_beyond_a_spreadsheet_is_refused(
    row: int, column: str, expected: str
) -> None:
    with pytest.raises(UnreadableFile) as caught:  # no tracemalloc: a million rows to count
        parse_xlsx(bombs.empty_rows_bomb(row, column), file="f.xlsx")
    assert (
        str(caught.value)
        == f"Fichier illisible « f.xlsx#actors », {expected} (limite d'une feuille)"
    )
