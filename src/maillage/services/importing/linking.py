"""Imported links: their ends found among stored and new actors, duplicates left out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from maillage.io.resolve import NameIndex
from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, MaillageError
from maillage.model.records import ImportIssue, LinkRecord
from maillage.model.text import fold
from maillage.services.importing.cleaning import _with_origin
from maillage.services.importing.identity import _ActorPlan, _Batch, _Identities
from maillage.services.importing.report import LINK_VALUE_FIELDS, STANDIN
from maillage.services.validation import (
    clean_link,
)
from maillage.storage.tables import (
    actor,
    link,
)


def link_kinds(kind_map: Mapping[str, str] | None) -> dict[str, str]:
    """``{folded kind of a file: link kind code}`` from ``--map-kind`` pairs; raises
    InvalidInput for a target that names no link kind (its code or label)."""
    kinds = {}
    for given, target in (kind_map or {}).items():
        try:
            kinds[fold(given)] = taxonomy.resolve("link_kinds", target, field="--map-kind")
        except InvalidInput as exc:
            raise InvalidInput("--map-kind", f"{given}={target}", f"« {target} » : {exc.rule}",
                               f"'{target}': {exc.rule_en}") from None  # fmt: skip
    return kinds


def _known_kinds() -> str:
    return ", ".join(f"{t.code} ({t.label_fr})" for t in taxonomy.load("link_kinds"))


def _kind(record: LinkRecord, kinds: Mapping[str, str]) -> str:
    """The link kind code of a record: mapped (``--map-kind``), else its code or label;
    raises InvalidInput naming the known kinds and how to map one."""
    text = (record.kind or "").strip()
    if mapped := kinds.get(fold(text)):
        return mapped
    try:
        return taxonomy.resolve("link_kinds", text, field="kind")
    except MaillageError:
        pass
    known = _known_kinds()
    # the way out first: a terminal that shortens a long message still shows it
    raise InvalidInput(
        "kind", record.kind,
        f"type de lien inconnu : à rattacher à l'un des nôtres avec --map-kind "
        f"\"{text}=CODE\" (répétable) ; types connus : {known}",
        f"unknown link kind: map it to one of ours with --map-kind \"{text}=CODE\" "
        f"(repeatable); known kinds: {known}",
    )  # fmt: skip


def _link_values(
    record: LinkRecord, ends: _Ends, source: str, kinds: Mapping[str, str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for end in ("source", "target"):
        key = getattr(record, f"{end}_key")
        values[f"{end}_id"] = getattr(record, f"{end}_id") or ends.find(
            key, f"{end}_key", record.source
        )
    values["kind"] = _kind(record, kinds)
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


class _Ends:
    """Finds the actor a link's end names: a key of this import or of this source, a
    SIRET/SIREN/RNA, an actor's number (``n°42``), else a name
    (:class:`~maillage.io.resolve.NameIndex` over the live stored actors and the actors
    of the file): one actor with the same comparable name, never a guess; a name
    followed by ``@`` and a commune code or postcode (``Centre social@59512``) picks
    the one of that place. A name several actors carry is refused with, for each, the
    exact key to write (:meth:`key_of`). ``notes`` collects, per end found by a name
    that is not written the same, what it was read as (the caller reports it on the
    link's row)."""

    def __init__(self, conn: sa.Connection, plan: _ActorPlan, source: str) -> None:
        self.conn, self.plan, self.source = conn, plan, source
        self.stored = _Identities.load(conn, source)
        prefix = f"source:{source}:"
        self.keys = {k[len(prefix) :]: v for k, v in self.stored.by_key.items()}
        self.notes: list[tuple[str, str, str]] = []  # (field, name, what it was read as)
        self._names: NameIndex | None = None
        self._shown: dict[int, str] = {}
        self._places: dict[int, tuple[str | None, str | None]] = {}  # commune, postcode
        self._sources: set[str] | None = None

    def by_key(self, key: str) -> int | None:
        """The actor ``key`` names by a key, an identifier, a number or a name and place
        (see the class); None when it names none, or several."""
        if key in self.plan.ids:
            return self.plan.ids[key]
        if key in self.keys:
            return self.keys[key]
        digits = "".join(ch for ch in key if ch.isalnum()).upper()
        for scheme in ("siret", "siren", "rna"):
            ident = f"{scheme}:{digits}"
            if ident in self.plan.idents:
                return self.plan.idents[ident]
            found = self.stored.by_ident.get(ident, ())
            if len(found) == 1:
                return found[0]
        if number := _NUMBER.fullmatch(key.strip()):
            actor_id = int(number[1])
            return actor_id if actor_id < STANDIN and actor_id in self._live() else None
        if there := self._there(key):
            return there[0] if len(there) == 1 else None
        return None

    def _there(self, key: str) -> list[int]:
        """The actors a name and place (``Centre social@59512``) names."""
        if not (place := _PLACE.fullmatch(key.strip())):
            return []
        same, _ = self.names.find(place[1])
        return [i for i in same if place[2].upper() in self._places.get(i, ())]

    def find(self, key: str | None, field: str, origin: str | None = None) -> int:
        """The id (or stand-in) of the actor ``key`` names; raises InvalidInput naming
        the candidates when a name matches several actors (with the key to write for
        each) or only close ones. A link of our own export (``maillage export``) names
        its ends by actor number and carries its provenance (``origin``, a source of
        stored links): a number is then that actor's."""
        if not key:
            raise InvalidInput(field, key, "extrémité du lien requise", "a link end is required")
        found = self.by_key(key)
        if found is not None:
            return found
        if self._exported(key, origin):
            return int(key)
        same, close = (there, []) if (there := self._there(key)) else self.names.find(key)
        if len(same) == 1:
            if fold(key) != fold(self._name(same[0])):
                self.notes.append((field, key, self._show(same[0])))
            return same[0]
        if same:
            keys = self.keys_of(same[:5])
            shown = " ; ".join(f"« {keys[i]} » pour {self._show(i)}" for i in same[:5])
            more = f" ; et {len(same) - 5} autres" if len(same) > 5 else ""
            raise InvalidInput(field, key, f"nom ambigu : {len(same)} acteurs le portent ; "
                               f"écrivez à la place la clé de l'un d'eux : {shown}{more}",
                               f"ambiguous name: {len(same)} actors carry it; write instead "
                               f"the key of one of them: {shown}{more}")  # fmt: skip
        if close:
            shown = " ; ".join(f"{self._show(i)} à {score:.2f}" for i, score in close)
            raise InvalidInput(field, key, "aucun acteur de ce nom ; noms proches, non "
                               f"retenus sans vous : {shown} : écrivez le nom exact, la clé "
                               "ou le SIRET", f"no actor of this name; close names: {shown}")  # fmt: skip
        raise InvalidInput(
            field, key,
            "aucun acteur de cette source ne porte ce code (ni ce SIRET/SIREN/RNA), et aucun "
            "acteur ne porte ce nom",
            "no actor of this source has this key (nor SIRET/SIREN/RNA), nor any actor this name",
        )  # fmt: skip

    def keys_of(self, ids: list[int]) -> dict[int, str]:
        """For each actor, the shortest key that names it alone in a links file (which
        :meth:`by_key` reads back to it): its key in this source or file, its SIRET or
        RNA, its name and commune code or postcode, else its number (``n°42``)."""
        stored = [i for i in ids if i < STANDIN]
        own = {i: k for k, i in self.keys.items() if i in ids}
        own.update({i: k for k, i in self.plan.ids.items() if i in ids})
        idents: dict[int, list[str]] = {}
        query = sa.select(actor.c.id, actor.c.siret, actor.c.rna).where(actor.c.id.in_(stored))
        for actor_id, siret, rna in self.conn.execute(query):
            idents[actor_id] = [v for v in (siret, rna) if v]
        for index, values in enumerate(self.plan.new):
            if STANDIN + index in ids:
                idents[STANDIN + index] = [v for s in ("siret", "rna") if (v := values.get(s))]
        found = {}
        for actor_id in ids:
            key = own.get(actor_id)
            tries = [key] if key and not key.startswith("nom:") else []
            tries += idents.get(actor_id, [])
            name = self._name(actor_id)
            tries += [f"{name}@{place}" for place in self._places.get(actor_id, ()) if place]
            tries.append(f"n°{actor_id}" if actor_id < STANDIN else (key or ""))
            found[actor_id] = next((t for t in tries if t and self.by_key(t) == actor_id),
                                   tries[-1])  # fmt: skip
        return found

    @property
    def names(self) -> NameIndex:
        """The names of the live stored actors and of the file's new actors (built the
        first time an end is not found by its key)."""
        if self._names is None:
            index = NameIndex()
            query = sa.select(
                actor.c.id, actor.c.name, actor.c.commune_code, actor.c.postcode
            ).where(actor.c.deleted_at.is_(None), actor.c.merged_into_id.is_(None))
            for actor_id, name, commune, postcode in self.conn.execute(query):
                index.add(actor_id, name)
                self._shown[actor_id] = f"« {name} » (n° {actor_id}, {commune or 'sans commune'})"
                self._places[actor_id] = (commune, postcode)
            for number, values in enumerate(self.plan.new):
                index.add(STANDIN + number, values["name"])
                self._shown[STANDIN + number] = (
                    f"« {values['name']} » (acteur de ce fichier, "
                    f"{values.get('commune_code') or 'sans commune'})"
                )
                self._places[STANDIN + number] = (values.get("commune_code"),
                                                  values.get("postcode"))  # fmt: skip
            self._names = index
        return self._names

    def _exported(self, key: str, origin: str | None) -> bool:
        """Whether ``key`` is the number of a live actor, in a link of our own export
        (its provenance ``origin``, a source of stored links, not this import's)."""
        if not key.isdigit() or not origin or origin == self.source:
            return False
        return origin in self._origins() and int(key) < STANDIN and int(key) in self._live()

    def _origins(self) -> set[str]:
        """The sources of the stored links."""
        if self._sources is None:
            query = sa.select(link.c.source).distinct()
            self._sources = set(self.conn.execute(query).scalars())
        return self._sources

    def _live(self) -> dict[int, str]:
        """The live stored actors (and the file's), by id: what they are shown as."""
        self.names  # noqa: B018  # built on first use
        return self._shown

    def _show(self, actor_id: int) -> str:
        return self._shown.get(actor_id, str(actor_id))

    def _name(self, actor_id: int) -> str:
        shown = self._show(actor_id)
        return shown[2 : shown.index(" » (")] if " » (" in shown else shown


_NUMBER = re.compile(r"n°\s*(\d+)", re.IGNORECASE)
"""An actor's number, as the messages show it (``n° 42``)."""
_PLACE = re.compile(r"(.+?)\s*@\s*(\d[\dAB]\d{3})", re.IGNORECASE)
"""A name, ``@``, and a commune code or postcode: ``Centre social@59512``."""


def _with_reference(record: LinkRecord, exc: InvalidInput) -> InvalidInput:
    """The refusal of a link as reported: the record's reference in its source named
    (a DECP contract's ``uid``, the record to look up in a JSON file)."""
    if not record.source_ref:
        return exc
    return InvalidInput(exc.field, exc.value, f"{exc.rule} (réf. {record.source_ref})",
                        f"{exc.rule_en} (ref. {record.source_ref})")  # fmt: skip


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
    ends = _Ends(conn, plan, source)
    existing = _stored_links(conn, source)
    # the links of our own export carry their provenance: already stored under it
    for origin in {r.source for r in batch.links if r.source and r.source != source}:
        existing |= _stored_links(conn, origin)
    planned: set[tuple[Any, ...]] = set()
    twice = 0
    new: list[dict[str, Any]] = []
    for record, row in zip(batch.links, batch.link_rows, strict=True):
        try:
            values = clean_link(_link_values(record, ends, source, batch.kinds))
            for field, name, read_as in ends.notes:
                batch.warn(ImportIssue(row, field, name, f"« {name} » lu comme {read_as} "
                                       "(même nom à la forme près)", severity="warning"))  # fmt: skip
            ends.notes.clear()
        except InvalidInput as exc:
            ends.notes.clear()
            name = f"lien {record.source_key} → {record.target_key}"
            key = record.target_key if exc.field == "target_id" else record.source_key
            exc = _with_reference(record, exc)
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
