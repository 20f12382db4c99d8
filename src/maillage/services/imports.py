"""Imports of parsed records (actors and links) into the database.

One import is one transaction, one audit batch and one ``import_run`` row, whatever
the file holds (a SCDL file gives funders, beneficiaries and grants: all in the same
batch, so ``maillage undo --batch N`` removes the whole import and only it). All or
nothing by default: every record is validated before anything is written, and any
rejected row means nothing is written (the failed run is still logged); ``partial``
keeps the valid records. An error while writing rolls everything back.

Identity (resolution on identifiers):

- an actor already imported from the same source is found by its source key
  (stored as the identifier ``source:<source>:<key>``; records without a key get
  ``nom:<folded name>@<commune>``) and updated with the file's values;
- otherwise an actor with the same SIRET, RNA or SIREN (a SIREN only against actors
  without SIRET when the record has one) is merged into: its empty fields are filled,
  its themes, territories and identifiers extended, its values kept. A shared
  identifier merges only one to one: when several incoming records, or several stored
  actors, carry it (the places of one structure share its SIRET), none is merged;
- a link is the same when its ends, kind, start date and source reference are; a
  re-imported link is left as it is.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import compress, repeat
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, MaillageError
from maillage.model.records import ActorRecord, ImportIssue, LinkRecord
from maillage.model.text import fold
from maillage.services.validation import (
    ABSENT,
    check_communes,
    check_territories,
    clean_actor,
    clean_actor_columns,
    clean_link,
)
from maillage.storage.audit import Context, open_batch, utcnow
from maillage.storage.bulk import paused_gc
from maillage.storage.engine import transaction
from maillage.storage.registry import actors, links
from maillage.storage.tables import (
    actor,
    actor_identifier,
    import_run,
    link,
    territory,
    territory_postcode,
)

ACTOR_VALUE_FIELDS = (
    "name", "acronym", "description", "world", "category", "digital_profile", "siren",
    "siret", "rna", "legal_form", "naf", "address", "postcode", "commune_code", "latitude",
    "longitude", "website", "email", "phone", "classification_rule", "themes", "sdgs",
    "territories",
)  # fmt: skip
_actor_fields = operator.attrgetter(*ACTOR_VALUE_FIELDS)
LINK_VALUE_FIELDS = (
    "form", "subtype", "weight", "amount", "status", "start_date", "end_date", "purpose",
    "evidence", "evidence_url", "confidence", "themes", "source_ref",
)  # fmt: skip
COLLECTIONS = ("themes", "sdgs", "territories", "identifiers")
KEEP_ON_MERGE = ("source", "source_ref", "extra", "identifiers")
STANDIN = 2**40  # ids handed to links whose end is an actor created by the same import
COUNTS = ("created", "updated", "merged", "unchanged", "rejected")
Progress = Callable[[int, int], None]
"""Called with ``(done, total)`` work units as an import goes."""


@dataclass
class ImportReport:
    """What an import did; ``issues`` lists every rejected row with its reason.

    The totals add up the ``details`` per entity (``actors``, ``links``, ``needs``,
    ``indicators``); ``warnings`` lists repairs and values left out (rows kept).
    """

    kind: str
    source: str
    file: str | None
    rows: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
    issues: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    details: dict[str, dict[str, int]] = field(default_factory=dict)
    batch_id: int | None = None
    import_run_id: int | None = None
    status: str = "done"

    def count(self, entity: str, what: str, n: int = 1) -> None:
        """Add ``n`` to one count of ``entity`` and to the total."""
        counts = self.details.setdefault(entity, dict.fromkeys(COUNTS, 0))
        counts[what] += n
        setattr(self, what, getattr(self, what) + n)

    def clear_writes(self) -> None:
        """Zero the write counts (a failed import wrote nothing); rejections stay."""
        for what in ("created", "updated", "merged", "unchanged"):
            setattr(self, what, 0)
            for counts in self.details.values():
                counts[what] = 0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (issues and warnings as dicts)."""
        data = asdict(self)
        data["issues"] = [_issue_dict(i) for i in self.issues]
        data["warnings"] = [_issue_dict(i) for i in self.warnings]
        return data


