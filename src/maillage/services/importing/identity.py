"""Identity of imported actors: the stored actor each record updates, merges into, or none."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from maillage.io.resolve import normalise_name
from maillage.io.values import OTHERS_KEY
from maillage.model.errors import InvalidInput
from maillage.model.records import ActorRecord, ImportIssue, LinkRecord
from maillage.services.importing.cleaning import _clean_actor, import_key
from maillage.services.importing.reference import _Reference
from maillage.services.importing.report import (
    COLLECTIONS,
    KEEP_ON_MERGE,
    STANDIN,
    ImportReport,
    Progress,
)
from maillage.storage.registry import actors
from maillage.storage.tables import (
    actor,
    actor_identifier,
)


@dataclass
class _Identities:
    """Stored identities: this source's keys, and SIRET/SIREN/RNA of live actors."""

    by_key: dict[str, int]
    by_ident: dict[str, list[int]]
    exported: dict[str, int] = field(default_factory=dict)  # see _exported

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


def _exported(
    conn: sa.Connection, cleaned: list[tuple[ActorRecord, str, dict[str, Any]]], source: str
) -> dict[str, int]:
    """``{key: actor id}`` for the records of our own export (``maillage export``) of
    this database: a record keyed by a number that carries its provenance (``source``,
    not this import's) is the live actor of that number when that actor has this
    provenance and the same comparable name or SIRET. Re-imported, such a record is that
    actor, its own source kept (an unchanged export changes nothing)."""
    wanted = {
        int(key): (record, values)
        for record, key, values in cleaned
        if key.isdigit() and record.source and record.source != source
    }
    if not wanted:
        return {}
    found = {}
    ids = sorted(wanted)
    for start in range(0, len(ids), 5000):
        query = sa.select(actor.c.id, actor.c.source, actor.c.name, actor.c.siret).where(
            actor.c.id.in_(ids[start : start + 5000]), actor.c.deleted_at.is_(None)
        )
        for actor_id, stored_source, name, siret in conn.execute(query):
            record, values = wanted[actor_id]
            same = normalise_name(name) == normalise_name(values["name"]) or (
                siret is not None and siret == values.get("siret")
            )
            if stored_source == record.source and same:
                found[str(actor_id)] = actor_id
    return found


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


HELD = ("siret", "rna")  # numbers an actor holds alone (a SIREN is shared)


@dataclass
class _Holders:
    """Who holds a SIRET or RNA: a number that other live actors, or several records
    of the file, carry is their holder's, not theirs. It is then kept as
    ``holder_siret``/``holder_rna`` (the places of one commune all give the commune's
    SIRET), and the move is reported."""

    stored: dict[str, list[int]]  # "siret:..." -> live actors holding it
    counts: Counter[str]  # "siret:..." -> records of the file carrying it
    where: dict[str, tuple[int | None, str]]  # source key -> (file row, name)
    batch: _Batch

    def assign(self, key: str, values: dict[str, Any], target: int | None) -> None:
        """Move the numbers of one record that are not its own (``target``: the stored
        actor it updates or merges into, None for a new one)."""
        for scheme in HELD:
            number = values.get(scheme)
            if not number:
                continue
            ident = f"{scheme}:{number}"
            others = sum(1 for i in self.stored.get(ident, ()) if i != target)
            sharing = others + self.counts[ident] - 1
            if sharing <= 0:
                continue
            values[scheme], values[f"holder_{scheme}"] = None, number
            if scheme == "siret" and values.get("siren") == number[:9]:
                values["siren"] = None  # the SIREN read from it is the holder's too
            row, name = self.where.get(key, (None, key))
            label = scheme.upper()
            self.batch.warn(ImportIssue(
                row, scheme, number,
                f"« {name} » : {label} {number} porté aussi par {sharing} autre(s) acteur(s) "
                f"ou ligne(s) : gardé comme {label} de la structure porteuse (holder_{scheme})",
                severity="warning",
            ))  # fmt: skip


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
    kinds: dict[str, str] = field(default_factory=dict)  # folded kind of the file -> code
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
    cleaned: list[tuple[ActorRecord, str, dict[str, Any]]] = []
    rows: list[int | None] = []  # the file row of each cleaned record
    records = zip(batch.actors, batch.actor_rows, keys, strict=True)
    where: dict[str, tuple[int | None, str]] = {}
    for index, (record, row, key) in enumerate(records):
        where.setdefault(key, (row, record.name))
        try:
            cleaned.append((record, key, _clean_actor(record, key, source, ref, batch.warn, row)))
            rows.append(row)
        except InvalidInput as exc:
            batch.reject("actors", row, f"acteur « {record.name} »", exc)
        if index % 1000 == 999:
            batch.advance(1000)
    batch.advance(len(batch.actors) % 1000)
    plan = _ActorPlan()
    identities = _Identities.load(conn, source)
    identities.exported = _exported(conn, cleaned, source)
    firsts = {key: values for _, key, values in reversed(cleaned)}  # first record of a key
    counts = Counter(f"{s}:{v}" for values in firsts.values() for s in HELD if (v := values.get(s)))
    holders = _Holders(identities.by_ident, counts, where, batch)
    matched = _match_all(batch, cleaned, rows, plan, identities, holders, firsts)
    _plan_matches(conn, plan, matched, batch.report, holders)
    batch.report.count("actors", "created", len(plan.new))
    return plan


