"""Column-wise reading of CSV actor tables: the same records and issues as row by row.

``parse_actor_table`` converts a CSV table column by column (numpy Luhn sums, each
distinct code once) and reads again, on its own, every row with something to report.
These tests hold it to the row-by-row reading on messy cells, row for row.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from maillage.io.reading import Row, Table, parse_csv_text
from maillage.io.tabular import parse_actor_table
from maillage.model import identifiers as ids
from maillage.model.errors import InvalidInput


def _siret(body: str) -> str:
    siren = body + luhn.calc_check_digit(body)
    rest = siren + "0001"
    return rest + luhn.calc_check_digit(rest)


VALID_SIRETS = [_siret(f"{n:08d}") for n in (38054493, 21590350, 77567227, 12345678)]
SIRETS = [
    *VALID_SIRETS,
    "35600000000048",  # La Poste: digit sum a multiple of 5
    "12345678901234",  # wrong check digits
    f"{VALID_SIRETS[0][:13]}.0",  # read as a number
    f"{VALID_SIRETS[1][:3]} {VALID_SIRETS[1][3:]}",  # spaced
    VALID_SIRETS[2][:13],  # a digit short
    "٣٨٠٥٤٤٩٣٢٠٠٠٢٩",  # Arabic-Indic digits
    "",
    " ",
    "n/a",
]
CELLS = {
    "id": ["A1", "A2", "A3", "A1", "", " B7 "],
    "nom": ["Association Les Amis", "Mairie de Lille", "", "  ", "SCOP Tissage", "Café"],
    "siret": SIRETS,
    "siren": [s[:9] for s in VALID_SIRETS] + ["123456789", "", "12345678"],
    "code_postal": ["59300", "59 300", "1200", "", "abcde", "75010", "00100"],
    "code_insee": ["59350", "2A004", "99999", "", "5935", "75056", "59350 "],
    "monde": ["associative", "public", "économique", "", "foo", "academic"],
    "categorie_juridique": ["9220", "92", "", "7210", "abcd"],
    "themes": ["emploi|santé", "", "culture"],
    "remarque": ["", "à voir", " note "],
}


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    columns = draw(st.lists(st.sampled_from(sorted(CELLS)), min_size=1, unique=True))
    if draw(st.booleans()) and "nom" not in columns:
        columns.append("nom")
    rows = draw(
        st.lists(
            st.tuples(*(st.sampled_from(CELLS[c]) for c in columns)).map(list),
            min_size=1,
            max_size=25,
        )
    )
    return columns, rows


def _row_by_row(header: list[str], records: list[list[str]]) -> Table:
    rows = [Row(n, dict(zip(header, r, strict=True))) for n, r in enumerate(records, start=2)]
    return Table(header, rows, "acteurs.csv")


def _column_wise(header: list[str], records: list[list[str]]) -> Table:
    numbers = list(range(2, len(records) + 2))
    return Table(header, None, "acteurs.csv", records=records, numbers=numbers)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_column_wise_reading_gives_the_records_and_issues_of_row_by_row(
    table: tuple[list[str], list[list[str]]],
) -> None:
    header, records = table
    expected = parse_actor_table(_row_by_row(header, records), source="test")
    got = parse_actor_table(_column_wise(header, records), source="test")
    assert got.actors == expected.actors
    assert got.issues == expected.issues
    assert got.rejected_rows == expected.rejected_rows
    assert got.rows == expected.rows == len(records)


def test_a_clean_csv_is_read_column_wise_and_a_damaged_one_row_by_row() -> None:
    clean = parse_csv_text(f"nom,siret\nAsso,{VALID_SIRETS[0]}\n,\nMairie,{VALID_SIRETS[1]}\n")
    assert clean.records is not None and clean.numbers == [2, 4]  # the blank row skipped
    result = parse_actor_table(clean)
    assert [(a.name, a.siret) for a in result.actors] == [
        ("Asso", VALID_SIRETS[0]),
        ("Mairie", VALID_SIRETS[1]),
    ]
    damaged = parse_csv_text("nom,ville\nCafÃ©,Lille\n")
    assert damaged.records is None and damaged.rows[0].values["nom"] == "Café"
    wide = parse_csv_text("nom,ville\nCafé,Lille\nMairie,Lille\nSCOP,Roubaix,en trop\n")
    assert wide.records is None and "au-delà" in wide.issues[0].message


def test_duplicate_keys_and_bad_cells_are_reported_on_their_rows() -> None:
    text = (
        "id,nom,siret,code_postal\n"
        f"A1,Asso,{VALID_SIRETS[0]},59300\n"
        f"A1,Autre,{VALID_SIRETS[1]},59000\n"
        "A2,Mairie,12345678901234,59 300\n"
        f"A3,,{VALID_SIRETS[2]},59000\n"
    )
    result = parse_actor_table(parse_csv_text(text, file="acteurs.csv"))
    assert [a.key for a in result.actors] == ["A1"]
    assert result.rejected_rows == [3, 4, 5]
    assert [(i.row, i.field, i.severity) for i in result.issues] == [
        (3, "key", "error"),
        (4, "siret", "error"),
        (4, "postcode", "warning"),
        (5, "name", "error"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=string.digits + "a ٣", max_size=16), max_size=30))
def test_whole_column_luhn_and_siret_checks_match_the_single_ones(codes: list[str]) -> None:
    codes = codes + VALID_SIRETS
    for width in (9, 14):
        expected = [
            len(c) == width and c.isascii() and c.isdigit() and ids.luhn_ok(c) for c in codes
        ]
        assert ids.luhn_ok_many(codes, width) == expected
    sirets = ids.valid_sirets(codes)
    for code, valid in zip(codes, sirets, strict=True):
        if valid is not None:  # the clean ones: exactly what siret_ok says
            assert valid == code and ids.siret_ok(code) and ids.validate_siret(code) == code
        elif not code.startswith("356000000"):  # left to siret_ok: not a clean SIRET
            assert not (len(code) == 14 and ids.siret_ok(code)) or not code.isascii()
    assert [c is not None for c in ids.valid_sirens(codes)] == [
        len(c) == 9 and ids.siren_ok(c) and c.isascii() for c in codes
    ]


def test_a_long_table_of_repeated_lists_reads_as_row_by_row() -> None:
    # 2,100 rows: the themes column repeats, so its conversions are remembered, but a
    # list is never shared between records: each row gets its own.
    header = ["nom", "themes", "code_postal", "siret"]
    records = [
        [f"Association {i}", "emploi|santé" if i % 2 else "culture", "59 300" if i == 7 else
         "59300", VALID_SIRETS[i % 4] if i % 5 else "12345678901234"]
        for i in range(2100)
    ]  # fmt: skip
    expected = parse_actor_table(_row_by_row(header, records))
    got = parse_actor_table(_column_wise(header, records))
    assert got.actors == expected.actors and got.issues == expected.issues
    assert len(got.actors) == 2100 - 420 and got.actors[0].themes == ["emploi", "santé"]
    assert got.actors[0].themes is not got.actors[2].themes


def test_a_mapping_to_an_unknown_field_is_refused_with_the_field_named() -> None:
    table = parse_csv_text("nom,ville\nAsso,Lille\n")
    try:
        parse_actor_table(table, {"ville": "commune"})
    except InvalidInput as exc:
        assert exc.field == "--map" and exc.value == "ville=commune"
        assert "commune_name" in exc.rule  # the known fields are listed
    else:
        raise AssertionError("a mapping to an unknown field must be refused")
    mapped = parse_actor_table(table, {"ville": "commune_name"})
    assert mapped.actors[0].commune_name == "Lille"


def test_repeated_header_names_stay_distinct_and_read_alike() -> None:
    table = parse_csv_text("nom,note#2,note,note\nA,v,w,\n")
    assert table.header == ["nom", "note#2", "note", "note#3"]
    header, records = table.header, table.records
    assert records is not None
    expected = parse_actor_table(_row_by_row(header, records))
    got = parse_actor_table(table)
    assert got.actors == expected.actors and got.actors[0].extra == {"note#2": "v", "note": "w"}
