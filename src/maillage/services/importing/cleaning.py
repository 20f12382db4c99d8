"""Validation of imported actor records: row by row, or a column at a time for large files."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from typing import Any

from maillage.model import taxonomy
from maillage.model.errors import MaillageError
from maillage.model.identifiers import known_territory_code
from maillage.model.records import ActorRecord, ImportIssue
from maillage.model.text import fold
from maillage.services.importing.reference import _Reference
from maillage.services.importing.report import ACTOR_VALUE_FIELDS, _actor_fields
from maillage.services.validation import (
    ABSENT,
    check_communes,
    check_territories,
    clean_actor,
    clean_actor_columns,
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
) -> dict[str, Any]:
    """Validated values of one actor record (a pre-merger commune code replaced by the
    current commune's, with a warning). Raises InvalidInput."""
    values = clean_actor(_actor_values(record, key, source, ref))
    old = values.get("commune_code")
    if old and old not in ref.communes and old in ref.former:
        values["commune_code"] = ref.former[old]
        message = f"code commune d'avant fusion : commune actuelle {ref.former[old]}"
        warn(ImportIssue(None, "commune_code", old, f"« {record.name} » : {message}",
                         severity="warning"))  # fmt: skip
    if values.get("territories"):
        values["territories"] = _known_aliases(values["territories"], ref.territories)
        check_territories(values, ref.territories)
    else:
        values["territories"] = []
    check_communes(values, ref.communes)
    return values


# Records giving any of these are cleaned record by record (coordinates, collections,
# a category that may be repaired into ``extra``, a commune to look up).
_ROW_BY_ROW = ("themes", "sdgs", "territories", "category")
_BULK_FIELDS = tuple(
    f for f in ACTOR_VALUE_FIELDS if f not in ("latitude", "longitude", *_ROW_BY_ROW)
)


def _clean_columnwise(
    records: Sequence[ActorRecord], keys: Sequence[str], source: str, ref: _Reference
) -> list[dict[str, Any] | None]:
    """What :func:`_clean_actor` returns for each record, computed field by field for
    the records that give nothing to report; None for the others (cleaned, repaired or
    rejected record by record, so that their issues come out as before).

    The values are those of :func:`_actor_values`, as columns, cleaned by
    :func:`~maillage.services.validation.clean_actor_columns`; a record is left to the
    row-by-row path when it gives coordinates, themes, SDGs, territories or a category,
    lacks a commune code, comes from another source, or has a commune code that is not
    a current commune.
    """
    count = len(records)
    out: list[dict[str, Any] | None] = [None] * count
    skip: set[int] = set()
    for name in ("latitude", "longitude"):
        col = list(map(operator.attrgetter(name), records))
        if col.count(None) != count:
            skip.update(i for i, v in enumerate(col) if v is not None)
    for name in _ROW_BY_ROW:
        col = list(map(operator.attrgetter(name), records))
        if any(col):
            skip.update(i for i, v in enumerate(col) if v)
    col = list(map(operator.attrgetter("commune_code"), records))
    if not all(col):
        skip.update(i for i, v in enumerate(col) if not v)
    col = list(map(operator.attrgetter("source"), records))
    if any(col):
        skip.update(i for i, v in enumerate(col) if v and v != source)
    kept = [i for i in range(count) if i not in skip] if skip else list(range(count))
    part = [records[i] for i in kept] if skip else records
    if not part:
        return out
    columns: dict[str, list[Any]] = {}

    def given(name: str, col: list[Any]) -> None:
        """The field's cells, ABSENT where a record does not set it (as compress drops)."""
        if all(col):
            columns[name] = col
        elif any(col):
            columns[name] = [v if v else ABSENT for v in col]

    # the fields in the order _actor_values puts them
    for name in _BULK_FIELDS:
        given(name, list(map(operator.attrgetter(name), part)))
    columns["identifiers"] = [[f"source:{source}:{keys[i]}"] for i in kept]
    columns["source"] = [source] * len(part)
    given("source_ref", list(map(operator.attrgetter("source_ref"), part)))
    extras = list(map(operator.attrgetter("extra"), part))
    if any(extras):  # a copy each, as _with_origin makes
        given("extra", [dict(e) if e else e for e in extras])
    cleaned = clean_actor_columns(columns)
    codes = dict(cleaned.columns)["commune_code"]
    if not ref.communes.issuperset(codes):  # former or unknown communes: row by row
        cleaned.left.update(i for i, c in enumerate(codes) if c not in ref.communes)
    cleaned.add("territories", list(map(list, repeat((), len(part)))))
    rows = cleaned.records()
    if not skip:
        return rows
    for i, row in zip(kept, rows, strict=True):
        out[i] = row
    return out
