"""DECP (données essentielles de la commande publique) JSON: contracts as links.

Reads the 2019 format (``{"marches": [...]}``, arrêté du 14 avril 2017) and tolerates the
2022 shape (``{"marches": {"marche": [...]}}``, ``titulaires[].titulaire``) and dotted
keys (``"acheteur.id"``). For each record the buyer (``acheteur``, or
``autoriteConcedante`` for a concession) and each supplier (``titulaires`` /
``concessionnaires``) become actors, and each buyer-supplier pair a directed
``LinkRecord(kind="public_contract")`` dated by ``dateNotification`` (``dateSignature``
for concessions) with ``amount`` = ``montant`` (``valeurGlobale``), themed by its
object (:func:`maillage.io.themes.object_themes`, the keywords in ``extra``). When a contract has
several suppliers each link carries the whole amount and ``extra["shared_between"]``.

A record is rejected when it has no buyer, no supplier, or a SIRET that fails its
check digit. Records are numbered from 1 in the order of the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from stdnum.fr import siren as _siren

from maillage.io import values as v
from maillage.io.classify import apply_classification
from maillage.io.columns import canonical_columns, canonical_records
from maillage.io.result import ParseResult, RowLog, dedupe_actors
from maillage.io.themes import object_themes
from maillage.io.unreadable import json_objects, parse_json_bytes, read_data
from maillage.model.records import ActorRecord, LinkRecord

__all__ = ["decp_records", "parse_decp", "parse_decp_rows", "read_decp"]

_BUYER_ROLE = ("public", "acheteur public", "decp:acheteur")
_SUPPLIER_ROLE = ("economic", "entreprise", "decp:titulaire")
_EXTRA = ("_type", "nature", "procedure", "codeCPV", "dureeMois", "formePrix", "id", "uid")
_KEYS = (
    *_EXTRA, "acheteur", "autoriteConcedante", "titulaires", "concessionnaires",
    "dateNotification", "dateSignature", "datePublicationDonnees", "montant", "valeurGlobale",
    "objet", "lieuExecution",
)  # fmt: skip
"""The keys of a contract read in any case or spacing (``DateNotification``)."""
_PARTY_KEYS = ("id", "nom", "denominationSociale", "typeIdentifiant", "titulaire")


def decp_records(data: Any, file: str = "decp") -> list[dict[str, Any]]:
    """Return the list of contract records of a DECP document (2019 or 2022 shape);
    a document that holds no array of them is refused as :class:`UnreadableFile`."""
    marches = data.get("marches", data) if isinstance(data, dict) else data
    if isinstance(marches, dict):
        marches = marches.get("marche", [])
    if not isinstance(marches, list):
        json_objects(marches, file)  # raises: an array of objects expected
    return [_undot(r) for r in marches if isinstance(r, dict)]


def _undot(record: dict[str, Any]) -> dict[str, Any]:
    """Turn flattened keys (``"acheteur.id"``) back into nested objects."""
    if not any("." in k for k in record):
        return record
    nested: dict[str, Any] = {}
    for key, value in record.items():
        head, _, tail = key.partition(".")
        if tail:
            nested.setdefault(head, {})[tail] = value
        else:
            nested[key] = value
    return nested


def parse_decp(
    records: Iterable[Mapping[str, Any]], *, file: str | None = None, source: str = "decp"
) -> ParseResult:
    """Return buyers, suppliers and one contract link per buyer-supplier pair."""
    return parse_decp_rows(records, file=file, source=source)[0]


def parse_decp_rows(
    records: Iterable[Mapping[str, Any]], *, file: str | None = None, source: str = "decp"
) -> tuple[ParseResult, list[int | None]]:
    """:func:`parse_decp`, with the number of the record each link comes from (the row
    the import names when it refuses a link, e.g. a buyer that is its own supplier)."""
    contracts, renamed = canonical_records(list(records), _KEYS, file)
    result = ParseResult(issues=renamed)
    actors: list[ActorRecord] = []
    link_rows: list[int | None] = []
    for number, record in enumerate(contracts, start=1):
        result.rows += 1
        log = RowLog(result.issues, number, file)
        concession = "autoriteConcedante" in record or "concessionnaires" in record
        buyer = _buyer(record, log, source, concession)
        suppliers = _suppliers(record, log, source, concession)
        links = _links(record, buyer, suppliers, log, source, concession) if buyer else []
        if log.failed or buyer is None or not suppliers:
            result.rejected_rows.append(number)
            continue
        _check_text(record, log)
        actors.append(buyer)
        actors.extend(suppliers)
        result.links.extend(links)
        link_rows.extend([number] * len(links))
    result.actors = dedupe_actors(actors)
    return result, link_rows


def _party(data: Any, log: RowLog, field: str, name_key: str) -> ActorRecord | None:
    """One buyer or supplier: SIRET checked, other identifiers kept as typed keys."""
    data = _party_keys(data)
    if isinstance(data, dict) and isinstance(data.get("titulaire"), dict):
        data = _party_keys(data["titulaire"])
    if not isinstance(data, dict):
        log.error(field, data, "objet attendu (id, nom)")
        return None
    name = v.clean_text(data.get(name_key))
    ident = v.clean_text(data.get("id"))
    kind = (v.clean_text(data.get("typeIdentifiant")) or "SIRET").upper().replace("-", "_")
    if name is None and ident is None:
        log.error(field, data, "ni identifiant ni nom")
        return None
    actor = ActorRecord(name=name or ident or "")
    if ident is not None and kind == "SIRET" and _is_siren(ident):
        log.warn(f"{field}.id", ident, "SIREN donné au lieu d'un SIRET : lu comme SIREN")
        actor.siren = actor.key = ident
    elif ident is not None and kind == "SIRET":
        actor.siret = v.parse_siret(ident, log, f"{field}.id")
        actor.siren = actor.siret[:9] if actor.siret else None
        actor.key = actor.siret
    elif ident is not None:
        actor.key = f"{kind}:{ident}"
        actor.extra["identifiant"] = {"type": kind, "id": ident}
    else:
        actor.key = "nom:" + actor.name
    return actor


def _party_keys(data: Any) -> Any:
    """A party's object with its keys in the names of the format (``Nom`` -> ``nom``)."""
    if not isinstance(data, dict):
        return data
    renames = canonical_columns(data, _PARTY_KEYS)
    return {renames.get(k, k): val for k, val in data.items()} if renames else data


