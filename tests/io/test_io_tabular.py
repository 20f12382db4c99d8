"""Generic actor/link tables: encodings, delimiters, header guesses, repairs, errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from maillage.io.classify import classify
from maillage.io.reading import decode, parse_csv_text, read_csv_table, sniff_delimiter
from maillage.io.tabular import actor_mapping, parse_actor_table, parse_link_table, read_actors

FRENCH_CSV = (
    "Raison sociale;SIRET;Code postal;Ville;Monde;Site web;Téléphone;Thèmes;Remarque\n"
    "Association Les Amis;3899559300019.0;59 300;Valenciennes;;;03 27 00 00 00;a|b;x\n"
    "Mairie de Lille;21590350100017;59000;Lille;public;https://lille.fr;;;\n"
    ";21590350100017;59000;Lille;;;;;\n"
    "Société X;12345678901234;59000;Lille;;;;;\n"
)


def test_encodings_and_delimiters(tmp_path: Path) -> None:
    text = "nom;ville\nCafé;Sète\n"
    for encoding, expected in (("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        table = read_csv_table(path)
        assert (table.encoding, table.delimiter) == (expected, ";")
        assert table.rows[0].values == {"nom": "Café", "ville": "Sète"}
    assert decode(b"\x81caf\xe9")[1] == "latin-1"
    assert sniff_delimiter("a\tb\tc\n1\t2\t3\n") == "\t"


def test_free_text_line_before_header_is_skipped_and_reported() -> None:
    table = parse_csv_text("Version beta : données\ncode_insee;nom\n01001;Ain\n")
    assert table.header == ["code_insee", "nom"]
    assert table.rows[0].number == 3
    assert "avant l'en-tête" in table.issues[0].message


def test_multiline_cells_keep_row_numbers() -> None:
    table = parse_csv_text('nom,commentaire\nA,"deux\nlignes"\nB,x\n')
    assert [r.number for r in table.rows] == [2, 3]


def test_french_headers_are_guessed() -> None:
    mapping = actor_mapping(["Raison sociale", "Code Postal*", "e-mail", "Numéro RNA", "lat"])
    assert mapping == {
        "Raison sociale": "name", "Code Postal*": "postcode", "e-mail": "email",
        "Numéro RNA": "rna", "lat": "latitude",
    }  # fmt: skip


def test_actor_table_repairs_errors_and_classification() -> None:
    result = parse_actor_table(parse_csv_text(FRENCH_CSV, file="acteurs.csv"))
    assert (result.rows, result.accepted, result.rejected_rows) == (4, 2, [4, 5])
    amis, mairie = result.actors
    assert amis.postcode == "59300" and amis.themes == ["a", "b"]
    assert amis.extra == {"Remarque": "x"}
    assert (amis.world, amis.category, amis.classification_rule) == (
        "associative", "association", "name:association",
    )  # fmt: skip
    # the file's world is kept; the category its name gives is added, and said so
    assert (mairie.world, mairie.category, mairie.classification_rule) == (
        "public", "collectivite", "category name:mairie",
    )  # fmt: skip
    assert amis.siret == "03899559300019"
    errors = {(i.row, i.field) for i in result.errors}
    assert errors == {(4, "name"), (5, "siret")}
    warnings = {(i.row, i.field) for i in result.warnings}
    assert warnings == {(2, "siret"), (2, "postcode")}
    assert all(i.file == "acteurs.csv" for i in result.issues)


def test_explicit_mapping_and_ignored_columns() -> None:
    rows = [{"Intitulé": "Fondation Y", "secret": "x", "dep": "59"}]
    result = parse_actor_table(rows, {"Intitulé": "name", "secret": "ignore"})
    (actor,) = result.actors
    assert actor.name == "Fondation Y" and actor.extra == {"dep": "59"}
    assert actor.classification_rule == "name:fondation"


def test_duplicate_key_rejected() -> None:
    rows = [{"id": "a", "nom": "A"}, {"id": "a", "nom": "B"}]
    result = parse_actor_table(rows)
    assert result.rejected_rows == [3]
    assert result.errors[0].message == "identifiant déjà utilisé plus haut dans le fichier"


def test_link_table_guesses_and_checks() -> None:
    rows = [
        {
            "de": "a",
            "vers": "b",
            "type": "mécénat",
            "date début": "12/03/2019",
            "montant": "1 500,50",
        },
        {"de": "a", "vers": "a", "type": "x"},
        {"de": "a", "vers": "", "type": "x"},
    ]
    result = parse_link_table(rows)
    assert result.rejected_rows == [3, 4]
    (first,) = result.links
    (last,) = parse_link_table(
        [{"source": "a", "target": "c", "start_year": "2011", "weight": "2"}]
    ).links
    assert (first.kind, first.start_date, first.amount) == ("mécénat", dt.date(2019, 3, 12), 1500.5)
    assert (last.source_key, last.start_date, last.weight) == ("a", dt.date(2011, 1, 1), 2.0)


def test_xlsx_with_floats_and_dates(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Nom", "SIRET", "CP", "Date création"])
    sheet.append(["Le Biclou", 21060004500392.0, 59260.0, dt.datetime(2019, 3, 12)])
    path = tmp_path / "a.xlsx"
    workbook.save(path)
    result = read_actors(path)
    (actor,) = result.actors
    assert result.rows == 1 and actor.postcode == "59260"
    assert actor.siret == "21060004500392"
    assert actor.extra == {"Date création": "2019-03-12T00:00:00"}
    assert result.issues == []  # integral numbers come back from openpyxl as int


def test_classification_rules_order() -> None:
    assert classify(legal_form="9220").rule == "legal_form:9220"  # type: ignore[union-attr]
    assert classify(legal_form="7383").world == "academic"  # type: ignore[union-attr]
    assert classify(legal_form="7361").category == "etablissement_public"  # type: ignore[union-attr]
    found = classify(typologies=["TIERS_LIEUX", "ASSO"])
    assert found is not None and found.rule == "typologie:TIERS_LIEUX"
    found = classify(name="Université de Lille", siren="130023385")
    assert found is not None and (found.world, found.rule) == ("academic", "name:université")
    assert classify(name="ACME", siren="213000000") is not None
    assert classify(name="ACME") is None


def test_mojibake_is_repaired_but_french_accents_are_left_alone() -> None:
    clean = parse_csv_text("nom;commune\nAssociation de Vogüé;Vogüé\n")
    assert clean.rows[0].values == {"nom": "Association de Vogüé", "commune": "Vogüé"}
    assert clean.issues == []
    damaged = parse_csv_text("nom;commune\nAssociation de Vogüé;Vogüé\nMÃ©diathÃ¨que;Lille\n")
    assert damaged.rows[1].values["nom"] == "Médiathèque"
    assert damaged.rows[0].values["nom"] == "Association de Vogüé"
    assert [(i.row, i.field) for i in damaged.issues] == [(3, "nom")]


def test_a_repeated_bad_value_is_reported_on_every_row() -> None:
    # 3,000 rows: long enough for the reader to remember the conversions of the
    # repeated postcode column; each bad cell must still be reported on its row.
    lines = ["nom;code_postal;monde"]
    for i in range(3000):
        postcode = "59A00" if i % 1000 == 7 else ("59 300" if i % 1000 == 8 else "59300")
        lines.append(f"Association {i};{postcode};associatif")
    result = parse_actor_table(parse_csv_text("\n".join(lines) + "\n"))
    errors = [(i.row, i.field) for i in result.issues if i.severity == "error"]
    repairs = [(i.row, i.field) for i in result.issues if i.severity == "warning"]
    assert errors == [(9, "postcode"), (1009, "postcode"), (2009, "postcode")]
    assert repairs == [(10, "postcode"), (1010, "postcode"), (2010, "postcode")]
    assert len(result.actors) == 2997
    assert {a.postcode for a in result.actors} == {"59300"}
    assert {a.world for a in result.actors} == {"associative"}
