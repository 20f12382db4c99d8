"""Identifier validation: what a user typing a SIRET, RNA, commune or point would notice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

from maillage.model.errors import InvalidInput
from maillage.model.fields import (
    locate_point,
    validate_coordinates,
    validate_email,
    validate_website,
)
from maillage.model.identifiers import (
    check_commune_exists,
    siren_of_siret,
    validate_commune_code,
    validate_postcode,
    validate_rna,
    validate_siren,
    validate_siret,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def _with_luhn(body: str) -> str:
    """Append the Luhn check digit to ``body``."""
    return body + luhn.calc_check_digit(body)


@st.composite
def valid_sirets(draw: st.DrawFn) -> str:
    """Draw a SIRET whose SIREN and 14 digits both pass Luhn (not La Poste)."""
    siren = _with_luhn(draw(st.from_regex(r"[0-9]{8}", fullmatch=True)))
    if siren == "356000000":
        siren = "732829320"
    nic_body = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    return _with_luhn(siren + nic_body)


def test_siret_accepts_real_number_with_spaces() -> None:
    assert validate_siret("732 829 320 00074") == "73282932000074"
    assert siren_of_siret("73282932000074") == "732829320"


def test_siret_message_names_field_value_and_rule() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_siret("73282932000075")
    message = str(caught.value)
    assert "siret" in message and "73282932000075" in message and "Luhn" in message
    assert caught.value.field == "siret"
    assert "check digit" in caught.value.message_en
    assert "\n" not in message


def test_siret_length_rule() -> None:
    with pytest.raises(InvalidInput, match="14 chiffres"):
        validate_siret("7328293200007")


@given(valid_sirets())
def test_any_luhn_siret_is_accepted(siret: str) -> None:
    assert validate_siret(siret) == siret


@given(valid_sirets(), st.integers(min_value=0, max_value=13), st.integers(1, 9))
def test_one_digit_mutation_is_rejected(siret: str, position: int, delta: int) -> None:
    mutated = siret[:position] + str((int(siret[position]) + delta) % 10) + siret[position + 1 :]
    with pytest.raises(InvalidInput):
        validate_siret(mutated)


@given(st.from_regex(r"[0-9]{14}", fullmatch=True))
def test_fast_path_agrees_with_python_stdnum(candidate: str) -> None:
    accepted = True
    try:
        validate_siret(candidate)
    except InvalidInput:
        accepted = False
    assert accepted == stdnum_siret.is_valid(candidate)


@given(st.from_regex(r"[0-9]{5}", fullmatch=True))
def test_la_poste_establishments_use_sum_of_digits(nic: str) -> None:
    candidate = "356000000" + nic
    expected = candidate == "35600000000048" or sum(map(int, candidate)) % 5 == 0
    if expected:
        assert validate_siret(candidate) == candidate
    else:
        with pytest.raises(InvalidInput):
            validate_siret(candidate)


def test_la_poste_known_establishment() -> None:
    # 35600000049837: digit sum 45, fails Luhn but is a valid La Poste SIRET.
    assert not luhn.is_valid("35600000049837")
    assert validate_siret("35600000049837") == "35600000049837"


def test_siren() -> None:
    assert validate_siren("732.829.320") == "732829320"
    with pytest.raises(InvalidInput, match="siren"):
        validate_siren("732829321")
    with pytest.raises(InvalidInput, match="9 chiffres"):
        validate_siren("73282932")


def test_rna() -> None:
    assert validate_rna("w751515517") == "W751515517"
    for bad in ("W75151551", "751515517", "X751515517", "W7515155170"):
        with pytest.raises(InvalidInput, match="rna"):
            validate_rna(bad)


def test_postcode() -> None:
    assert validate_postcode("59 300") == "59300"
    assert validate_postcode(1000) == "01000"  # leading zero lost by a spreadsheet
    for bad in ("593", "593000", "00123", "ABCDE"):
        with pytest.raises(InvalidInput, match="code postal"):
            validate_postcode(bad)


@pytest.mark.parametrize(
    ("given_code", "expected"),
    [
        ("59350", "59350"),
        ("2a004", "2A004"),
        ("2B033", "2B033"),
        ("97411", "97411"),
        ("98818", "98818"),
        ("1001", "01001"),
        (1001, "01001"),
    ],
)
def test_commune_code_shapes(given_code: object, expected: str) -> None:
    assert validate_commune_code(given_code) == expected


@pytest.mark.parametrize("bad", ["20004", "00001", "96001", "2C004", "593500", "5935A", ""])
def test_commune_code_bad_shapes(bad: str) -> None:
    with pytest.raises(InvalidInput, match="commune_code"):
        validate_commune_code(bad)


def test_commune_code_must_exist() -> None:
    known = {"59350", "2A004"}
    assert check_commune_exists("2a004", known) == "2A004"
    with pytest.raises(InvalidInput, match="inconnu"):
        check_commune_exists("59999", known)


@pytest.mark.parametrize(
    ("lat", "lon", "place"),
    [
        (48.8566, 2.3522, "métropolitaine"),
        (41.9192, 8.7386, "Corse"),
        (16.2650, -61.5510, "Guadeloupe"),
        (14.6161, -61.0588, "Martinique"),
        (4.9224, -52.3135, "Guyane"),
        (-20.8823, 55.4504, "Réunion"),
        (-12.7806, 45.2278, "Mayotte"),
        (46.7811, -56.1764, "Saint-Pierre"),
        (17.8962, -62.8498, "Saint-Barthélemy"),
        (18.0708, -63.0501, "Saint-Martin"),
        (-13.2825, -176.1764, "Wallis"),
        (-17.5516, -149.5585, "Polynésie"),
        (-22.2758, 166.4580, "Calédonie"),
        (-49.35, 70.22, "Kerguelen"),
    ],
)
def test_points_in_france_and_overseas(lat: float, lon: float, place: str) -> None:
    assert validate_coordinates(lat, lon) == (lat, lon)
    assert place in (locate_point(lat, lon) or "")


def test_points_outside_france_rejected_with_swap_hint() -> None:
    with pytest.raises(InvalidInput, match="coordinates"):
        validate_coordinates(40.4168, -3.7038)  # Madrid
    with pytest.raises(InvalidInput, match="inversées"):
        validate_coordinates(2.3522, 48.8566)
    with pytest.raises(InvalidInput, match="latitude"):
        validate_coordinates("nord", 2.0)
    assert validate_coordinates("48,85", " 2.35 ") == (48.85, 2.35)


def test_website_and_email() -> None:
    assert validate_website("Exemple.FR/contact") == "https://exemple.fr/contact"
    assert validate_website("http://www.asso-exemple.org") == "http://www.asso-exemple.org"
    for bad in ("pas une url !", "ftp://exemple.fr", "https://localhost", "https://"):
        with pytest.raises(InvalidInput, match="website"):
            validate_website(bad)
    assert validate_email(" Contact@Exemple.FR ") == "Contact@exemple.fr"
    for bad in ("pas une adresse", "a@b", "a b@c.fr", "a@@b.fr"):
        with pytest.raises(InvalidInput, match="email"):
            validate_email(bad)


def test_field_name_can_be_overridden() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_siret("123", field="acheteur.siret")
    assert caught.value.field == "acheteur.siret"
    assert "acheteur.siret" in str(caught.value)


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (validate_siret, "٧٣٢٨٢٩٣٢٠٠٠٠٧٤"),  # Arabic-Indic digits of 73282932000074
        (validate_siren, "٧٣٢٨٢٩٣٢٠"),
        (validate_rna, "W٥٩٥٠٠٠٠٠١"),
        (validate_postcode, "٥٩٣٠٠"),
    ],
)
def test_only_ascii_digits_are_digits(check: Callable[[str], str], value: str) -> None:
    with pytest.raises(InvalidInput):
        check(value)


@pytest.mark.parametrize(
    ("key", "level", "code"),
    [
        ("DEP:59", None, "DEP:59"),
        (" dep:2a ", None, "DEP:2A"),
        ("COLL:988", None, "COLL:988"),
        ("59350", None, "COM:59350"),
        ("2b033", None, "COM:2B033"),
        ("1001", None, "COM:01001"),  # a lost leading zero
        ("97411", None, "COM:97411"),
        ("59", None, "DEP:59"),
        ("974", None, "DEP:974"),
        ("2A", None, "DEP:2A"),
        ("200093201", None, "EPCI:200093201"),
        ("1", "DEP", "DEP:01"),
        ("32", "REG", "REG:32"),
        ("Lille", None, None),  # a name
        ("Eu", None, None),  # a commune named Eu, not a département
        ("99999", None, None),  # no commune code (a postcode shape at most)
    ],
)
def test_territory_codes_read_by_shape(key: str, level: str | None, code: str | None) -> None:
    from maillage.model.identifiers import territory_code_of

    assert territory_code_of(key, level) == code


@pytest.mark.parametrize("code", ["00100", "96000", "99100", "2C004", "593", "593500"])
def test_what_is_no_commune_code(code: str) -> None:
    with pytest.raises(InvalidInput):
        validate_commune_code(code)


def test_a_postcode_never_starts_with_00() -> None:
    assert validate_postcode("1200") == "01200"
    with pytest.raises(InvalidInput):
        validate_postcode("00100")