def _issue_dict(issue: ImportIssue) -> dict[str, Any]:
    return {
        k: (v if isinstance(v, str | int | float | bool | None) else str(v))
        for k, v in asdict(issue).items()
    }


class _Reference:
    """Territories known to the database, for checks and commune look-ups.

    Only the territory codes are read up front; the commune look-ups by name and
    postcode, the pre-merger codes and the arrondissements are read on first use
    (a file whose rows all give a current commune code never needs them).
    """

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self.territories: set[str] = set(conn.execute(sa.select(territory.c.code)).scalars())
        self.communes = {c[4:] for c in self.territories if c.startswith("COM:")}

    @functools.cached_property
    def _communes_named(self) -> list[tuple[str, str, str | None]]:
        """(INSEE code, folded name, département) of every commune, least populous first."""
        query = (
            sa.select(territory.c.code, territory.c.name_folded, territory.c.parent_code)
            .where(territory.c.level == "commune")
            .order_by(sa.func.coalesce(territory.c.population, 0))
        )
        return [(code[4:], name, parent) for code, name, parent in self._conn.execute(query)]

    @functools.cached_property
    def by_name(self) -> dict[tuple[str, str | None], str]:
        """Folded commune name (and département) -> INSEE code, the most populous
        commune winning a shared name."""
        by_name: dict[tuple[str, str | None], str] = {}
        for code, name, parent in self._communes_named:
            by_name[(name, parent)] = by_name[(name, None)] = code
        return by_name

    @functools.cached_property
    def by_postcode(self) -> dict[str, list[tuple[str, str]]]:
        """Postcode -> (INSEE code, folded name) of its communes."""
        names = {code: name for code, name, _ in self._communes_named}
        by_postcode: dict[str, list[tuple[str, str]]] = {}
        for postcode, commune in self._conn.execute(sa.select(territory_postcode)):
            by_postcode.setdefault(postcode, []).append((commune, names.get(commune, "")))
        return by_postcode

    @functools.cached_property
    def former(self) -> dict[str, str]:
        """Pre-merger commune code -> the current commune's. Only the communes with
        former codes have their extra JSON decoded (decoding all of them took longer
        than a small import itself)."""
        with_former = sa.cast(territory.c.extra, sa.Text).contains('"former_codes"')
        query = sa.select(territory.c.code, territory.c.extra).where(
            territory.c.level == "commune", with_former
        )
        return {
            old: code[4:]
            for code, extra in self._conn.execute(query)
            for old in (extra or {}).get("former_codes") or ()
            if old not in self.communes
        }

    @functools.cached_property
    def parents(self) -> dict[str, str]:
        """Municipal arrondissement -> its commune."""
        query = sa.select(territory.c.code, territory.c.parent_code).where(
            territory.c.level == "arrondissement_municipal"
        )
        return {code[4:]: (parent or "")[4:] for code, parent in self._conn.execute(query)}

    def commune_of(self, record: ActorRecord) -> str | None:
        """The INSEE code of a record without one: from its postcode (the commune of that
        name among the postcode's, else its only arrondissement), else its name."""
        name = fold(record.commune_name) if record.commune_name else None
        candidates = self.by_postcode.get(record.postcode or "", [])
        if len(candidates) == 1:
            return candidates[0][0]
        for code, folded in candidates:
            if name and folded == name:
                return code
        wider = {self.parents.get(code) for code, _ in candidates}
        precise = [code for code, _ in candidates if code not in wider]
        if candidates and len(precise) == 1:  # a postcode of one arrondissement (75010)
            return precise[0]
        if not name:
            return None
        deps = [t for t in record.territories if t.startswith("DEP:")]
        found = self.by_name.get((name, deps[0] if deps else None))
        return found or (None if deps else self.by_name.get((name, None)))


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
    """Overseas collectivities written as départements (``DEP:988``) become ``COLL:988``."""
    out = []
    for code in codes or ():
        if code not in known and code.startswith("DEP:") and f"COLL:{code[4:]}" in known:
            code = f"COLL:{code[4:]}"
        out.append(code)
    return sorted(set(out))


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


