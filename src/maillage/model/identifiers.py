"""Identifier validation (SIREN, SIRET, RNA, postcode, commune code): pure functions,
no I/O; the other field rules are in :mod:`maillage.model.fields`.

Each ``validate_*`` function returns the normalised value or raises
:class:`~maillage.model.errors.InvalidInput` naming the field, the value and the rule.
They are called once per imported row (100k+ times), so patterns are compiled once and
each call stays within a few microseconds.

References: SIREN/SIRET Luhn check with the La Poste exception (python-stdnum
``stdnum.fr.siren`` / ``stdnum.fr.siret``); RNA ``W`` + 9 digits (Waldec number, no
checksum); INSEE commune codes (COG), see ``docs/glossary.md``.
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence

import numpy as np
from stdnum.fr import siren as _siren
from stdnum.fr import siret as _siret

from maillage.model.errors import InvalidInput

__all__ = [
    "check_commune_exists",
    "luhn_ok_many",
    "is_commune_code",
    "is_legal_form",
    "territory_code_of",
    "is_postcode",
    "is_rna",
    "pad_lost_zero",
    "siren_of_siret",
    "siren_ok",
    "siret_ok",
    "validate_commune_code",
    "validate_postcode",
    "validate_rna",
    "validate_siren",
    "validate_siret",
    "valid_sirens",
    "valid_sirets",
]

_SEPARATORS = str.maketrans("", "", " .-\u00a0\u202f\t")
_DIGITS9 = re.compile(r"[0-9]{9}")
_DIGITS14 = re.compile(r"[0-9]{14}")
_RNA = re.compile(r"W[0-9]{9}")
_POSTCODE = re.compile(r"(?!00)[0-9]{5}")
_TERRITORY = re.compile(r"([A-Za-z]{3,4})\s*:\s*(\S+)")  # DEP:59, COM:59350, EPCI:...
# Département part: 01-19, 21-95, 2A, 2B, then DROM/COM 97x / 98x (3-digit départements).
_COMMUNE = re.compile(r"(?:0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5])[0-9]{3}|9[78][0-9]{3}")


_LA_POSTE_SIREN = "356000000"


_LUHN_DOUBLE = bytes.maketrans(b"0123456789", b"0246813579")  # digit -> digit sum of 2x


def luhn_ok(digits: str) -> bool:
    """Return True if the ASCII digit string passes the Luhn check (fast path).

    Digits are summed from the right, every second one doubled (its digit sum, by a
    byte translation); the sums of the ASCII codes run in C.
    """
    code = digits.encode()
    doubled = code[-2::-2].translate(_LUHN_DOUBLE)
    return (sum(code[-1::-2]) + sum(doubled) - 48 * len(code)) % 10 == 0


def siren_ok(code: str) -> bool:
    """True for a 9-digit SIREN with a right check digit (Luhn), separators already gone."""
    if code.isascii() and code.isdigit() and len(code) == 9 and luhn_ok(code):
        return True
    return bool(_siren.is_valid(code))  # the reference implementation decides the rest


def siret_ok(code: str) -> bool:
    """True for a 14-digit SIRET with right check digits: Luhn over the SIRET and its
    SIREN, except La Poste establishments (SIREN 356000000), whose digit sum must be a
    multiple of 5 (python-stdnum decides those, and the failures)."""
    if (
        code.isascii()
        and code.isdigit()
        and len(code) == 14
        and not code.startswith(_LA_POSTE_SIREN)
        and luhn_ok(code)
    ):
        return luhn_ok(code[:9])
    return bool(_siret.is_valid(code))


# Digit -> digit sum of twice the digit, for the doubled positions of a Luhn sum.
_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.uint8)
_LA_POSTE_DIGITS = np.frombuffer(b"356000000", dtype=np.uint8) - 48


def _luhn_rows(digits: np.ndarray) -> np.ndarray:
    """Luhn check of each row of a matrix of digits (rightmost digit undoubled)."""
    width = digits.shape[1]
    total = digits[:, width - 1 :: -2].sum(axis=1, dtype=np.int64)
    total += _DOUBLED[digits[:, width - 2 :: -2]].sum(axis=1, dtype=np.int64)
    return np.asarray(total % 10 == 0)


def _digit_matrix(codes: Sequence[str], width: int) -> tuple[list[int], np.ndarray]:
    """The codes of ``width`` ASCII digits (their positions, and their digits as a
    matrix with one row per code): the whole column at once when it is clean."""
    joined = "".join(codes)
    if (
        len(joined) == width * len(codes)
        and joined.isascii()
        and joined.isdigit()
        and set(map(len, codes)) <= {width}  # the common case: every code well formed
    ):
        picked = list(range(len(codes)))
        return picked, np.frombuffer(joined.encode(), np.uint8).reshape(-1, width) - 48
    picked = [i for i, c in enumerate(codes) if len(c) == width and c.isascii() and c.isdigit()]
    joined = "".join([codes[i] for i in picked])
    return picked, np.frombuffer(joined.encode(), np.uint8).reshape(-1, width) - 48


def luhn_ok_many(codes: Sequence[str], width: int) -> list[bool]:
    """Per code: True when it is ``width`` ASCII digits passing the Luhn check: the
    answer of :func:`luhn_ok` for a whole column at once (numpy)."""
    picked, digits = _digit_matrix(codes, width)
    out = [False] * len(codes)
    for i, valid in zip(picked, _luhn_rows(digits).tolist(), strict=True):
        out[i] = valid
    return out


def valid_sirets(codes: Sequence[str]) -> list[str | None]:
    """Per code: the code when it is a clean 14-digit SIRET whose SIRET and SIREN pass
    the Luhn check, else None (La Poste establishments and anything to repair are left
    to :func:`siret_ok`). Computed for a whole column at once (numpy)."""
    picked, digits = _digit_matrix(codes, 14)
    poste = (digits[:, :9] == _LA_POSTE_DIGITS).all(axis=1)
    valid = (_luhn_rows(digits) & _luhn_rows(digits[:, :9]) & ~poste).tolist()
    if len(picked) == len(codes) and all(valid):
        return list(codes)
    out: list[str | None] = [None] * len(codes)
    for i, ok in zip(picked, valid, strict=True):
        if ok:
            out[i] = codes[i]
    return out


def valid_sirens(codes: Sequence[str]) -> list[str | None]:
    """Per code: the code when it is a clean 9-digit SIREN passing the Luhn check,
    else None (see :func:`valid_sirets`)."""
    return [code if ok else None for code, ok in zip(codes, luhn_ok_many(codes, 9), strict=True)]


def _compact(value: object) -> str:
    """Return ``value`` as a string without spaces, dots, dashes or NBSP."""
    return str(value).translate(_SEPARATORS)


def validate_siren(value: object, *, field: str = "siren") -> str:
    """Return the 9-digit SIREN, separators removed.

    Raises ``InvalidInput`` if it is not 9 digits or fails the Luhn check.
    """
    code = _compact(value)
    if not _DIGITS9.fullmatch(code):
        raise InvalidInput(
            field, value, "un SIREN compte 9 chiffres", "a SIREN has exactly 9 digits"
        )
    if not siren_ok(code):
        raise InvalidInput(
            field,
            value,
            "clé de contrôle SIREN invalide (algorithme de Luhn)",
            "SIREN check digit is wrong (Luhn algorithm)",
        )
    return code


def validate_siret(value: object, *, field: str = "siret") -> str:
    """Return the 14-digit SIRET, separators removed.

    The check is Luhn over 14 digits, except for La Poste establishments (SIREN
    356000000) whose digit sum must be a multiple of 5. Raises ``InvalidInput``.
    """
    if isinstance(value, str) and len(value) == 14 and value.isascii() and value.isdigit():
        code = value  # the common case, already clean
        if not code.startswith(_LA_POSTE_SIREN) and luhn_ok(code) and luhn_ok(code[:9]):
            return code
    else:
        code = _compact(value)
    if not _DIGITS14.fullmatch(code):
        raise InvalidInput(
            field, value, "un SIRET compte 14 chiffres", "a SIRET has exactly 14 digits"
        )
    if not siret_ok(code):
        raise InvalidInput(
            field,
            value,
            "clé de contrôle SIRET invalide (Luhn, ou somme multiple de 5 pour La Poste)",
            "SIRET check digit is wrong (Luhn, or digit sum multiple of 5 for La Poste)",
        )
    return code


def siren_of_siret(siret: str) -> str:
    """Return the SIREN (first 9 digits) of an already validated SIRET."""
    return siret[:9]


def is_legal_form(code: str) -> bool:
    """True for an INSEE legal category (catégorie juridique): 4 digits (``9220``)."""
    return len(code) == 4 and code.isascii() and code.isdigit()


def is_rna(code: str) -> bool:
    """True for an RNA number as written canonically: ``W`` + 9 digits."""
    return _RNA.fullmatch(code) is not None


def validate_rna(value: object, *, field: str = "rna") -> str:
    """Return the RNA number (``W`` + 9 digits, upper case). Raises ``InvalidInput``."""
    code = _compact(value).upper()
    if not is_rna(code):
        raise InvalidInput(
            field,
            value,
            "un numéro RNA s'écrit W suivi de 9 chiffres (ex. W751515517)",
            "an RNA number is W followed by 9 digits (e.g. W751515517)",
        )
    return code


def pad_lost_zero(code: str, width: int = 5) -> str:
    """``code`` with the leading zero a spreadsheet drops from a number restored
    (``1200`` -> ``01200``), when it is one digit short; else ``code`` unchanged."""
    if len(code) == width - 1 and code.isdigit():
        return "0" + code
    return code


def _pad_int_like(value: object, width: int) -> str:
    """Return ``value`` stripped, without spaces, with a lost leading zero restored."""
    return pad_lost_zero(str(value).strip().replace(" ", "").replace("\u00a0", ""), width)


def is_postcode(code: str) -> bool:
    """True for a French postcode as written canonically: 5 digits, not ``00``."""
    return _POSTCODE.fullmatch(code) is not None


def is_commune_code(code: str) -> bool:
    """True for an INSEE commune code (COG) as written canonically: département
    (``01``-``19``, ``2A``, ``2B``, ``21``-``95``, or ``97x``/``98x`` overseas) then
    number, 5 characters in all (``59350``, ``2A004``, ``97411``)."""
    return _COMMUNE.fullmatch(code) is not None


def departement_of_postcode(postcode: str | None) -> str | None:
    """The territory code of the département a postcode belongs to (``"16300"`` ->
    ``"DEP:16"``, ``"20167"`` -> ``"DEP:2A"``, ``"97110"`` -> ``"DEP:971"``), or None
    for no postcode. (A few communes take a neighbouring département's postcode; the
    rule is for choosing among same-named communes, not for placing.)"""
    if not postcode or not is_postcode(postcode):
        return None
    if postcode.startswith(("97", "98")):
        return f"DEP:{postcode[:3]}"
    if postcode.startswith("20"):
        return "DEP:2A" if postcode < "20200" else "DEP:2B"
    return f"DEP:{postcode[:2]}"


def validate_postcode(value: object, *, field: str = "postcode") -> str:
    """Return the 5-digit French postcode (a lost leading zero is restored).

    Raises ``InvalidInput`` if it is not 5 digits or starts with ``00``.
    """
    code = _pad_int_like(value, 5)
    if not is_postcode(code):
        raise InvalidInput(
            field, value, "un code postal compte 5 chiffres", "a postcode has 5 digits"
        )
    return code


def validate_commune_code(value: object, *, field: str = "commune_code") -> str:
    """Return the INSEE commune code (COG) in canonical form.

    Accepts ``01001`` (and ``1001``, leading zero restored), Corsica ``2A004`` /
    ``2b004`` and overseas ``97411``, ``98818``. Checks the shape only; use
    :func:`check_commune_exists` against the geography. Raises ``InvalidInput``.
    """
    if isinstance(value, str) and len(value) == 5 and value.isdigit():
        code = value
    else:
        code = _pad_int_like(value, 5).upper()
    if not is_commune_code(code):
        raise InvalidInput(
            field,
            value,
            "un code commune INSEE compte 5 caractères : département (01-95, 2A, 2B, "
            "97x, 98x) puis numéro (ex. 59350, 2A004, 97411)",
            "an INSEE commune code has 5 characters: département (01-95, 2A, 2B, "
            "97x, 98x) then number (e.g. 59350, 2A004, 97411)",
        )
    return code


def check_commune_exists(
    value: object, known: Container[str], *, field: str = "commune_code"
) -> str:
    """Return the validated commune code if it is in ``known`` (a set of codes).

    ``known`` usually comes from ``maillage.geo`` (current communes, possibly with
    former ones). Raises ``InvalidInput`` on a bad shape or an unknown code.
    """
    code = validate_commune_code(value, field=field)
    if code not in known:
        raise InvalidInput(
            field,
            value,
            "code commune inconnu dans la géographie officielle (COG)",
            "commune code unknown in the official geography (COG)",
        )
    return code


def territory_code_of(key: str, level: str | None = None) -> str | None:
    """The territory code ``key`` writes by its shape alone (the geography decides
    whether it exists), or None for anything else (a name, a postcode):

    - a prefixed code, level and code upper-cased: ``dep:59`` -> ``DEP:59``;
    - with ``level`` (a column named ``code_dep``, ``epci``...), that level's code:
      ``59`` -> ``DEP:59``, ``1`` -> ``DEP:01``, EPCI codes padded to 9 digits;
    - a commune code, a lost leading zero restored: ``59350``, ``2a004``, ``1001``
      -> ``COM:59350``, ``COM:2A004``, ``COM:01001``;
    - 9 digits, an EPCI (its SIREN): ``EPCI:200093201``;
    - 1 to 3 digits, or ``2A``/``2B``, a département: ``59`` -> ``DEP:59``, ``974``.
    """
    key = key.strip()
    if match := _TERRITORY.fullmatch(key):
        return f"{match[1].upper()}:{match[2].upper()}"
    if level is not None:
        return f"{level}:{key.upper().zfill(9 if level == 'EPCI' else 2)}" if key else None
    code = pad_lost_zero(key).upper()
    if is_commune_code(code):
        return f"COM:{code}"
    if len(key) == 9 and key.isdigit():
        return f"EPCI:{key}"
    if (key.isdigit() and 1 <= len(key) <= 3) or code in ("2A", "2B"):
        return f"DEP:{code.zfill(2)}"
    return None


def known_territory_code(key: str, known: Container[str], level: str | None = None) -> str | None:
    """The code of ``key`` (see :func:`~maillage.model.identifiers.territory_code_of`)
    among the ``known`` codes, a département also as an overseas collectivity; None
    when it names none of them."""
    code = territory_code_of(key, level)
    if code is not None and code not in known and code.startswith("DEP:"):
        code = "COLL:" + code[4:]
    return code if code in known else None
