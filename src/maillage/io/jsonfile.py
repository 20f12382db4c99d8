"""Actors and links as one JSON document, and back.

``{"format": "maillage", "version": 1, "actors": [...], "links": [...]}``: each record is
an object with every field (database ids excepted), dates as ISO 8601 strings.
:func:`parse_json` checks each field's type and identifier rules and reports problems per
record (records numbered from 1 within ``actors`` and within ``links``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from maillage.io import values as v
from maillage.io.columns import ACTOR_FIELDS, LINK_FIELDS
from maillage.io.result import ParseResult, RowLog
from maillage.io.unreadable import UnreadableFile, parse_json_bytes, read_data
from maillage.model.fields import date_text
from maillage.model.records import ActorRecord, ImportIssue, LinkRecord

__all__ = [
    "generate_json",
    "is_document",
    "parse_document",
    "parse_json",
    "read_json",
    "record_dict",
    "records_from_dicts",
    "write_json",
]

_FLOATS = {"latitude", "longitude", "weight", "amount", "confidence"}
_LISTS = {"themes", "territories", "sdgs"}
_DATES = {"start_date", "end_date"}
_CHECKS = {
    "siret": v.parse_siret,
    "siren": v.parse_siren,
    "rna": v.parse_rna,
    "postcode": v.parse_postcode,
    "commune_code": v.parse_commune_code,
    "world": v.parse_world,
}


def record_dict(record: ActorRecord | LinkRecord) -> dict[str, Any]:
    """A record as a JSON-ready dict (dates as ISO strings, database ids left out)."""
    names = ACTOR_FIELDS if isinstance(record, ActorRecord) else LINK_FIELDS
    data = {n: getattr(record, n) for n in names}
    for name in _DATES & set(data):
        data[name] = date_text(data[name], data.get("extra"), name)  # a year alone: "2011"
    return data


def generate_json(
    actors: Iterable[ActorRecord] = (),
    links: Iterable[LinkRecord] = (),
    *,
    indent: int | None = None,
) -> Iterator[str]:
    """Yield the JSON document in chunks (one record per chunk)."""
    yield '{"format": "maillage", "version": 1, "actors": ['
    for index, actor in enumerate(actors):
        yield ("," if index else "") + json.dumps(
            record_dict(actor), ensure_ascii=False, indent=indent
        )
    yield '], "links": ['
    for index, link in enumerate(links):
        yield ("," if index else "") + json.dumps(
            record_dict(link), ensure_ascii=False, indent=indent
        )
    yield "]}\n"


def _typed(name: str, value: Any, log: RowLog) -> Any:
    """Check the JSON type of one field; return the value or None after an error."""
    if value is None:
        return None
    if name in _FLOATS:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok else log.error(name, value, "nombre attendu")
    if name in _LISTS:
        return value if isinstance(value, list) else log.error(name, value, "liste attendue")
    if name in _DATES:
        try:
            if isinstance(value, str) and len(value) == 4 and value.isdigit():
                return dt.date(int(value), 1, 1)  # a year alone (its precision in extra)
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            return log.error(name, value, "date attendue au format AAAA-MM-JJ")
    if name == "extra":
        return value if isinstance(value, dict) else log.error(name, value, "objet attendu")
    if name == "directed":
        return value if isinstance(value, bool) else log.error(name, value, "booléen attendu")
    if name in _CHECKS:
        return _CHECKS[name](value, log, name)
    return value if isinstance(value, str) else log.error(name, value, "texte attendu")


def records_from_dicts(
    items: Iterable[tuple[int, Any]],
    cls: type[ActorRecord] | type[LinkRecord],
    *,
    file: str | None = None,
) -> ParseResult:
    """Build records of ``cls`` from numbered JSON objects, checking each field's type."""
    result = ParseResult()
    names = ACTOR_FIELDS if cls is ActorRecord else LINK_FIELDS
    for number, item in items:
        result.rows += 1
        log = RowLog(result.issues, number, file)
        if not isinstance(item, Mapping):
            log.error(None, item, "objet attendu")
            result.rejected_rows.append(number)
            continue
        fields = {n: _typed(n, item.get(n), log) for n in names if n in item}
        if cls is ActorRecord and not fields.get("name"):
            log.error("name", None, "nom de l'acteur requis")
        if log.failed:
            result.rejected_rows.append(number)
            continue
        record = cls(**{k: val for k, val in fields.items() if val is not None})
        if isinstance(record, ActorRecord):
            result.actors.append(record)
        else:
            result.links.append(record)
    return result


def is_document(data: Any) -> bool:
    """Whether a parsed JSON value is a document of :func:`generate_json`
    (``{"format": "maillage", ...}``, as ``maillage export json`` writes it)."""
    return isinstance(data, dict) and data.get("format") == "maillage"


def parse_document(
    document: Any,
    *,
    file: str | None = None,
    parts: tuple[str, ...] = ("actors", "links"),
    source: str | None = None,
) -> ParseResult:
    """The records of a parsed document of :func:`generate_json`: its ``actors`` and
    ``links`` (only those of ``parts``), records numbered from 1 within each, issues
    naming ``file#actors`` or ``file#links``. A record without ``source`` gets
    ``source``; a record's own (our export's provenance) is kept."""
    result = ParseResult()
    data = document if isinstance(document, dict) else {}
    name = file or "json"
    for key, cls in (("actors", ActorRecord), ("links", LinkRecord)):
        if key not in parts:
            continue
        items = data.get(key)
        numbered = enumerate(items if isinstance(items, list) else [], start=1)
        result.extend(records_from_dicts(numbered, cls, file=f"{name}#{key}"))
    if source is not None:
        for actor in result.actors:
            actor.source = actor.source or source
        for link in result.links:
            link.source = link.source or source
    return result


def parse_json(text: str | bytes, *, file: str | None = None) -> ParseResult:
    """Read a document written by :func:`generate_json`."""
    try:
        data = parse_json_bytes(text if isinstance(text, bytes) else text.encode(), file or "JSON")
    except UnreadableFile as error:
        result = ParseResult()
        result.issues.append(ImportIssue(None, None, None, str(error), file))
        return result
    return parse_document(data, file=file)


def write_json(
    path: str | Path, actors: Iterable[ActorRecord] = (), links: Iterable[LinkRecord] = ()
) -> None:
    """Write the JSON document to ``path`` (UTF-8)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(generate_json(actors, links))


def read_json(path: str | Path) -> ParseResult:
    """Read a JSON document written by :func:`write_json`."""
    data, name = read_data(path)
    return parse_json(data, file=name)