@dataclass
class _Identities:
    """Stored identities: this source's keys, and SIRET/SIREN/RNA of live actors."""

    by_key: dict[str, int]
    by_ident: dict[str, list[int]]

    @classmethod
    def load(cls, conn: sa.Connection, source: str) -> _Identities:
        query = sa.select(actor_identifier.c.identifier, actor_identifier.c.actor_id).where(
            actor_identifier.c.identifier.startswith(f"source:{source}:", autoescape=True)
        )
        by_key = {ident: actor_id for ident, actor_id in conn.execute(query)}
        by_ident: dict[str, list[int]] = {}
        live = sa.select(actor.c.id, actor.c.siret, actor.c.siren, actor.c.rna).where(
            actor.c.deleted_at.is_(None)
        )
        for actor_id, siret, siren, rna in conn.execute(live):
            for ident in _identity_keys(siret, siren, rna, stored=True):
                by_ident.setdefault(ident, []).append(actor_id)
        return cls(by_key, by_ident)

    def match(self, values: dict[str, Any], incoming: Counter[str]) -> tuple[int, str] | None:
        """``(actor id, "same" | "merge")`` for one cleaned record, or None (new actor)."""
        own = values["identifiers"][0]
        if own in self.by_key:
            return self.by_key[own], "same"
        if not self.by_ident:
            return None
        for ident in _identity_keys(values.get("siret"), values.get("siren"), values.get("rna")):
            found = self.by_ident.get(ident, ())
            if len(found) == 1 and incoming[ident] == 1:
                return found[0], "merge"
        return None


def _identity_keys(
    siret: str | None, siren: str | None, rna: str | None, *, stored: bool = False
) -> list[str]:
    """Identifier keys, most specific first. A stored actor is indexed by its SIREN,
    and also as ``siren-only:`` when it has no SIRET; a record with a SIRET looks for
    its SIREN only among those (``siren-only:``), a record without one among all."""
    keys = [f"siret:{siret}"] if siret else []
    if rna:
        keys.append(f"rna:{rna}")
    if siren and stored:
        keys.append(f"siren:{siren}")
        if not siret:
            keys.append(f"siren-only:{siren}")
    elif siren:
        keys.append(f"siren-only:{siren}" if siret else f"siren:{siren}")
    return keys


@dataclass
class _ActorPlan:
    """What an import will do to actors, decided before anything is written."""

    new: list[dict[str, Any]] = field(default_factory=list)
    changes: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)  # source key -> id or stand-in

    def add(self, key: str, values: dict[str, Any]) -> None:
        """Plan a new actor: its key and identifiers name it until it has an id."""
        self.ids[key] = STANDIN + len(self.new)
        self.new.append(values)

    def add_many(self, keys: Sequence[str], values: Sequence[dict[str, Any]]) -> None:
        """Plan new actors (distinct keys, none planned yet)."""
        self.ids.update(
            zip(
                keys,
                range(STANDIN + len(self.new), STANDIN + len(self.new) + len(keys)),
                strict=True,
            )
        )
        self.new.extend(values)

    @functools.cached_property
    def idents(self) -> dict[str, int | None]:
        """``"siret:..."`` (and SIREN, RNA) -> stand-in of the new actor holding it, None
        when several do. Built when links first need it, once every actor is planned."""
        idents: dict[str, int | None] = {}
        for index, values in enumerate(self.new):
            for scheme in ("siret", "siren", "rna"):
                if values.get(scheme):
                    ident = f"{scheme}:{values[scheme]}"
                    idents[ident] = None if ident in idents else STANDIN + index
        return idents


