"""Hostile or broken files are refused with one clear error naming the file and the
place (line, element), never a traceback; a valid file next to them still reads."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from maillage.io.data_inclusion import read_data_inclusion, read_data_inclusion_xlsx
from maillage.io.decp import read_decp
from maillage.io.geojson import parse_geojson
from maillage.io.jsonfile import parse_json
from maillage.io.mediation import read_lieux_json
from maillage.io.reading import read_csv_table, read_table
from maillage.io.unreadable import UnreadableFile
from maillage.io.xlsx import read_xlsx

PLACE = '{"id": "p1", "nom": "Lieu", "adresse": "1 rue", "commune": "Paris"}'


def _refusal(tmp_path: Path, name: str, content: str | bytes, reader: object) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(UnreadableFile) as caught:
        reader(path)  # type: ignore[operator]
    assert "\n" not in str(caught.value) and f"« {name} »" in str(caught.value)
    return str(caught.value)


def test_an_unclosed_quote_is_an_error_at_the_line_where_it_opens(tmp_path: Path) -> None:
    text = 'nom,siret\nA,1\nB,"x\nC,3\nD,4\n'
    message = _refusal(tmp_path, "quote.csv", text, read_csv_table)
    assert "ligne 3" in message and "guillemet jamais fermé" in message
    ok = tmp_path / "ok.csv"  # a quoted cell may hold new lines, and a stray quote
    ok.write_text('nom,siret\nA,"deux\nlignes"\nB,a"b\n', "utf-8")
    assert [r.values["siret"] for r in read_csv_table(ok).rows] == ["deux\nlignes", 'a"b']


def test_a_cell_over_the_csv_limit_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = "nom,siret\nA,1\nB,2\nC," + "x" * 1_100_000 + "\n"
    message = _refusal(tmp_path, "big.csv", text, read_csv_table)
    assert (
        "ligne 4" in message
        and "1\N{NARROW NO-BREAK SPACE}048\N{NARROW NO-BREAK SPACE}576 caractères" in message
    )
    quoted = 'nom,siret\nA,"' + "x" * 1_100_000 + "\nB,2\n"
    assert "ligne 2" in _refusal(tmp_path, "bigq.csv", quoted, read_csv_table)


@pytest.mark.parametrize("reader", [read_lieux_json, read_data_inclusion, read_decp])
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, "JSON trop profondément imbriqué"),
        (" \n", "fichier vide"),
        ('[{"nom": "Cr\xe9teil"}]'.encode("latin-1"), "octet 13 : pas en UTF-8"),
        ("nom,siret\nA,1\n", "ligne 1, colonne 1 : JSON invalide"),
    ],
)
def test_a_broken_json_file_is_refused(
    tmp_path: Path, reader: object, content: str | bytes, expected: str
) -> None:
    assert expected in _refusal(tmp_path, "bad.json", content, reader)


@pytest.mark.parametrize("reader", [read_lieux_json, read_data_inclusion])
def test_array_elements_that_are_not_objects_are_named(tmp_path: Path, reader: object) -> None:
    message = _refusal(tmp_path, "items.json", f'[{PLACE}, 3, "x"]', reader)
    assert "élément 2 : objet JSON attendu, pas un nombre" in message
    assert "pas un objet" in _refusal(tmp_path, "object.json", PLACE, reader)


def test_a_json_file_with_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf[" + PLACE.encode() + b"]")
    assert read_lieux_json(path).rows == 1
    assert parse_json(b'\xef\xbb\xbf{"actors": [{"name": "A"}]}').actors[0].name == "A"
    deep = parse_json("[" * 100_000, file="deep.json")
    assert [str(i.message) for i in deep.errors] == [
        "Fichier illisible « deep.json » : JSON trop profondément imbriqué"
    ]


@pytest.mark.parametrize("reader", [read_table, read_xlsx, read_data_inclusion_xlsx])
def test_a_file_that_is_not_a_zip_given_as_xlsx_is_refused(tmp_path: Path, reader: object) -> None:
    message = _refusal(tmp_path, "acteurs.xlsx", "nom,siret\nA,1\n", reader)
    assert "pas un classeur XLSX" in message


def test_geojson_features_that_are_not_objects_are_reported() -> None:
    listed = parse_geojson('{"features": [3]}', file="g.geojson")
    assert [i.message for i in listed.errors] == [
        "Fichier illisible « g.geojson », élément 1 : objet JSON attendu, pas un nombre"
    ]
    bad_geometry = parse_geojson('{"features": [{"geometry": 3}]}', file="g.geojson")
    assert bad_geometry.rejected_rows == [1]
    assert parse_geojson(b'\xef\xbb\xbf{"features": []}').errors == []


def test_a_workbook_without_the_sheet_asked_for_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "di.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["nom", "siret"])
    workbook.save(path)
    with pytest.raises(UnreadableFile, match="« di.xlsx » : pas de feuille « Structures » "
                       "\\(feuilles : Sheet\\)"):  # fmt: skip
        read_data_inclusion_xlsx(path)
