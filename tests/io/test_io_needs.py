"""Needs and indicator tables parsed without a database: values, issues, rejected rows."""

from __future__ import annotations

import datetime as dt

from maillage.io.needs import parse_indicators, parse_needs
from maillage.io.reading import parse_csv_text

KNOWN = {"DEP:59", "DEP:62", "COM:59350", "COM:62041", "COLL:988", "REG:32"}


def test_needs_rows_read_the_french_way() -> None:
    table = parse_csv_text(
        "Territoire;Thème;Publics;Gravité;Statut;Date\n"
        "59;Inclusion numérique;seniors|jeunes;3;observé;12/03/2024\n"
        "988;mobilité douce;;;;\n"
        "99999;inclusion-numerique;;;;\n"
        "DEP:62;;;5;;\n",
        file="besoins.csv",
    )
    result = parse_needs(table, known=KNOWN)
    assert (result.rows, result.rejected_rows) == (4, [4, 5])
    first, second = result.records
    assert first["territory_code"] == "DEP:59" and first["theme"] == "inclusion-numerique"
    assert (first["publics"], first["severity"], first["status"]) == (
        ["seniors", "jeunes"], 3, "observed")  # fmt: skip
    assert first["date"] == dt.date(2024, 3, 12)
    assert (second["territory_code"], second["theme"]) == ("COLL:988", "mobilité douce")
    assert sorted((i.row, i.field) for i in result.errors) == [
        (4, "Territoire"), (5, "Gravité"), (5, "Thème")]  # fmt: skip
    assert parse_needs(parse_csv_text("nom;thème\nx;y\n"), known=KNOWN).errors[0].message == (
        "aucune colonne territoire"
    )


def test_wide_indicators_skip_codes_names_and_the_row_index() -> None:
    table = parse_csv_text(",CODE_INSEE,LIBCOM,TX\n0,59350,Lille,\"0,5\"\n1,62041,Arras,1\n"
                           "2,62041,Arras,\n")  # fmt: skip
    result = parse_indicators(table, known=KNOWN, year=2020)
    assert result.records == [
        {"territory_code": "COM:59350", "key": "tx", "value": 0.5, "year": 2020, "unit": None},
        {"territory_code": "COM:62041", "key": "tx", "value": 1.0, "year": 2020, "unit": None},
    ]
    long = parse_csv_text("territoire,indicateur,valeur,date\nREG:32,part,0.97,2023-06-01\n")
    assert [(r["key"], r["year"]) for r in parse_indicators(long, known=KNOWN).records] == [
        ("part", 2023)]  # fmt: skip
