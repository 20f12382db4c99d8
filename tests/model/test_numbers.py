"""Numbers written the French or the English way: one rule for files, forms and commands."""

from __future__ import annotations

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from maillage.io.result import RowLog
from maillage.io.values import parse_float
from maillage.model.errors import InvalidInput
from maillage.model.numbers import number, parse_number
from maillage.services.validation import clean_link

EXAMPLES = [
    ("1 500,5", 1500.5),
    ("1\u00a0500,5", 1500.5),
    ("1\u202f234,5", 1234.5),
    ("1.500,5", 1500.5),
    ("1.234.567", 1234567.0),
    ("1 234 567", 1234567.0),
    ("1,5", 1.5),
    ("1.5", 1.5),
    ("1,234.5", 1234.5),
    ("1,234,567.89", 1234567.89),
    ("1 234.5", 1234.5),
    ("1.500", 1.5),  # a lone mark is the decimal mark
    ("1,500", 1.5),
    ("1 500", 1500.0),
    ("22000.80", 22000.8),
    ("-1 234,5", -1234.5),
    ("+3", 3.0),
    (".5", 0.5),
    ("1e3", 1000.0),
    ("1,5e3", 1500.0),
]
NOT_NUMBERS = ["", "douze", "1.2.3", "1,2,3", "1.234.5", "12 34", "1 500 €", "inf", "nan",
               "1_000", "1e999", "-", "1.500.", "1.234,5e3"]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), EXAMPLES)
def test_french_and_english_writings(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_what_is_not_a_number(text: str) -> None:
    assert parse_number(text) is None


def _link_amount(text: str) -> float | None:
    try:
        amount = clean_link({"amount": text}, partial=True)["amount"]
    except InvalidInput:
        return None
    assert amount is None or isinstance(amount, float)
    return amount


@pytest.mark.parametrize("text", [t for t, _ in EXAMPLES if not t.startswith("-")] + NOT_NUMBERS)
def test_files_and_forms_read_a_number_alike(text: str) -> None:
    """A cell of an imported file and a field of a form or command give the same number."""
    issues: list[object] = []
    from_file = parse_float(text, RowLog(issues, 2, "f.csv"), "montant")  # type: ignore[arg-type]
    assert from_file == _link_amount(text) == parse_number(text)
    assert bool(issues) is (from_file is None and text != "")


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.sampled_from(["fr", "en"]))
def test_a_number_as_shown_reads_back(value: float, lang: str) -> None:
    """What the portal shows (Babel, French or English) is read back as that number."""
    shown = number(value, lang, 2)
    assert parse_number(shown) == pytest.approx(value, abs=0.006)


@given(st.integers(min_value=0, max_value=10**12))
def test_grouped_thousands_read_as_integers(value: int) -> None:
    for sep in (" ", "\u00a0", "\u202f"):
        grouped = f"{value:,}".replace(",", sep)
        assert parse_number(grouped) == value
    if value >= 1_000_000:  # two dots or two commas can only be thousands
        assert parse_number(f"{value:,}") == parse_number(f"{value:,}".replace(",", ".")) == value


@given(
    st.one_of(st.integers(-(10**9), 10**9), st.floats(-1e9, 1e9, allow_nan=False)),
    st.sampled_from(["fr", "en"]),
    st.integers(0, 2),
    st.booleans(),
)
def test_a_number_is_written_as_babel_writes_it_every_time(
    value: float, lang: str, digits: int, trailing_zeros: bool
) -> None:
    """The formats and values kept between calls change nothing: the value, then an equal
    one of another type or sign (0.0 and -0.0 read "0" and "-0"), each as Babel writes it."""
    pattern = "#,##0" + ("." + ("0" if trailing_zeros else "#") * digits if digits else "")
    for v in (value, float(value), -value, value):
        expected = format_decimal(v, format=pattern, locale=lang)
        assert number(v, lang, digits, trailing_zeros=trailing_zeros) == expected
