"""Validation of imported actor records, one record at a time: a record a table parser
checked (:class:`~maillage.model.records.CheckedActor`) is not checked again."""

from __future__ import annotations

import functools
from collections.abc import Callable
from itertools import compress
from typing import Any

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, MaillageError
from maillage.model.identifiers import known_territory_code
from maillage.model.records import ActorRecord, CheckedActor, ImportIssue
from maillage.model.text import fold, invisible_in, repair_text, strip_invisible
from maillage.services.importing.reference import _Reference
from maillage.services.importing.report import ACTOR_VALUE_FIELDS, _actor_fields
from maillage.services.validation import (
    ACTOR_TEXT_FIELDS,
    check_communes,
    check_territories,
    clean_actor,
)


def import_key(record: ActorRecord) -> str:
    """The key an actor is known by in its source (name, commune and address when the
    source gives none)."""
    if record.key:
        return record.key
    place = record.commune_code or record.postcode or fold(record.commune_name or "")
    return f"nom:{fold(record.name)}@{place}@{fold(record.address or '')}"


def _actor_values(record: ActorRecord, key: str, source: str, ref: _Reference) -> dict[str, Any]:
    fields = _actor_fields(record)
    # The fields set (None, "" and [] dropped), filtered in C.
    values: dict[str, Any] = dict(compress(zip(ACTOR_VALUE_FIELDS, fields, strict=True), fields))
    if record.latitude == 0.0:  # 0.0 is a coordinate
        values["latitude"] = record.latitude
    if record.longitude == 0.0:
        values["longitude"] = record.longitude
    if not values.get("commune_code") and (code := ref.commune_of(record)):
        values["commune_code"] = code
    values["identifiers"] = [f"source:{source}:{key}"]
    values["source"] = source
    if record.source_ref:
        values["source_ref"] = record.source_ref
    extra = _with_origin(record.extra, record.source, source)
    if record.category:
        values["category"] = _category(record, extra)
    if extra:
        values["extra"] = extra
    return values


def _category(record: ActorRecord, extra: dict[str, Any]) -> str | None:
    """The category code of a record (codes or labels). A category derived by a parser's
    rule that the taxonomy lacks is kept in ``extra``; one the file states is checked."""
    code = _category_code(record.category or "")
    if code is None:
        if record.classification_rule is None:
            return record.category  # clean_actor names the allowed values
        extra["categorie_source"] = record.category
        return None
    return code


@functools.lru_cache(maxsize=1024)
def _category_code(text: str) -> str | None:
    """The taxonomy code of a category code or label, or None (cached: few distinct)."""
    try:
        return taxonomy.resolve("categories", text, field="category")
    except MaillageError:
        return None


def _with_origin(extra: dict[str, Any], origin: str | None, source: str) -> dict[str, Any]:
    """``extra``, plus the record's own provenance when it is not the import's source."""
    if origin and origin != source:
        return {**extra, "source_origine": origin}
    return dict(extra)


def _known_aliases(codes: list[str] | None, known: set[str]) -> list[str]:
    """Overseas collectivities written as départements (``DEP:988``) become ``COLL:988``;
    unknown codes are kept as they are (to be reported)."""
    return sorted({known_territory_code(code, known) or code for code in codes or ()})


def _clean_actor(
    record: ActorRecord,
    key: str,
    source: str,
    ref: _Reference,
    warn: Callable[[ImportIssue], None],
    row: int | None = None,
) -> dict[str, Any]:
    """Validated values of one actor record (a pre-merger commune code replaced by the
    current commune's, invisible characters removed from its texts: each repair a
    warning naming ``row``). The fields a parser checked are taken as they are (see
    :class:`~maillage.model.records.CheckedActor`). Raises InvalidInput."""
    checked = isinstance(record, CheckedActor)
    raw = _actor_values(record, key, source, ref)
    if not record.commune_code and record.commune_name and (said := ref.commune_said(record)):
        warn(ImportIssue(row, "commune_name", record.commune_name, f"« {record.name} » : {said}",
                         severity="warning"))  # fmt: skip
    _repair_texts(raw, row, warn)
    _report_invisible(record.name, raw, row, warn)
    values = clean_actor(raw, checked=checked)
    old = values.get("commune_code")
    if old and old not in ref.communes and old in ref.former:
        values["commune_code"] = ref.former[old]
        message = f"code commune d'avant fusion : commune actuelle {ref.former[old]}"
        warn(ImportIssue(row, "commune_code", old, f"« {record.name} » : {message}",
                         severity="warning"))  # fmt: skip
    if values.get("territories"):
        values["territories"] = _known_aliases(values["territories"], ref.territories)
        check_territories(values, ref.territories)
    else:
        values["territories"] = []
    check_communes(values, ref.communes)
    _check_postcode(values, ref, row, warn)
    return values


