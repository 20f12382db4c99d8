"""Cell parsing: French numbers and dates, identifier repairs reported as warnings."""

from __future__ import annotations

import datetime as dt

import pytest

from maillage.io import values as v
from maillage.io.reading import repair_mojibake
from maillage.io.result import RowLog
from maillage.model.records import ImportIssue


def _log() -> tuple[RowLog, list[ImportIssue]]:
    issues: list[ImportIssue] = []
    return RowLog(issues, 7, "f.csv"), issues


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 234,56", 1234.56),
        ("1\u202f234,5", 1234.5),
        ("100000,1", 100000.1),
        ("22000.80", 22000.8),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("-3", -3.0),
        (12, 12.0),
    ],
)
def test_french_and_english_numbers(raw: object, expected: float) -> None:
    log, issues = _log()
    assert v.parse_float(raw, log, "montant") == expected
    assert issues == []


def test_number_error_names_field_value_and_rule() -> None:
    log, issues = _log()
    assert v.parse_float("douze", log, "montant") is None
    assert log.failed
    (issue,) = issues
    assert (issue.row, issue.field, issue.value, issue.file) == (7, "montant", "douze", "f.csv")
    assert "nombre attendu" in issue.message


@pytest.mark.parametrize(
    ("raw", "expected", "warned"),
    [
        ("2019-03-12", dt.date(2019, 3, 12), False),
        ("12/03/2019", dt.date(2019, 3, 12), False),
        ("2018-12-31+01:00", dt.date(2018, 12, 31), False),
        ("2019-05-10T08:00:00Z", dt.date(2019, 5, 10), False),
        (dt.datetime(2020, 1, 2, 3, 4), dt.date(2020, 1, 2), False),
        (43655, dt.date(2019, 7, 9), False),
        ("43655", dt.date(2019, 7, 9), True),
    ],
)
def test_dates(raw: object, expected: dt.date, warned: bool) -> None:
    log, issues = _log()
    assert v.parse_date(raw, log, "date") == expected
    assert not log.failed
    assert bool(issues) is warned


def test_impossible_date_is_an_error() -> None:
    log, issues = _log()
    assert v.parse_date("31/02/2019", log, "date") is None
    assert log.failed and "date impossible" in issues[0].message


@pytest.mark.parametrize(
    "raw", ["0218-10-29", "29/10/0218", "2918-10-29", dt.date(218, 10, 29), dt.datetime(2918, 1, 1)]
)
def test_implausible_year_keeps_the_row_but_not_the_date(raw: object) -> None:
    log, issues = _log()
    assert v.parse_date(raw, log, "dateNotification") is None
    assert not log.failed
    (issue,) = issues
    assert issue.field == "dateNotification" and issue.value == raw
    assert "invraisemblable" in issue.message and "1800" in issue.message


def test_siret_read_as_number_is_repaired_and_reported() -> None:
    log, issues = _log()
    assert v.parse_siret(35600000000048.0, log) == "35600000000048"
    assert v.parse_siret("21060004500392.0", log) == "21060004500392"
    assert [i.severity for i in issues] == ["warning", "warning"]
    assert "lu comme un nombre" in issues[0].message


def test_siret_lost_leading_zero_is_restored() -> None:
    log, issues = _log()
    assert v.parse_siret("3899559300019.0", log) == "03899559300019"
    assert [i.severity for i in issues] == ["warning"]
    assert "zéro initial perdu restauré" in issues[0].message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("356 000 000 00048", "SIRET réparé en 35600000000048 (espaces retirés)"),
        ("356\u00a0000\u00a0000\u00a000048", "SIRET réparé en 35600000000048 (espaces retirés)"),
        ("35600000000048.0", "SIRET réparé en 35600000000048 (lu comme un nombre)"),
        (35600000000048.0, "SIRET réparé en 35600000000048 (lu comme un nombre)"),
        (
            "3899559300019.0",
            "SIRET réparé en 03899559300019 (zéro initial perdu restauré, lu comme un nombre)",
        ),
        (3899559300019, "SIRET réparé en 03899559300019 (zéro initial perdu restauré)"),
    ],
)
def test_siret_repair_message_says_what_was_repaired(raw: object, expected: str) -> None:
    log, issues = _log()
    assert v.parse_siret(raw, log) is not None
    assert [(i.severity, i.field, i.value, i.message) for i in issues] == [
        ("warning", "siret", raw, expected)
    ]


