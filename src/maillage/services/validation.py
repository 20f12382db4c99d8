"""Validation of actor and link fields before anything is written.

Each rule raises :class:`~maillage.model.errors.InvalidInput` naming the field,
the value and the rule. Functions are pure: checks that need the database
(commune existence, actor existence) take the known values as arguments.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Mapping
from typing import Any

from maillage.model import fields, taxonomy
from maillage.model import identifiers as ids
from maillage.model.errors import InvalidInput
from maillage.model.numbers import parse_number
from maillage.model.records import CHECKED_FIELDS
from maillage.model.text import strip_invisible

ACTOR_TEXT_FIELDS = {
    "name": 500,
    "acronym": 100,
    "description": 20000,
    "address": 500,
    "naf": 10,
    "phone": 50,
    "source": 200,
    "source_ref": 200,
    "classification_rule": 200,
}
ACTOR_FIELDS = frozenset(
    [
        *ACTOR_TEXT_FIELDS,
        "world",
        "category",
        "digital_profile",
        "siren",
        "siret",
        "rna",
        "holder_siret",
        "holder_rna",
        "legal_form",
        "postcode",
        "commune_code",
        "latitude",
        "longitude",
        "website",
        "email",
        "quality",
        "extra",
        "themes",
        "sdgs",
        "territories",
        "identifiers",
    ]
)
LINK_FIELDS = frozenset(
    [
        "source_id",
        "target_id",
        "directed",
        "kind",
        "form",
        "subtype",
        "weight",
        "amount",
        "status",
        "start_date",
        "end_date",
        "territory_code",
        "purpose",
        "evidence",
        "evidence_url",
        "confidence",
        "source",
        "source_ref",
        "extra",
        "themes",
    ]
)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(field: str, value: Any, limit: int) -> str:
    text = strip_invisible(str(value)).strip()
    if "\x00" in text:
        raise InvalidInput(
            field,
            value,
            "caractère NUL interdit dans un texte",
            "NUL characters are not allowed in text",
        )
    if len(text) > limit:
        raise InvalidInput(
            field, value, f"au plus {limit} caractères", f"at most {limit} characters"
        )
    return text


def clean_text(field: str, value: Any, limit: int) -> str:
    """Free text of ``field`` (a message, a reason): invisible marks removed, stripped,
    at most ``limit`` characters, no NUL. Raises InvalidInput."""
    return _text(field, value, limit)


def _term(taxonomy_name: str, field: str, value: Any) -> str:
    known = taxonomy.codes(taxonomy_name)
    if value.__class__ is str and value in known:  # already a clean code
        return str(value)
    code = str(value).strip()
    if code not in known:
        listed = ", ".join(sorted(known))
        raise InvalidInput(field, value, f"valeurs admises : {listed}", f"allowed values: {listed}")
    return code


def _number(
    field: str, value: Any, *, low: float | None = None, high: float | None = None
) -> float:
    number: float | None
    if isinstance(value, str):  # written the French or the English way
        number = parse_number(value)
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = None
    if number is None:
        raise InvalidInput(field, value, "nombre attendu", "a number is expected")
    if (low is not None and number < low) or (high is not None and number > high):
        if high is None:
            rule, rule_en = f"nombre supérieur ou égal à {low:g}", f"a number of at least {low:g}"
        elif low is None:
            rule, rule_en = f"nombre inférieur ou égal à {high:g}", f"a number of at most {high:g}"
        else:
            rule, rule_en = (
                f"nombre entre {low:g} et {high:g}",
                f"a number between {low:g} and {high:g}",
            )
        raise InvalidInput(field, value, rule, rule_en)
    return number


def _legal_form(value: Any) -> str:
    code = str(value).strip()
    if not ids.is_legal_form(code):
        raise InvalidInput(
            "legal_form",
            value,
            "catégorie juridique INSEE à 4 chiffres (ex. 9220)",
            "a 4-digit INSEE legal category (e.g. 9220)",
        )
    return code


def _sdgs(value: Any) -> list[int]:
    out = []
    for item in value or ():
        goal = _number("sdgs", item)
        if not fields.is_sdg(goal):
            raise InvalidInput("sdgs", item, "numéro d'ODD entier de 1 à 17", "SDG number 1 to 17")
        out.append(int(goal))
    return sorted(set(out))


def _strings(field: str, value: Any) -> list[str]:
    if value.__class__ is list and len(value) == 1:  # the common case: one clean item
        item = value[0]
        if item.__class__ is str and item and not item[0].isspace() and not item[-1].isspace():
            return [item]
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",")]
    return sorted({text for v in value or () if (text := str(v).strip())})


class _RememberedRule:
    """A pure rule giving text, with its results for text values remembered: the
    fields of few distinct values (codes of postcodes, communes, worlds) of a large
    import cost one look-up each (clean_actor looks in ``seen`` itself). A value that
    fails is checked, and raises, each time."""

    __slots__ = ("rule", "seen")

    def __init__(self, rule: Callable[[Any], str]) -> None:
        self.rule = rule
        self.seen: dict[str, str] = {}

    def __call__(self, value: Any) -> str:
        if value.__class__ is not str:
            return self.rule(value)
        found = self.seen.get(value)
        if found is None:
            found = self.rule(value)
            if len(self.seen) < _REMEMBERED:
                self.seen[value] = found
        return found


_REMEMBERED = 100_000  # values per field (there are about 35,000 communes)

_ACTOR_RULES: dict[str, Callable[[Any], Any]] = {
    "world": _RememberedRule(lambda v: _term("worlds", "world", v)),
    "category": _RememberedRule(lambda v: _term("categories", "category", v)),
    "digital_profile": _RememberedRule(lambda v: _term("digital_profiles", "digital_profile", v)),
    "siren": ids.validate_siren,
    "siret": ids.validate_siret,
    "rna": ids.validate_rna,
    "holder_siret": ids.validate_siret,
    "holder_rna": ids.validate_rna,
    "legal_form": _RememberedRule(_legal_form),
    "postcode": _RememberedRule(ids.validate_postcode),
    "commune_code": _RememberedRule(ids.validate_commune_code),
    "website": fields.validate_website,
    "email": fields.validate_email,
    "quality": lambda v: _number("quality", v, low=0, high=1),
    "sdgs": _sdgs,
    "themes": functools.partial(_strings, "themes"),
    "territories": functools.partial(_strings, "territories"),
    "identifiers": functools.partial(_strings, "identifiers"),
}


_COLLECTIONS = frozenset(["themes", "sdgs", "territories", "identifiers"])
# Per actor field: (text length limit, rule, is a collection, remembered results):
# one look-up per field.
_ACTOR_SPEC: dict[
    str, tuple[int | None, Callable[[Any], Any] | None, bool, dict[str, str] | None]
] = {
    field: (
        ACTOR_TEXT_FIELDS.get(field),
        rule := _ACTOR_RULES.get(field),
        field in _COLLECTIONS,
        rule.seen if isinstance(rule, _RememberedRule) else None,
    )
    for field in ACTOR_FIELDS
}
# The same, for the values of a CheckedActor: the fields its parser cleaned by their
# rule are taken as they are (their text limits and collections still apply).
_CHECKED_SPEC = {
    field: (limit, None, many, None) if field in CHECKED_FIELDS else (limit, rule, many, seen)
    for field, (limit, rule, many, seen) in _ACTOR_SPEC.items()
}


def clean_actor(
    values: Mapping[str, Any], *, partial: bool = False, checked: bool = False
) -> dict[str, Any]:
    """Validate and normalise actor fields; ``partial`` for updates.

    Returns the cleaned values (blank strings become None). Raises InvalidInput
    naming the first bad field. ``checked``: the values are those of a
    :class:`~maillage.model.records.CheckedActor`, whose parser already cleaned the
    fields of :data:`~maillage.model.records.CHECKED_FIELDS` by their rules: those are
    not checked again (the other fields are, as for any record).
    """
    if not ACTOR_FIELDS.issuperset(values):
        field = sorted(set(values) - ACTOR_FIELDS)[0]
        raise InvalidInput(
            field, values[field], "champ inconnu pour un acteur", "unknown actor field"
        )
    out: dict[str, Any] = {}
    spec = _CHECKED_SPEC if checked else _ACTOR_SPEC
    for field, value in values.items():
        limit, rule, many, seen = spec[field]
        if value is None:
            out[field] = [] if many else None
            continue
        if value.__class__ is str:
            if seen is not None and (found := seen.get(value)) is not None:
                out[field] = found  # a code met before
                continue
            text = value.strip()
            if limit is not None and not text.isascii():  # free text: no invisible marks
                text = strip_invisible(text).strip()
            if not text:
                out[field] = [] if many else None
                continue
            if limit is not None:
                if len(text) > limit or "\x00" in text:
                    _text(field, value, limit)
                out[field] = text
                continue
        elif limit is not None:
            out[field] = _text(field, value, limit)
            continue
        out[field] = value if rule is None else rule(value)
    if (not partial or "name" in out) and not out.get("name"):
        raise InvalidInput(
            "name", values.get("name"), "le nom est obligatoire", "a name is required"
        )
    _coordinates(values, out, partial=partial)
    if out.get("siret") and not out.get("siren") and ("siren" not in values or not partial):
        out["siren"] = ids.siren_of_siret(out["siret"])
    if out.get("siret") and out.get("siren") and out["siret"][:9] != out["siren"]:
        raise InvalidInput(
            "siret",
            out["siret"],
            f"le SIRET doit commencer par le SIREN {out['siren']}",
            f"the SIRET must start with the SIREN {out['siren']}",
        )
    return out


def _coordinates(values: Mapping[str, Any], out: dict[str, Any], *, partial: bool) -> None:
    if "latitude" not in values and "longitude" not in values:
        return
    lat, lon = values.get("latitude"), values.get("longitude")
    if _blank(lat) and _blank(lon):
        for key in ("latitude", "longitude"):
            if key in values:
                out[key] = None
        return
    if _blank(lat) or _blank(lon):
        missing = "latitude" if _blank(lat) else "longitude"
        raise InvalidInput(
            missing,
            None,
            "latitude et longitude vont ensemble",
            "latitude and longitude go together",
        )
    out["latitude"], out["longitude"] = fields.validate_coordinates(lat, lon)


def check_communes(values: Mapping[str, Any], known: Container[str]) -> None:
    """Raise InvalidInput if ``commune_code`` (already validated) is not a known commune."""
    code = values.get("commune_code")
    if code and code not in known:
        ids.check_commune_exists(code, known)


def check_territories(values: Mapping[str, Any], known: Container[str]) -> None:
    for code in values.get("territories") or ():
        if code not in known:
            raise InvalidInput(
                "territories",
                code,
                "code de territoire inconnu (ex. DEP:59, COM:59350)",
                "unknown territory code (e.g. DEP:59, COM:59350)",
            )


_LINK_RULES: dict[str, Callable[[Any], Any]] = {
    "kind": lambda v: _term("link_kinds", "kind", v),
    "form": lambda v: _term("partnership_forms", "form", v),
    "subtype": lambda v: _term("mecenat_subtypes", "subtype", v),
    "status": lambda v: _term("link_statuses", "status", v),
    "weight": lambda v: _number("weight", v, low=0),
    "amount": lambda v: _number("amount", v, low=0),
    "confidence": lambda v: _number("confidence", v, low=0, high=1),
    "start_date": lambda v: fields.validate_date(v, field="start_date"),
    "end_date": lambda v: fields.validate_date(v, field="end_date"),
    "evidence_url": lambda v: fields.validate_website(v, field="evidence_url"),
    "themes": lambda v: _strings("themes", v),
    "directed": lambda v: (
        v if isinstance(v, bool) else str(v).lower() in ("1", "true", "oui", "yes")
    ),
    "source_id": lambda v: int(_number("source_id", v, low=1)),
    "target_id": lambda v: int(_number("target_id", v, low=1)),
}


def clean_link(values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate and normalise link fields. Raises InvalidInput."""
    unknown = set(values) - LINK_FIELDS
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(field, values[field], "champ inconnu pour un lien", "unknown link field")
    out: dict[str, Any] = {}
    for field, value in values.items():
        if _blank(value) and field != "themes":
            out[field] = None
        elif field in _LINK_RULES:
            out[field] = _LINK_RULES[field](value)
        else:
            out[field] = _text(field, value, 20000) if isinstance(value, str) else value
    if not partial:
        for field in ("source_id", "target_id", "kind"):
            if out.get(field) is None:
                raise InvalidInput(field, None, "champ obligatoire", "required field")
    if out.get("source_id") is not None and out.get("source_id") == out.get("target_id"):
        raise InvalidInput(
            "target_id",
            out["target_id"],
            "un lien relie deux acteurs distincts",
            "a link joins two different actors",
        )
    if out.get("form") and out.get("kind", "partnership") != "partnership":
        raise InvalidInput(
            "form",
            out["form"],
            "une forme ne s'applique qu'à un partenariat",
            "a form applies to partnerships only",
        )
    start, end = out.get("start_date"), out.get("end_date")
    if start and end and end < start:
        raise InvalidInput(
            "end_date", end.isoformat(), "la fin précède le début", "the end precedes the start"
        )
    return out