def _is_siren(ident: str) -> bool:
    """True for a 9-digit identifier that passes the SIREN check digit."""
    return len(ident) == 9 and ident.isdigit() and _siren.is_valid(ident)


def _buyer(
    record: Mapping[str, Any], log: RowLog, source: str, concession: bool
) -> ActorRecord | None:
    field = "autoriteConcedante" if concession else "acheteur"
    data = record.get(field)
    if data is None:
        log.error(field, None, "acheteur absent")
        return None
    buyer = _party(data, log, field, "nom")
    if buyer is not None:
        buyer.source = source
        apply_classification(buyer, role=_BUYER_ROLE)
    return buyer


def _suppliers(
    record: Mapping[str, Any], log: RowLog, source: str, concession: bool
) -> list[ActorRecord]:
    field = "concessionnaires" if concession else "titulaires"
    items = record.get(field) or []
    if not items:
        log.error(field, None, "aucun titulaire")
        return []
    suppliers = []
    for item in items if isinstance(items, list) else [items]:
        supplier = _party(item, log, field, "denominationSociale")
        if supplier is not None:
            supplier.source = source
            apply_classification(supplier, role=_SUPPLIER_ROLE)
            suppliers.append(supplier)
    return suppliers


def _check_text(record: Mapping[str, Any], log: RowLog) -> None:
    """Warn once per record when the source carries U+FFFD (irrecoverable encoding)."""
    damaged = [k for k, val in record.items() if "\ufffd" in json.dumps(val, ensure_ascii=False)]
    if damaged:
        log.warn(",".join(damaged), None, "caractères illisibles (U+FFFD) dans la source")


def _links(
    record: Mapping[str, Any],
    buyer: ActorRecord,
    suppliers: list[ActorRecord],
    log: RowLog,
    source: str,
    concession: bool,
) -> list[LinkRecord]:
    """The contract links of one record."""
    date_field = "dateSignature" if concession else "dateNotification"
    start = v.parse_date(record.get(date_field), log, date_field)
    if start is None and record.get("datePublicationDonnees"):
        start = v.parse_date(record["datePublicationDonnees"], log, "datePublicationDonnees")
        log.warn(date_field, None, "date absente : date de publication utilisée")
    elif start is None:
        log.warn(date_field, None, "contrat sans date : lien non daté")
    amount_field = "valeurGlobale" if concession else "montant"
    amount = v.parse_float(record.get(amount_field), log, amount_field)
    if amount == 0:
        log.warn(amount_field, 0, "montant nul")
    extra: dict[str, Any] = {k: record[k] for k in _EXTRA if record.get(k) not in (None, "")}
    if isinstance(record.get("lieuExecution"), dict):
        extra["lieuExecution"] = record["lieuExecution"]
    if len(suppliers) > 1:
        extra["shared_between"] = len(suppliers)
    ref = v.clean_text(record.get("uid")) or v.clean_text(record.get("id"))
    purpose = v.clean_text(record.get("objet"))
    themes, keywords = object_themes(purpose)
    if keywords:
        extra["themes_mots_cles"] = keywords
    return [
        LinkRecord(
            source_key=buyer.key,
            target_key=s.key,
            kind="public_contract",
            directed=True,
            amount=amount,
            weight=amount,
            start_date=start,
            purpose=purpose,
            themes=list(themes),
            source=source,
            source_ref=ref,
            evidence=f"DECP {ref}" if ref else None,
            extra=dict(extra),
        )
        for s in suppliers
    ]


def read_decp(path: str | Path, *, source: str = "decp") -> ParseResult:
    """Read a DECP JSON file (UTF-8)."""
    data, name = read_data(path)
    return parse_decp(decp_records(parse_json_bytes(data, name), name), file=name, source=source)