@dataclass
class _Batch:
    """One import in the making: its records, where its rows came from, its report."""

    report: ImportReport
    actors: Sequence[ActorRecord]
    links: Sequence[LinkRecord]
    actor_rows: Sequence[int | None]
    link_rows: Sequence[int | None]
    progress: Progress | None
    done: int = 0

    @property
    def total(self) -> int:
        return 2 * (len(self.actors) + len(self.links))

    def advance(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(self.done, self.total)

    def reject(
        self, entity: str, row: int | None, name: str, exc: InvalidInput, value: Any = None
    ) -> None:
        """Report a record rejected by validation (``value`` replaces the checked one)."""
        message = exc.rule if row is not None else f"{name} : {exc.rule}"
        shown = exc.value if value is None else value
        self.report.issues.append(ImportIssue(row, exc.field, shown, message, self.file))
        self.report.count(entity, "rejected")

    @property
    def file(self) -> str | None:
        """The file name issues are reported under (as the parsers do)."""
        return Path(self.report.file).name if self.report.file else None

    def warn(self, issue: ImportIssue) -> None:
        """Report a repair (the record is kept)."""
        issue.file = self.file
        self.report.warnings.append(issue)


def _plan_actors(conn: sa.Connection, batch: _Batch, source: str) -> _ActorPlan:
    """Validate every actor and decide: create, update (same source) or merge."""
    ref = _Reference(conn)
    keys = list(map(import_key, batch.actors))
    bulk = _clean_columnwise(batch.actors, keys, source, ref)
    cleaned: list[tuple[ActorRecord, str, dict[str, Any]]] = []
    if None not in bulk:  # every record cleaned in bulk
        cleaned = list(zip(batch.actors, keys, cast("list[dict[str, Any]]", bulk), strict=True))
        batch.advance(len(batch.actors))
    else:
        records = zip(batch.actors, batch.actor_rows, keys, bulk, strict=True)
        for index, (record, row, key, values) in enumerate(records):
            if values is not None:
                cleaned.append((record, key, values))
            else:  # anything to report or repair: record by record
                try:
                    values = _clean_actor(record, key, source, ref, batch.warn)
                    cleaned.append((record, key, values))
                except InvalidInput as exc:
                    batch.reject("actors", row, f"acteur « {record.name} »", exc)
            if index % 1000 == 999:
                batch.advance(1000)
        batch.advance(len(batch.actors) % 1000)
    plan = _ActorPlan()
    matched = _match_all(conn, batch, cleaned, plan, source)
    _plan_matches(conn, plan, matched, batch.report)
    batch.report.count("actors", "created", len(plan.new))
    return plan


def _match_all(
    conn: sa.Connection,
    batch: _Batch,
    cleaned: list[tuple[ActorRecord, str, dict[str, Any]]],
    plan: _ActorPlan,
    source: str,
) -> list[tuple[str, int, str, dict[str, Any]]]:
    """Plan the new actors; return the others with the stored actor they match."""
    identities = _Identities.load(conn, source)
    keys = [key for _, key, _ in cleaned]
    if not identities.by_key and not identities.by_ident and len(set(keys)) == len(keys):
        plan.add_many(keys, [values for _, _, values in cleaned])  # all new, all distinct
        return []
    incoming: Counter[str] = Counter()
    if identities.by_ident:  # an empty database has nothing to merge into
        incoming.update(
            ident
            for _, _, values in cleaned
            for ident in _identity_keys(values.get("siret"), values.get("siren"), values.get("rna"))
        )
    matched: list[tuple[str, int, str, dict[str, Any]]] = []
    seen: set[str] = set()
    for record, key, values in cleaned:
        if key in seen:
            batch.report.count("actors", "unchanged")
            batch.warn(ImportIssue(None, "key", key, f"« {record.name} » : même acteur "
                                   "plus haut dans le fichier, gardé une fois",
                                   severity="warning"))  # fmt: skip
            continue
        seen.add(key)
        found = identities.match(values, incoming)
        if found is None:
            plan.add(key, values)
        else:
            matched.append((key, *found, values))
    return matched


def _plan_matches(
    conn: sa.Connection,
    plan: _ActorPlan,
    matched: list[tuple[str, int, str, dict[str, Any]]],
    report: ImportReport,
) -> None:
    """Compare matched records with the stored actors (fetched in bulk)."""
    current = _snapshots(conn, {actor_id for _, actor_id, _, _ in matched})
    for key, actor_id, how, values in matched:
        snap = current[actor_id]
        while snap.get("merged_into_id") and snap["merged_into_id"] in current:
            snap = current[snap["merged_into_id"]]
        if snap.get("deleted_at") is not None:
            report.warnings.append(
                ImportIssue(None, "key", key, "acteur supprimé : non réimporté", report.file,
                            severity="warning")
            )  # fmt: skip
            report.count("actors", "unchanged")
            continue
        plan.ids[key] = snap["id"]
        # an actor another source brought is only completed, also when found by key again
        merge = how == "merge" or snap.get("source") != values.get("source")
        changes = _changes(snap, values, merge=merge)
        if changes:
            plan.changes.append((snap["id"], how, changes))
        report.count(
            "actors", "merged" if how == "merge" else "updated" if changes else "unchanged"
        )


def _snapshots(conn: sa.Connection, ids: set[int]) -> dict[int, dict[str, Any]]:
    """Stored actors by id (deleted ones too), following merges to their survivor."""
    out: dict[int, dict[str, Any]] = {}
    todo = sorted(ids)
    while todo:
        chunk, todo = todo[:500], todo[500:]
        for snap in actors.list(
            conn, where=[actor.c.id.in_(chunk)], limit=None, include_deleted=True
        ):
            out[snap["id"]] = snap
            target = snap.get("merged_into_id")
            if target and target not in out and target not in todo:
                todo.append(target)
    return out


def _older(current: dict[str, Any], values: dict[str, Any]) -> bool:
    """True when the record says it was updated (``extra.date_maj``) before the stored one."""
    new = (values.get("extra") or {}).get("date_maj")
    old = (current.get("extra") or {}).get("date_maj")
    return isinstance(new, str) and isinstance(old, str) and new < old


def _changes(current: dict[str, Any], values: dict[str, Any], *, merge: bool) -> dict[str, Any]:
    """Changes to bring a stored actor up to a record: the record's values (same
    source, unless the record is older than the stored actor) or only what the stored
    actor lacks (merge). Collections and ``extra`` only grow, so that what a merge
    brought stays when its first source is imported again."""
    merge = merge or _older(current, values)
    changes: dict[str, Any] = {}
    for name, value in values.items():
        old = current.get(name)
        if name in COLLECTIONS:
            new: Any = sorted(set(old or ()) | set(value))
            changed = new != sorted(old or ())
        elif name == "extra":
            new = {**value, **(old or {})} if merge else {**(old or {}), **value}
            changed = new != (old or {})
        else:
            new = value
            changed = old != value and not (
                merge and (name in KEEP_ON_MERGE or old not in (None, ""))
            )
        if changed:
            changes[name] = new
    return changes


def _link_values(
    record: LinkRecord, ends: Callable[[str | None], int | None], source: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for end in ("source", "target"):
        key = getattr(record, f"{end}_key")
        actor_id = getattr(record, f"{end}_id") or ends(key)
        if actor_id is None:
            raise InvalidInput(
                f"{end}_key",
                key,
                "aucun acteur de cette source ne porte ce code (ni ce SIRET/SIREN/RNA)",
                "no actor of this source has this key (nor SIRET/SIREN/RNA)",
            )
        values[f"{end}_id"] = actor_id
    try:
        values["kind"] = taxonomy.resolve("link_kinds", record.kind, field="kind")
    except MaillageError:
        values["kind"] = record.kind  # clean_link names the allowed values
    for name in LINK_VALUE_FIELDS:
        value = getattr(record, name)
        if value not in (None, [], ""):
            values[name] = value
    if record.territory:
        values["territory_code"] = record.territory
    values["directed"] = record.directed
    values["source"] = source
    values["extra"] = _with_origin(record.extra, record.source, source)
    if record.kind != values["kind"]:
        values["extra"]["source_kind"] = record.kind
    return values


def _end_finder(
    conn: sa.Connection, plan: _ActorPlan, source: str
) -> Callable[[str | None], int | None]:
    """Resolve a link end: a key of this import, of this source, or a SIRET/SIREN/RNA."""
    stored = _Identities.load(conn, source)
    prefix = f"source:{source}:"
    keys = {k[len(prefix) :]: v for k, v in stored.by_key.items()}

    def find(key: str | None) -> int | None:
        if not key:
            return None
        if key in plan.ids:
            return plan.ids[key]
        if key in keys:
            return keys[key]
        digits = "".join(ch for ch in key if ch.isalnum()).upper()
        for scheme in ("siret", "siren", "rna"):
            ident = f"{scheme}:{digits}"
            if ident in plan.idents:
                return plan.idents[ident]
            found = stored.by_ident.get(ident, ())
            if len(found) == 1:
                return found[0]
        return None

    return find


def _link_identity(values: dict[str, Any]) -> tuple[Any, ...]:
    start = values.get("start_date")
    if isinstance(start, dt.date):
        start = start.isoformat()
    return (values["source_id"], values["target_id"], values["kind"], start,
            values.get("source_ref"))  # fmt: skip


def _stored_links(conn: sa.Connection, source: str) -> set[tuple[Any, ...]]:
    query = sa.select(
        link.c.source_id, link.c.target_id, link.c.kind, link.c.start_date, link.c.source_ref
    ).where(link.c.source == source, link.c.deleted_at.is_(None))
    return {
        (s, t, k, d.isoformat() if isinstance(d, dt.date) else d, ref)
        for s, t, k, d, ref in conn.execute(query)
    }


def _plan_links(
    conn: sa.Connection, batch: _Batch, plan: _ActorPlan, source: str
) -> list[dict[str, Any]]:
    """Validate every link (ends resolved, stand-ins for new actors); drop known ones."""
    ends = _end_finder(conn, plan, source)
    existing = _stored_links(conn, source)
    planned: set[tuple[Any, ...]] = set()
    twice = 0
    new: list[dict[str, Any]] = []
    for record, row in zip(batch.links, batch.link_rows, strict=True):
        try:
            values = clean_link(_link_values(record, ends, source))
        except InvalidInput as exc:
            name = f"lien {record.source_key} → {record.target_key}"
            key = record.target_key if exc.field == "target_id" else record.source_key
            batch.reject("links", row, name, exc, key if exc.field.endswith("_id") else None)
            continue
        identity = _link_identity(values)
        if identity in existing:
            batch.report.count("links", "unchanged")
            twice += identity in planned
            continue
        existing.add(identity)
        planned.add(identity)
        new.append(values)
    if twice:
        batch.warn(ImportIssue(None, "links", twice, f"{twice} lien(s) en double dans le "
                               "fichier (mêmes extrémités, type, date et référence) : gardés "
                               "une fois", severity="warning"))  # fmt: skip
    batch.advance(len(batch.links))
    batch.report.count("links", "created", len(new))
    return new


def import_records(
    *,
    db: sa.Engine,
    kind: str,
    source: str,
    actor_records: Sequence[ActorRecord] = (),
    link_records: Sequence[LinkRecord] = (),
    file: str | None = None,
    parse_issues: Iterable[ImportIssue] = (),
    rows: int | None = None,
    parse_rejected: int | None = None,
    actor_rows: Sequence[int | None] | None = None,
    link_rows: Sequence[int | None] | None = None,
    partial: bool = False,
    dry_run: bool = False,
    user: str = "import",
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and store the actors and links read from one file, as one import.

    ``parse_issues`` are the reader's (errors reject, warnings are kept in the report);
    ``parse_rejected`` counts the rows the reader rejected; ``actor_rows``/``link_rows``
    give the file row of each record for the issue report. Returns the report; a
    ``failed`` one wrote nothing but its ``import_run`` row.
    """
    report = ImportReport(kind, source, file)
    report.rows = rows if rows is not None else len(actor_records) + len(link_records)
    parse_issues = list(parse_issues)
    report.issues = [i for i in parse_issues if i.severity == "error"]
    report.warnings = [i for i in parse_issues if i.severity != "error"]
    if parse_rejected is None:
        parse_rejected = len({i.row for i in report.issues if i.row is not None})
    report.rejected = parse_rejected
    batch = _Batch(report, actor_records, link_records,
                   actor_rows or [None] * len(actor_records),
                   link_rows or [None] * len(link_records), progress)  # fmt: skip
    with paused_gc(), transaction(db) as conn:
        plan = _plan_actors(conn, batch, source)
        new_links = _plan_links(conn, batch, plan, source)
        anything = bool(plan.new or plan.changes or new_links)
        if _verdict(report, partial, dry_run) or not anything:
            if report.status != "dry_run":
                record_run(conn, report, None)
            return report
        batch_id = open_batch(conn, kind="import", label=f"import {kind} {source}", user=user)
        ctx = Context(user=user, source=source, batch_id=batch_id)
        _store(conn, batch, plan, new_links, ctx)
        report.batch_id = batch_id
        record_run(conn, report, batch_id)
    return report


def _verdict(report: ImportReport, partial: bool, dry_run: bool) -> bool:
    """Set the status of a validated import; True when nothing is to be written.

    It fails on any rejection unless ``partial``, and then when no record was valid."""
    valid = report.created + report.updated + report.merged + report.unchanged
    if report.issues and (not partial or not valid):
        report.status = "failed"
        report.clear_writes()
        return True
    if dry_run:
        report.status = "dry_run"
        return True
    return False


def _store(
    conn: sa.Connection,
    batch: _Batch,
    plan: _ActorPlan,
    new_links: list[dict[str, Any]],
    ctx: Context,
) -> None:
    """Write the planned actors, then the links with their new ends' real ids."""
    for actor_id, _how, changes in plan.changes:
        actors.update(conn, actor_id, changes, ctx=ctx)
    created: list[int] = list(actors.create_many(conn, plan.new, ctx=ctx))
    batch.advance(len(batch.actors))
    for values in new_links:
        for end in ("source_id", "target_id"):
            if values[end] >= STANDIN:
                values[end] = created[values[end] - STANDIN]
    links.create_many(conn, new_links, ctx=ctx)
    batch.advance(len(batch.links))


def record_run(conn: sa.Connection, report: ImportReport, batch_id: int | None) -> None:
    """Log one import (its counts and first 1,000 issues) in ``import_run``."""
    counts: dict[str, Any] = {k: getattr(report, k) for k in ("rows", *COUNTS)}
    counts["details"] = report.details
    result = conn.execute(
        sa.insert(import_run).values(
            batch_id=batch_id,
            kind=report.kind,
            source=report.source,
            file=report.file,
            status=report.status,
            started_at=utcnow(),
            finished_at=utcnow(),
            counts=counts,
            issues=[_issue_dict(i) for i in report.issues[:1000]],
        )
    )
    key = result.inserted_primary_key
    report.import_run_id = int(key[0]) if key else None


def qualify_keys(actors: Iterable[ActorRecord], field: str = "source") -> None:
    """Prefix each actor's key with its publisher (``extra[field]``): the ids of the
    national map exports are unique per publisher only (``"0"`` in two files is two
    places), ``conseiller-numerique:<id>`` is the same place in every file."""
    for record in actors:
        publisher = record.extra.get(field)
        if record.key and isinstance(publisher, str) and publisher.strip():
            record.key = f"{publisher.strip()}:{record.key}"


def import_actors(
    *, db: sa.Engine, records: Sequence[ActorRecord], source: str, **options: Any
) -> ImportReport:
    """Import actors only (rows numbered from 2 unless ``actor_rows`` is given)."""
    options.setdefault("actor_rows", list(range(2, len(records) + 2)))
    return import_records(db=db, kind="actors", source=source, actor_records=records, **options)


def import_links(
    *, db: sa.Engine, records: Sequence[LinkRecord], source: str, **options: Any
) -> ImportReport:
    """Import links only; their ends are actors of ``source`` (or a SIRET/SIREN/RNA)."""
    options.setdefault("link_rows", list(range(2, len(records) + 2)))
    return import_records(db=db, kind="links", source=source, link_records=records, **options)