def test_siret_luhn_and_la_poste_exception() -> None:
    log, issues = _log()
    assert v.parse_siret("21060004500392", log) == "21060004500392"
    assert v.parse_siret("35600000049837", log) == "35600000049837"  # La Poste rule
    assert issues == []
    assert v.parse_siret("21860194600000", log) is None
    assert "Luhn" in issues[0].message and issues[0].value == "21860194600000"


def test_siren_and_rna() -> None:
    log, issues = _log()
    assert v.parse_siren("038 995 593", log) == "038995593"
    assert v.parse_rna("w751515517", log) == "W751515517"
    assert [i.severity for i in issues] == ["warning", "warning"]
    assert v.parse_rna("W3222", log) is None
    assert "^W\\d{9}$" in issues[-1].message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("59 300", "59300"),
        ("54\u00a0500", "54500"),
        (59260.0, "59260"),
        ("1200", "01200"),
        ("69493 Pierre Bénite cedex", "69493"),
        ("CS40001 92170 CEDEX", "92170"),
    ],
)
def test_postcode_repairs_are_warnings(raw: object, expected: str) -> None:
    log, issues = _log()
    assert v.parse_postcode(raw, log) == expected
    assert [i.severity for i in issues] == ["warning"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1000", "code postal réparé en 01000 (zéro initial perdu restauré)"),
        (1000, "code postal réparé en 01000 (zéro initial perdu restauré)"),
        ("1000.0", "code postal réparé en 01000 (zéro initial perdu restauré, lu comme un nombre)"),
        ("59 300", "code postal réparé en 59300 (espaces retirés)"),
        (59300.0, "code postal réparé en 59300 (lu comme un nombre)"),
    ],
)
def test_postcode_repair_message_says_what_was_repaired(raw: object, expected: str) -> None:
    log, issues = _log()
    v.parse_postcode(raw, log)
    assert [i.message for i in issues] == [expected]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("example.org", "https://example.org"),
        ("www.Example.ORG/contact", "https://www.example.org/contact"),
        ("HTTP://example.org", "http://example.org"),
    ],
)
def test_completed_web_address_is_reported(raw: str, stored: str) -> None:
    log, issues = _log()
    assert v.parse_url(raw, log, "site_web") == stored
    assert not log.failed
    assert [(i.row, i.field, i.value, i.message, i.severity) for i in issues] == [
        (7, "site_web", raw, f"adresse web réparée en {stored}", "warning")
    ]


def test_web_address_written_in_full_is_kept_without_warning() -> None:
    log, issues = _log()
    assert v.parse_url("https://example.org/a?b=1", log, "site_web") == "https://example.org/a?b=1"
    assert issues == []


def test_bad_postcode_is_an_error() -> None:
    log, issues = _log()
    assert v.parse_postcode("860000", log) is None
    assert issues[0].severity == "error" and issues[0].field == "postcode"


def test_commune_codes_and_worlds() -> None:
    log, issues = _log()
    assert v.parse_commune_code("2A004", log) == "2A004"
    assert v.parse_commune_code("97411", log) == "97411"
    assert v.parse_world("Associatif", log) == "associative"
    assert v.parse_world("académique", log) == "academic"
    assert issues == []
    assert v.parse_world("martien", log) is None and log.failed


def test_mojibake_repairs() -> None:
    assert repair_mojibake("notifiÃ©e Ã\xa0 l'Europe") == "notifiée à l'Europe"
    assert repair_mojibake("D‚partement de l'Aude, ‚chelonn‚") == "Département de l'Aude, échelonné"
    assert repair_mojibake("“Federico II”, Œuvre, déjà") == "“Federico II”, Œuvre, déjà"


def test_an_issue_reads_as_one_french_line_naming_file_row_and_field() -> None:
    missing = ImportIssue(row=4, field="name", value=None, message="nom requis", file="a.csv")
    assert str(missing) == "a.csv, ligne 4, champ « name » : nom requis"
    wrong = ImportIssue(row=5, field="siret", value="123", message="SIRET invalide", file="a.csv")
    assert str(wrong) == "a.csv, ligne 5, champ « siret » : SIRET invalide ('123')"
    assert (
        str(ImportIssue(row=None, field=None, value=None, message="fichier vide")) == "fichier vide"
    )


def test_every_world_word_of_a_file_names_a_world_of_the_taxonomy() -> None:
    from maillage.io.values import _WORLD_ALIASES
    from maillage.model import taxonomy

    assert set(_WORLD_ALIASES.values()) == taxonomy.codes("worlds")
    assert all(_WORLD_ALIASES[code] == code for code in taxonomy.codes("worlds"))