def _match_all(
    batch: _Batch,
    cleaned: list[tuple[ActorRecord, str, dict[str, Any]]],
    rows: list[int | None],
    plan: _ActorPlan,
    identities: _Identities,
    holders: _Holders,
    firsts: dict[str, dict[str, Any]],
) -> list[tuple[str, int, str, dict[str, Any]]]:
    """Plan the new actors; return the others with the stored actor they match. A
    record whose key an earlier record of the file has is folded into it
    (:func:`_fold_duplicate`); ``firsts`` holds the first record of each key."""
    keys = [key for _, key, _ in cleaned]
    nothing_stored = not (identities.by_key or identities.by_ident or identities.exported)
    if nothing_stored and len(set(keys)) == len(keys):
        if any(count > 1 for count in holders.counts.values()):
            for _, key, values in cleaned:
                holders.assign(key, values, None)
        plan.add_many(keys, [values for _, _, values in cleaned])  # all new, all distinct
        return []
    incoming: Counter[str] = Counter()
    if identities.by_ident:  # an empty database has nothing to merge into
        # one record per key: the same actor twice in a file is one record (folded below)
        incoming.update(
            ident
            for values in firsts.values()
            for ident in _identity_keys(values.get("siret"), values.get("siren"), values.get("rna"))
        )
    matched: list[tuple[str, int, str, dict[str, Any]]] = []
    seen: dict[str, tuple[int | None, dict[str, Any]]] = {}  # key -> first row, values
    for (record, key, values), row in zip(cleaned, rows, strict=True):
        if key in seen:
            first_row, first = seen[key]
            folded = _fold_duplicate(first, values)
            batch.report.count("actors", "merged" if folded.changed else "unchanged")
            batch.warn(folded.issue(key, record.name, row, first_row))
            continue
        seen[key] = (row, values)
        if key in identities.exported:  # our own export: the actor it was exported from
            values["source"], values["identifiers"] = record.source, []
            if (values.get("extra") or {}).get("source_origine") == record.source:
                del values["extra"]["source_origine"]
            matched.append((key, identities.exported[key], "same", values))
            continue
        found = identities.match(values, incoming)
        if found is None:
            holders.assign(key, values, None)
            plan.add(key, values)
        else:
            matched.append((key, *found, values))
    return matched


FIELD_LABELS = {
    "name": "nom", "acronym": "sigle", "description": "description", "world": "monde",
    "category": "catégorie", "digital_profile": "profil numérique", "siren": "SIREN",
    "siret": "SIRET", "rna": "RNA", "holder_siret": "SIRET de la structure porteuse",
    "holder_rna": "RNA de la structure porteuse", "legal_form": "forme juridique",
    "naf": "code NAF", "address": "adresse", "postcode": "code postal",
    "commune_code": "commune", "latitude": "latitude", "longitude": "longitude",
    "website": "site web", "email": "e-mail", "phone": "téléphone",
    "classification_rule": "règle de classement", "source_ref": "référence",
}  # fmt: skip
"""French names of the actor fields, in the messages on duplicates."""
_NOT_FILLED = frozenset(("siret", "siren", "rna", "holder_siret", "holder_rna", "identifiers",
                         "source", "classification_rule"))  # fmt: skip


