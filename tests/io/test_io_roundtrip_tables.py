"""Round trips generate -> parse for the CSV (both dialects), XLSX and JSON exports."""

from __future__ import annotations

import io
import re

from hypothesis import given, settings
from io_strategies import ROUND_TRIP, graphs

from maillage.io.csvfile import (
    generate_actors_csv,
    generate_links_csv,
    parse_actors_csv,
    parse_links_csv,
)
from maillage.io.jsonfile import generate_json, parse_json
from maillage.io.xlsx import generate_xlsx, parse_xlsx
from maillage.model.records import ActorRecord, LinkRecord

Graph = tuple[list[ActorRecord], list[LinkRecord]]
FAST = ROUND_TRIP


@FAST
@given(graphs())
def test_csv_round_trip(graph: Graph) -> None:
    actors, links = graph
    for dialect in ("utf-8", "excel-fr"):
        actor_text = "".join(generate_actors_csv(actors, dialect=dialect))
        link_text = "".join(generate_links_csv(links, dialect=dialect))
        parsed_actors = parse_actors_csv(actor_text.encode("utf-8"))
        parsed_links = parse_links_csv(link_text.encode("utf-8"))
        assert parsed_actors.errors == [] and parsed_links.errors == []
        assert parsed_actors.actors == actors
        assert parsed_links.links == links


def test_excel_fr_dialect_shape() -> None:
    actor = ActorRecord(name="A", key="a", latitude=50.5)
    lines = list(generate_actors_csv([actor], dialect="excel-fr"))
    assert lines[0].startswith("\ufeffname;key;")
    assert ";50,5;" in lines[1]


@settings(ROUND_TRIP, max_examples=25)
@given(graphs(exact=False))
def test_xlsx_round_trip(graph: Graph) -> None:
    actors, links = graph
    parsed = parse_xlsx(generate_xlsx(actors, links))
    assert parsed.errors == []
    assert parsed.actors == actors and parsed.links == links


@FAST
@given(graphs())
def test_json_round_trip(graph: Graph) -> None:
    actors, links = graph
    parsed = parse_json("".join(generate_json(actors, links)))
    assert parsed.errors == []
    assert parsed.actors == actors and parsed.links == links


def test_json_reports_bad_records() -> None:
    text = '{"actors": [{"name": "A", "siret": "123"}, {"key": "b"}], "links": [{"weight": "x"}]}'
    parsed = parse_json(text, file="x.json")
    assert parsed.rejected_rows == [1, 2, 1]
    assert {(i.file, i.row, i.field) for i in parsed.errors} == {
        ("x.json#actors", 1, "siret"), ("x.json#actors", 2, "name"), ("x.json#links", 1, "weight"),
    }  # fmt: skip


def test_a_formula_in_a_cell_is_written_as_text_and_reads_back() -> None:
    """CSV injection: a spreadsheet opening the export must not run a name as a formula;
    the file still reads back to the same values (numbers and apostrophes untouched)."""
    names = [
        '=HYPERLINK("http://evil.example";"cliquez")',
        "+33 6 12",
        "@SUM(A1)",
        "'=A1",
        "l'Atelier",
    ]
    actors = [ActorRecord(name=name, key=f"k{i}") for i, name in enumerate(names)]
    links = [LinkRecord(source_key="k0", target_key="k1", amount=-5.0)]
    for dialect in ("utf-8", "excel-fr"):
        text = "".join(generate_actors_csv(actors, dialect=dialect))
        assert "'=HYPERLINK" in text and "'@SUM" in text and "''=A1" in text
        assert re.search(r'(^|[,;])"?[=+@]', text, re.MULTILINE) is None  # no cell starts so
        assert [a.name for a in parse_actors_csv(text).actors] == names
        link_text = "".join(generate_links_csv(links, dialect=dialect))
        assert "'-" not in link_text  # a negative amount is a number, not a formula
        assert [link.amount for link in parse_links_csv(link_text).links] == [-5.0]


def test_the_lieux_export_neutralises_formulas_and_keeps_phone_numbers() -> None:
    """The national-schema CSV: a name that would run is marked as text; a phone number in
    the schema's +33 form is a number, written as it is; both read back unchanged."""
    from maillage.io.mediation import generate_lieux_csv, parse_lieux_csv
    from maillage.io.reading import parse_csv_text

    place = ActorRecord(
        name="=1+2", key="k1", phone="+33180059880", address="1 rue X", postcode="59000",
        commune_name="Lille", commune_code="59350", latitude=50.6, longitude=3.06,
    )  # fmt: skip
    text = "".join(generate_lieux_csv([place]))
    assert ",'=1+2," in text and ",+33180059880," in text
    (read,) = parse_lieux_csv(parse_csv_text(text)).actors
    assert (read.name, read.phone) == ("=1+2", "+33180059880")


def test_every_formula_start_is_neutralised_and_read_back_by_the_csv_module() -> None:
    import csv
    import io

    from maillage.io.spreadsheet import spreadsheet_safe, unquoted_cell

    cells = ["=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx", "\rx", "-5", "+3,5", "a=b"]
    buffer = io.StringIO()
    csv.writer(buffer).writerow([spreadsheet_safe(c) for c in cells])
    (read,) = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert [c[:1] for c in read[:6]] == ["'"] * 6
    assert read[6:] == ["-5", "+3,5", "a=b"]  # numbers and plain text as they were
    assert [unquoted_cell(c) for c in read] == cells


def test_an_xlsx_export_keeps_formula_looking_names_as_text_cells() -> None:
    """A spreadsheet opening the workbook shows the text; it evaluates no cell."""
    import zipfile

    names = ['=HYPERLINK("http://x","clic")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(1)"]
    data = generate_xlsx([ActorRecord(name=n, key=str(i)) for i, n in enumerate(names)], [])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere
    assert [a.name for a in parse_xlsx(data).actors] == names