def _check_postcode(
    values: dict[str, Any], ref: _Reference, row: int | None, warn: Callable[[ImportIssue], None]
) -> None:
    """Warn when the postcode is not one of the commune's (a lost zero restored on the
    wrong number, ``1000`` for ``10000``, or a typing slip): both are kept, the row
    named. A postcode the geography does not list (CEDEX) is not compared."""
    postcode, commune = values.get("postcode"), values.get("commune_code")
    if not postcode or not commune or (postcode, commune) in ref.postcode_pairs:
        return  # the usual case, in one look-up
    communes = ref.by_postcode.get(postcode)
    if not communes:
        return
    parents = ref.parents  # Paris, Lyon, Marseille: a postcode of an arrondissement
    if any(parents.get(code) == commune for code, _ in communes) or (
        parents.get(commune) in {code for code, _ in communes}
    ):
        return
    others = sorted({ref.names.get(code, code) for code, _ in communes})
    shown = ", ".join(others[:3]) + (f" et {len(others) - 3} autres" if len(others) > 3 else "")
    message = (
        f"le code postal {postcode} n'est pas celui de la commune {commune} "
        f"({ref.names.get(commune, '?')}) mais de {shown} : gardé tel quel, à vérifier"
    )
    warn(ImportIssue(row, "postcode", postcode, message, severity="warning"))


_REPAIRED_FIELDS = ("name", "acronym", "address", "description")


def _repair_texts(
    values: dict[str, Any], row: int | None, warn: Callable[[ImportIssue], None]
) -> None:
    """Decode the HTML entities and put back the lost apostrophes of the texts of a
    record (:func:`~maillage.model.text.repair_text`), each repair a warning naming
    ``row`` and the field, with the text before and after."""
    for field in _REPAIRED_FIELDS:
        text = values.get(field)
        if not isinstance(text, str) or ("&" not in text and " " not in text):
            continue
        repaired, done = repair_text(text)
        if done:
            values[field] = repaired
            before, after = (t if len(t) <= 80 else t[:79] + "…" for t in (text, repaired))
            message = f"{' et '.join(done)} réparées : « {before} » devient « {after} »"
            warn(ImportIssue(row, field, text, message, severity="warning"))


def _report_invisible(
    name: str, values: dict[str, Any], row: int | None, warn: Callable[[ImportIssue], None]
) -> None:
    """Warn for each text field holding invisible characters (zero-width, direction
    marks and overrides: :func:`~maillage.model.text.strip_invisible`, which
    :func:`~maillage.services.validation.clean_actor` applies when storing). Raises
    InvalidInput for a name made of nothing else."""
    texts = [(f, t) for f in ACTOR_TEXT_FIELDS if isinstance(t := values.get(f), str)]
    if all(text.isascii() for _, text in texts):
        return  # the usual record: nothing to look for
    for field, text in texts:
        if text.isascii() or not (codes := invisible_in(text)):
            continue
        kept = strip_invisible(text).strip()
        if field == "name" and not kept:
            raise InvalidInput(
                "name",
                ", ".join(codes),
                "nom vide une fois retirés ses caractères invisibles",
                "empty name once its invisible characters are removed",
            )
        shown = kept if len(kept) <= 80 else kept[:79] + "…"
        message = f"caractères invisibles retirés ({', '.join(codes)}) : « {shown} »"
        if field != "name":  # the actor named, as the other repairs of a record do
            message = f"« {strip_invisible(name).strip()} » : {message}"
        warn(ImportIssue(row, field, ", ".join(codes), message, severity="warning"))