@dataclass
class _Folded:
    """A duplicate record folded into the first record of its key: the fields whose
    values differ (the first's kept, the duplicate's ``{field: value}``), the fields
    the duplicate filled in, and the other e-mails, websites or phones it brought
    (``{field: [values]}``, kept in ``extra`` as a cell holding several:
    :data:`~maillage.io.values.OTHERS_KEY`)."""

    differ: dict[str, Any]
    added: list[str]
    kept: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether the duplicate brought anything (then it is counted ``merged``)."""
        return bool(self.differ or self.added or self.kept)

    def issue(self, key: str, name: str, row: int | None, first_row: int | None) -> ImportIssue:
        """The warning naming both rows and what differs."""
        same = "même nom, commune et adresse" if key.startswith("nom:") else f"même clé « {key} »"
        if row is not None and first_row is not None:
            head = f"ligne {row} : même acteur que la ligne {first_row} ({same})"
        else:
            head = f"« {name} » : même acteur plus haut dans le fichier ({same})"
        labels = [FIELD_LABELS.get(f, f) for f in self.differ]
        parts = [head]
        if self.differ:
            kept = f"ligne {first_row}" if first_row is not None else "première ligne"
            parts.append(f"diffèrent : {', '.join(labels)} (valeurs de la {kept} gardées)")
        if self.added:
            parts.append("complétés : " + ", ".join(FIELD_LABELS.get(f, f) for f in self.added))
        for name, values in self.kept.items():
            parts.append(f"{FIELD_LABELS.get(name, name)} en plus gardé : {' | '.join(values)} "
                         f"(extra « {OTHERS_KEY[name]} »)")  # fmt: skip
        if not self.changed:
            parts.append("mêmes valeurs, gardé une fois")
        field = ", ".join([*self.differ, *self.kept]) or "key"
        shown = {**self.differ, **{f: " | ".join(v) for f, v in self.kept.items()}}
        value = "; ".join(f"{f}={v}" for f, v in shown.items()) or key
        return ImportIssue(row, field, value, " ; ".join(parts), severity="warning")


def _fold_duplicate(first: dict[str, Any], other: dict[str, Any]) -> _Folded:
    """Fold ``other`` into ``first`` (same key, earlier in the file): the first's values
    are kept, its empty fields filled and its collections extended with the other's;
    returns what differed (never dropped silently: the caller reports it)."""
    folded = _Folded({}, [])
    for name, value in other.items():
        if value in (None, "", []) or name in ("identifiers", "source"):
            continue
        old = first.get(name)
        if name in OTHERS_KEY and old not in (None, "") and old != value:
            if kept := _keep_other(first, name, [value]):  # a second e-mail: the actor's too
                folded.kept.setdefault(name, []).extend(kept)
            continue
        if name == "extra":
            value = _fold_other_contacts(first, value, folded)
            old = first.get(name)
        if name in COLLECTIONS:
            if missing := [v for v in value if v not in (old or ())]:
                first[name] = sorted({*(old or ()), *missing})
                folded.added.append(name)
        elif name == "extra":
            old = old or {}
            folded.differ.update((k, v) for k, v in value.items() if k in old and old[k] != v)
            if missing_keys := [k for k in value if k not in old]:
                first[name] = {**value, **old}
                folded.added.extend(missing_keys)
        elif old in (None, ""):
            if name not in _NOT_FILLED:
                first[name] = value
                folded.added.append(name)
            else:
                folded.differ[name] = value
        elif old != value:
            folded.differ[name] = value
    return folded


_OTHER_KEYS = {key: name for name, key in OTHERS_KEY.items()}


def _fold_other_contacts(
    first: dict[str, Any], extra: dict[str, Any], folded: _Folded
) -> dict[str, Any]:
    """Keep the other e-mails, websites and phones of a duplicate's ``extra`` (a cell
    that held several) with the first record's; return the rest of its ``extra``."""
    rest = {}
    for key, value in extra.items():
        name = _OTHER_KEYS.get(key)
        if name is None or not isinstance(value, str):
            rest[key] = value
        elif kept := _keep_other(first, name, value.split("|")):
            folded.kept.setdefault(name, []).extend(kept)
    return rest


def _keep_other(first: dict[str, Any], name: str, values: list[str]) -> list[str]:
    """Add to the first record's other ``name`` values (e-mails...) those it lacks
    (case aside); return them."""
    key = OTHERS_KEY[name]
    extra = dict(first.get("extra") or {})
    others = [v for v in str(extra.get(key) or "").split("|") if v]
    have = {v.casefold() for v in (first.get(name), *others) if v}
    new = []
    for value in values:
        if value and value.casefold() not in have:
            have.add(value.casefold())
            new.append(value)
    if new:
        extra[key] = "|".join(others + new)
        first["extra"] = extra
    return new


def _plan_matches(
    conn: sa.Connection,
    plan: _ActorPlan,
    matched: list[tuple[str, int, str, dict[str, Any]]],
    report: ImportReport,
    holders: _Holders,
) -> None:
    """Compare matched records with the stored actors, read a chunk at a time (a
    chunk's states are dropped once compared: memory stays bounded on large files)."""
    for start in range(0, len(matched), MATCH_CHUNK):
        chunk = matched[start : start + MATCH_CHUNK]
        current = _snapshots(conn, {actor_id for _, actor_id, _, _ in chunk})
        _compare(plan, chunk, current, report, holders)


MATCH_CHUNK = 5000


def _compare(
    plan: _ActorPlan,
    matched: list[tuple[str, int, str, dict[str, Any]]],
    current: dict[int, dict[str, Any]],
    report: ImportReport,
    holders: _Holders,
) -> None:
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
        holders.assign(key, values, snap["id"])
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
    asked = set(todo)
    while todo:
        for start in range(0, len(todo), 500):
            chunk = todo[start : start + 500]
            query = actor.c.id.in_(chunk)
            for snap in actors.list(conn, where=[query], limit=None, include_deleted=True):
                out[snap["id"]] = snap
        targets = {s.get("merged_into_id") for s in out.values()} - asked - {None}
        todo = sorted(t for t in targets if isinstance(t, int))
        asked.update(todo)
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
