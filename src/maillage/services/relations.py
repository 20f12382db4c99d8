"""Relations drawn from the open data that describes the digital-inclusion ecosystem.

Run once the places are stored (the demo runs it after its imports; running it again
adds only what is new). The places are the live actors imported from a lieux file
(sources ``cartographie-nationale``, ``lieux-mediation-numerique``) or the France
Services list (``france-services``). Three rules, each link typed, evidenced (the
place's source, the file it was imported from, its record id, the field and value
read: ``evidence`` and ``extra``) and dated where the source dates it:

- **affiliation** (place -> national programme): the programme labels of a lieu
  (:func:`maillage.io.mediation.affiliations`) and every France Services site
  (:func:`maillage.io.france_services.affiliation`, dated by its labelling). The
  programmes are actors of the public world made from the ``national_actors`` taxonomy
  (their operator in the description). A label naming no known programme is reported.
- **holding, by pivot** (holder -> place): the place's own SIRET, SIREN or RNA (or the
  number moved to ``holder_siret``/``holder_rna`` because several places share it)
  names its legal structure. The holder is the one live actor of another source with
  that SIRET, else with that SIREN, else with that RNA; else the commune or EPCI whose
  SIREN it is in the reference geography (an actor of the public world is made for
  it). Several candidates, or none, are reported by reason, never guessed.
- **holding, by carrier** (carrier -> France Services, or a lieu whose pivot named no
  holder): what the site's name says (:func:`maillage.io.france_services.carrier_claim`):
  La Poste and the MSA (national actors of the taxonomy; La Poste is the live actor of
  its SIREN when there is one), a commune or EPCI of the site's département by its name
  (« Mairie de Venelles », « Communauté de communes du Pays de Lunel »), the commune the
  site is in for a town hall or communal post office that names none (« Mairie annexe »,
  « Agence postale communale »); a carrier the name cannot identify (a CCAS, a centre
  social: bodies of their own) is reported with the words that name it.
- **membership** (structure -> network): each ``reseaux_porteurs`` value of a
  data·inclusion structure (:data:`NETWORKS`, the shipped vocabulary) names the network
  that carries it: the national actor of the taxonomy it names (La Poste, France
  Services…), else the network's own actor (made once, classified by its typology and
  name). A value that names a kind of structure (communes, CCAS…) names no one actor:
  reported by value.

Grants (SCDL, funder -> beneficiary) and public contracts (DECP, buyer -> supplier)
are links of their import (:mod:`maillage.io.scdl`, :mod:`maillage.io.decp`), themed
by their object there; an end they cannot identify is a rejected row of the import.

Every write is one audited batch (``maillage undo --batch N`` removes it).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import sqlalchemy as sa

from maillage.geo import load_geography
from maillage.geo.geography import Geography
from maillage.io.classify import classify
from maillage.io.data_inclusion import network_typology
from maillage.io.france_services import affiliation, carrier_claim
from maillage.io.mediation import Affiliation, affiliations
from maillage.model import taxonomy
from maillage.model.text import fold
from maillage.services.actors import create_actors
from maillage.services.validation import clean_link
from maillage.storage.audit import Context, open_batch
from maillage.storage.engine import transaction
from maillage.storage.registry import links
from maillage.storage.tables import actor, actor_identifier, change, import_run, link

__all__ = ["PLACE_SOURCES", "SOURCE", "TIED_KINDS", "derive_relations", "relation_coverage"]

PLACE_SOURCES = ("cartographie-nationale", "lieux-mediation-numerique", "france-services")
"""The sources whose actors are places (the readers' default sources)."""
FRANCE_SERVICES = "france-services"
SOURCE = "maillage-relations"
"""The source of the actors this module makes (programmes, national carriers, collectivités)."""
NATIONAL = "national_actors"
TIED_KINDS = ("holding", "funding", "public_contract", "membership")
"""Kinds of the links that tie a place to another actor (holder, carrier, funder,
contractor, network)."""
NETWORKS = "data-inclusion-reseaux-porteurs-v1.json"
"""The ``reseaux_porteurs`` vocabulary with the kind of each value (in ``data/schemas``)."""


@dataclass
class _Place:
    id: int
    name: str
    source: str  # the place source it was read from (a lieux source before France Services)
    is_fs: bool
    source_ref: str | None
    numbers: dict[str, str]  # scheme -> number of the pivot (siret, siren, rna)
    commune_code: str | None
    extra: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)  # place source -> file


@dataclass
class _Plan:
    """Links to write, actors to make first (by identifier key), and what was reported."""

    links: list[dict[str, Any]] = field(default_factory=list)
    new_actors: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> values
    report: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def _places(conn: sa.Connection) -> list[_Place]:
    """The live places, with the place sources that brought each."""
    prefixes = {f"source:{s}:": s for s in PLACE_SOURCES}
    sources: dict[int, set[str]] = defaultdict(set)
    query = sa.select(actor_identifier.c.actor_id, actor_identifier.c.identifier).where(
        sa.or_(*(actor_identifier.c.identifier.startswith(p, autoescape=True) for p in prefixes))
    )
    for actor_id, ident in conn.execute(query):
        sources[actor_id].update(s for p, s in prefixes.items() if ident.startswith(p))
    cols = (actor.c.id, actor.c.name, actor.c.source_ref, actor.c.siret, actor.c.siren,
            actor.c.rna, actor.c.holder_siret, actor.c.holder_rna, actor.c.commune_code,
            actor.c.extra)  # fmt: skip
    live = sa.and_(actor.c.deleted_at.is_(None), actor.c.merged_into_id.is_(None))
    places = []
    for row in conn.execute(sa.select(*cols).where(live).order_by(actor.c.id)):
        found = sources.get(row.id)
        if not found:
            continue
        numbers = {k: v for k, v in (("siret", row.siret or row.holder_siret),
                                     ("siren", row.siren or (row.holder_siret or "")[:9]),
                                     ("rna", row.rna or row.holder_rna)) if v}  # fmt: skip
        first = next(s for s in PLACE_SOURCES if s in found)
        places.append(_Place(row.id, row.name, first, FRANCE_SERVICES in found, row.source_ref,
                             numbers, row.commune_code, dict(row.extra or {})))  # fmt: skip
    _add_files(conn, places)
    return places


def _add_files(
    conn: sa.Connection, places: list[_Place], sources: Iterable[str] = PLACE_SOURCES
) -> None:
    """The file each place was last written from, per source (its import run)."""
    by_id = {p.id: p for p in places}
    query = (
        sa.select(change.c.entity_id, import_run.c.source, import_run.c.file)
        .join(import_run, import_run.c.batch_id == change.c.batch_id)
        .where(change.c.entity == "actor", import_run.c.source.in_(sorted(set(sources))))
        .order_by(change.c.id)
    )
    for actor_id, source, file in conn.execute(query):
        if (place := by_id.get(actor_id)) is not None and file:
            place.files[source] = file.rsplit("/", 1)[-1]


class _Others:
    """The live actors that are not places, by SIRET, SIREN and RNA, and the actors
    this module made, by identifier."""

    def __init__(self, conn: sa.Connection, place_ids: set[int]) -> None:
        self.by: dict[str, list[int | str]] = defaultdict(list)  # str: an actor to make
        live = sa.and_(actor.c.deleted_at.is_(None), actor.c.merged_into_id.is_(None))
        cols = (actor.c.id, actor.c.siret, actor.c.siren, actor.c.rna)
        for actor_id, siret, siren, rna in conn.execute(sa.select(*cols).where(live)):
            if actor_id in place_ids:
                continue
            for scheme, number in (("siret", siret), ("siren", siren), ("rna", rna)):
                if number:
                    self.by[f"{scheme}:{number}"].append(actor_id)
        query = (
            sa.select(actor_identifier.c.identifier, actor.c.id)
            .join(actor, actor.c.id == actor_identifier.c.actor_id)
            .where(actor_identifier.c.identifier.startswith(f"source:{SOURCE}:"), live)
        )
        self.made: dict[str, int] = {
            ident.removeprefix(f"source:{SOURCE}:"): i for ident, i in conn.execute(query)
        }
        self.key_of = {i: key for key, i in self.made.items()}

    def find(self, scheme: str, number: str) -> list[int | str]:
        return self.by.get(f"{scheme}:{number}", [])


def _evidence(place: _Place, source: str, field_name: str, value: str) -> dict[str, Any]:
    """The evidence values of a link drawn from one field of a place."""
    file = place.files.get(source)
    where = " · ".join(p for p in (source, file, f"id {place.source_ref}") if p)
    return {
        "source": source,
        "source_ref": place.source_ref,
        "evidence": f"{where} : {field_name} « {value} »",
        "extra": {"fichier": file, "champ": field_name, "valeur": value},
    }


def _target(plan: _Plan, others: _Others, key: str, values: dict[str, Any]) -> int | str:
    """The id of the actor made under ``key`` (or the key, planned for creation)."""
    if key in others.made:
        return others.made[key]
    if key not in plan.new_actors and values.get("siren"):
        others.by[f"siren:{values['siren']}"].append(key)  # found by later rules as when stored
    plan.new_actors.setdefault(key, values)
    return key


def _national(plan: _Plan, others: _Others, code: str) -> int | str:
    """The actor of a national programme or carrier: the live actor of its SIREN when
    there is exactly one, else the one this module made from the taxonomy."""
    term = taxonomy.term(NATIONAL, code)
    siren = term.data.get("siren")
    if siren and len(found := others.find("siren", siren)) == 1:
        return found[0]
    operator = term.data.get("operator")
    description = term.description_fr or ""
    extra = {"role": term.data["role"], **({"operateur": operator} if operator else {})}
    values = {"name": term.label_fr, "world": term.data.get("world"),
              "category": term.data.get("category"), "siren": siren,
              "website": term.data.get("website"), "description": description,
              "source_ref": code, "extra": extra}  # fmt: skip
    return _target(plan, others, code, values)


def _link(plan: _Plan, source: int | str, target: int | str, kind: str, rule: str,
          evidence: dict[str, Any], date: str | None = None) -> None:  # fmt: skip
    if source == target:  # a place merged with its holder or carrier: no link to itself
        return
    values = {"source_id": source, "target_id": target, "kind": kind, "directed": True,
              **evidence, "extra": {**evidence["extra"], "regle": rule}}  # fmt: skip
    if date:
        values["start_date"] = dt.date.fromisoformat(date)
    plan.links.append(values)


def _affiliate(plan: _Plan, others: _Others, place: _Place) -> None:
    found: list[tuple[Affiliation, str]] = []
    if place.source != FRANCE_SERVICES:
        found += [(a, place.source) for a in affiliations(place.extra)]
    if place.is_fs:
        found.append((affiliation(place.extra), FRANCE_SERVICES))
    done: set[str] = set()
    for item, source in found:
        if item.programme is None:
            plan.report["labels_unknown"][item.label] += 1
            continue
        if item.programme in done:
            continue
        done.add(item.programme)
        target = _national(plan, others, item.programme)
        evidence = _evidence(place, source, item.field, item.label)
        _link(
            plan,
            place.id,
            target,
            "affiliation",
            f"{item.field} → {item.programme}",
            evidence,
            item.date,
        )
        plan.report["affiliations"][item.programme] += 1
    if not done:
        plan.report["affiliations_missing"]["aucun label de programme national"] += 1


def _collectivite(plan: _Plan, others: _Others, geo: Geography, siren: str) -> int | str | None:
    """The actor of the commune or EPCI whose SIREN it is (made when needed), or None."""
    if (epci := geo.epcis.get(siren)) is not None:
        values = {"name": epci.name, "siren": siren, "world": "public",
                  "category": "collectivite", "territories": [epci.territory_code],
                  "source_ref": f"epci:{siren}",
                  "classification_rule": "EPCI du référentiel géographique (SIREN)"}  # fmt: skip
        return _target(plan, others, f"epci:{siren}", values)
    commune = _communes_by_siren(geo).get(siren)
    if commune is None:
        return None
    values = {"name": f"Commune de {commune.name}", "siren": siren, "world": "public",
              "category": "collectivite", "commune_code": commune.code,
              "source_ref": f"commune:{commune.code}",
              "classification_rule": "commune du référentiel géographique (SIREN)"}  # fmt: skip
    return _target(plan, others, f"commune:{commune.code}", values)


_SIREN_INDEX: dict[int, dict[str, Any]] = {}


def _communes_by_siren(geo: Geography) -> dict[str, Any]:
    key = id(geo)
    if key not in _SIREN_INDEX:
        _SIREN_INDEX.clear()
        _SIREN_INDEX[key] = {c.siren: c for c in geo.communes.values() if c.siren}
    return _SIREN_INDEX[key]


def _hold(plan: _Plan, others: _Others, geo: Geography, place: _Place) -> bool:
    """The holding link from the structure the place's pivot names (True), or its
    reason (False)."""
    if not place.numbers:
        plan.report["holders_unknown"]["pas de pivot (absent ou fictif)"] += 1
        return False
    for scheme in ("siret", "siren", "rna"):
        number = place.numbers.get(scheme)
        if not number:
            continue
        found = others.find(scheme, number)
        if len(found) == 1:
            _hold_link(plan, found[0], place, _pivot_rule(others, found[0], scheme), scheme, number)
            return True
        if len(found) > 1:
            plan.report["holders_unknown"][f"{scheme.upper()} porté par plusieurs acteurs"] += 1
            return False
    siren = place.numbers.get("siren")
    national = {t.data.get("siren"): t.code for t in taxonomy.load(NATIONAL)}
    if siren and siren in national:  # La Poste, whether or not a carrier made it yet
        target: int | str | None = _national(plan, others, national[siren])
    else:
        target = _collectivite(plan, others, geo, siren) if siren else None
    if target is not None:
        _hold_link(plan, target, place, _pivot_rule(others, target, "siren"), "siren", siren or "")
        return True
    plan.report["holders_unknown"]["structure non trouvée dans les autres sources"] += 1
    return False


def _pivot_rule(others: _Others, holder: int | str, scheme: str) -> str:
    """How the holder of a pivot was found (the same on every run, made actor or not)."""
    key = holder if isinstance(holder, str) else others.key_of.get(holder)
    if key is None:
        return f"pivot : {scheme.upper()} d'un acteur d'une autre source"
    if key.startswith(("commune:", "epci:")):
        return "pivot : SIREN d'une collectivité du référentiel géographique"
    return "pivot : SIREN d'un acteur national (taxonomie national_actors)"


def _hold_link(plan: _Plan, holder: int | str, place: _Place, rule: str, scheme: str,
               number: str) -> None:  # fmt: skip
    if holder == place.id:  # merged with the structure its pivot names (identity resolution)
        plan.report["holders"]["pivot : le lieu est la structure elle-même (fusionnés)"] += 1
        return
    source = place.source if place.source != FRANCE_SERVICES else FRANCE_SERVICES
    _link(plan, holder, place.id, "holding", rule,
          _evidence(place, source, "pivot", f"{scheme.upper()} {number}"))  # fmt: skip
    plan.report["holders"][rule] += 1


def _departement(geo: Geography, place: _Place) -> str | None:
    if not place.commune_code:
        return None
    found = geo.get_or_none(f"COM:{place.commune_code}")
    return getattr(found, "departement", None)


_EPCI_WORDS = (
    (r"\bcommunaute de communes\b", "cc"), (r"\bcommunaute d agglomeration\b", "ca"),
    (r"\bcommunaute urbaine\b", "cu"), (r"^(.*) agglomeration$", r"ca \1"),
    (r"\b(de|du|des|d|la|le|les|l|et)\b", " "),
)  # fmt: skip


def _epci_key(name: str) -> str:
    text = fold(name).replace("'", " ").replace("-", " ")
    for pattern, repl in _EPCI_WORDS:
        text = re.sub(pattern, repl, text)
    return " ".join(text.split())


def _commune_named(geo: Geography, name: str, dep: str) -> list[Any]:
    """The communes of ``dep`` the longest leading words of ``name`` name."""
    words = name.split()
    for end in range(len(words), 0, -1):
        text = " ".join(words[:end])
        found = [c for c in geo.find_by_name(text, level="commune")
                 if getattr(c, "departement", None) == dep]  # fmt: skip
        if not found:
            found = [geo.communes[n.commune] for n in geo.communes_named(text, departement=dep)]
        if found:
            return found
    return []


def _carry(plan: _Plan, others: _Others, geo: Geography, place: _Place) -> None:
    """The holding link from the carrier the place's name names, or its reason: a France
    Services' ``lib_fs`` always, a lieu's ``nom`` when its pivot named no holder."""
    field_name, source = ("lib_fs", FRANCE_SERVICES) if place.is_fs else ("nom", place.source)
    claim = carrier_claim(place.name, place.extra if place.is_fs else {}, field_name)
    report = plan.report
    if claim is None:
        report["carriers_unknown"][
            "porteur non dit par la liste" if place.is_fs else "nom sans porteur (lieu sans pivot)"
        ] += 1
        return
    dep = _departement(geo, place)
    target: int | str | None = None
    if claim.kind == "national":
        target = _national(plan, others, claim.value)
    elif claim.kind == "commune" and dep:
        found = _commune_named(geo, claim.value, dep)
        if len(found) == 1 and found[0].siren:
            target = _holder_of(plan, others, geo, found[0].siren)
    elif claim.kind == "here" and place.commune_code:
        here = geo.communes.get(place.commune_code)
        if here is not None and here.siren:
            target = _holder_of(plan, others, geo, here.siren)
    elif claim.kind == "epci" and dep:
        key = _epci_key(claim.value)
        found = [
            e for e in geo.epcis.values() if dep in e.departements and _epci_key(e.name) == key
        ]
        if len(found) == 1:
            target = _holder_of(plan, others, geo, found[0].code)
    if target is None:
        reason = claim.value if claim.kind == "unidentified" else f"{claim.kind} non trouvé(e)"
        report["carriers_unknown"][f"{reason} ({claim.rule.split(' ', 1)[0]})"] += 1
        return
    rule = f"porteur ({claim.kind}) : {claim.rule}"
    value = claim.rule.split(" ", 1)[1]
    _link(plan, target, place.id, "holding", rule,
          _evidence(place, source, field_name, value.strip("« »")))  # fmt: skip
    named = claim.value if claim.kind == "national" else "nom"
    report["carriers"][f"{claim.kind}: {named}" + ("" if place.is_fs else " (lieu)")] += 1


def _holder_of(plan: _Plan, others: _Others, geo: Geography, siren: str) -> int | str | None:
    found = others.find("siren", siren)
    return found[0] if len(found) == 1 else _collectivite(plan, others, geo, siren)


def _members(conn: sa.Connection) -> list[_Place]:
    """The live actors naming networks in ``reseaux_porteurs`` (data·inclusion structures)."""
    live = sa.and_(actor.c.deleted_at.is_(None), actor.c.merged_into_id.is_(None))
    named = sa.cast(actor.c.extra, sa.String).like("%reseaux_porteurs%")
    cols = (actor.c.id, actor.c.name, actor.c.source, actor.c.source_ref, actor.c.extra)
    found = []
    for row in conn.execute(sa.select(*cols).where(live, named).order_by(actor.c.id)):
        extra = dict(row.extra or {})
        if isinstance(extra.get("reseaux_porteurs"), list) and extra["reseaux_porteurs"]:
            found.append(_Place(row.id, row.name, row.source or "?", False, row.source_ref, {},
                                None, extra))  # fmt: skip
    _add_files(conn, found, {m.source for m in found})
    return found


@cache
def _networks() -> dict[str, dict[str, str]]:
    """The ``reseaux_porteurs`` vocabulary: value -> label, kind, national actor."""
    path = resources.files("maillage") / "data" / "schemas" / NETWORKS
    return dict(json.loads(path.read_text("utf-8"))["values"])


def _join(plan: _Plan, others: _Others, member: _Place) -> None:
    """The membership links of a structure to the networks that carry it, or the reasons."""
    for value in dict.fromkeys(str(v) for v in member.extra["reseaux_porteurs"]):
        entry = _networks().get(value)
        if entry is None:
            plan.report["networks_unknown"][f"« {value} » hors du vocabulaire"] += 1
            continue
        if entry["kind"] == "type":
            plan.report["networks_unknown"][f"{entry['label']} (type de structure)"] += 1
            continue
        if "national" in entry:
            target = _national(plan, others, entry["national"])
        else:
            found = classify(typologies=[t for t in (network_typology(value),) if t],
                             name=entry["label"])  # fmt: skip
            values = {"name": entry["label"], "world": found.world if found else None,
                      "category": found.category if found else None,
                      "classification_rule": found.rule if found else None,
                      "source_ref": f"reseau:{value}",
                      "extra": {"role": "reseau", "reseaux_porteurs": value}}  # fmt: skip
            target = _target(plan, others, f"reseau:{value}", values)
        evidence = _evidence(member, member.source, "reseaux_porteurs", value)
        _link(plan, member.id, target, "membership", f"reseaux_porteurs → {value}", evidence)
        plan.report["memberships"][entry["label"]] += 1


def _existing(conn: sa.Connection, kinds: Iterable[str]) -> set[tuple[int, int, str]]:
    query = sa.select(link.c.source_id, link.c.target_id, link.c.kind).where(
        link.c.kind.in_(list(kinds)), link.c.deleted_at.is_(None)
    )
    return {(s, t, k) for s, t, k in conn.execute(query)}


def derive_relations(
    *, db: sa.Engine, user: str = "relations", geography: Geography | None = None
) -> dict[str, Any]:
    """Draw the affiliation and holding links of the stored places (module docstring).

    Returns ``{"places", "france_services", "created": {kind: n}, "actors_created",
    "batch_ids", "report": {section: {reason or rule: n}}}``; the sections are
    ``affiliations`` (per programme), ``labels_unknown``, ``affiliations_missing``,
    ``holders`` and ``holders_unknown`` (the pivot rule), ``carriers`` and
    ``carriers_unknown`` (France Services only), ``memberships`` (per network) and
    ``networks_unknown`` (data·inclusion structures). Safe to run again.
    """
    geo = geography or load_geography()
    with db.connect() as conn:
        places = _places(conn)
        members = _members(conn)
        others = _Others(conn, {p.id for p in places})
        existing = _existing(conn, ("affiliation", "holding", "membership"))
    plan = _Plan()
    for place in places:  # programmes and carriers first: a holder may be one of them
        _affiliate(plan, others, place)
        if place.is_fs:
            _carry(plan, others, geo, place)
    for member in members:  # before the pivots too: a network may be a holder
        _join(plan, others, member)
    for place in places:
        if not _hold(plan, others, geo, place) and not place.is_fs:
            _carry(plan, others, geo, place)  # a lieu without holder: what its name says
    batch_ids, made = _make_actors(db, plan, user)
    created = _write_links(db, plan, made, existing, user, batch_ids)
    return {
        "places": len(places),
        "france_services": sum(p.is_fs for p in places),
        "members": len(members),
        "created": dict(created),
        "actors_created": len(made),
        "batch_ids": batch_ids,
        "report": {k: dict(v.most_common()) for k, v in plan.report.items()},
    }


def _make_actors(db: sa.Engine, plan: _Plan, user: str) -> tuple[list[int], dict[str, int]]:
    if not plan.new_actors:
        return [], {}
    keys = list(plan.new_actors)
    rows = [{**plan.new_actors[k], "source": SOURCE, "identifiers": [f"source:{SOURCE}:{k}"]}
            for k in keys]  # fmt: skip
    batch_id, ids = create_actors(db=db, rows=rows, user=user, source=SOURCE,
                                  label="relations : programmes, porteurs, collectivités")  # fmt: skip
    return [batch_id], dict(zip(keys, ids, strict=True))


def _write_links(db: sa.Engine, plan: _Plan, made: dict[str, int],
                 existing: set[tuple[int, int, str]], user: str,
                 batch_ids: list[int]) -> Counter[str]:  # fmt: skip
    rows = []
    for values in plan.links:
        for end in ("source_id", "target_id"):
            if isinstance(values[end], str):
                values[end] = made[values[end]]
        key = (values["source_id"], values["target_id"], values["kind"])
        if key in existing:
            continue
        existing.add(key)
        rows.append(clean_link(values))
    if not rows:
        return Counter()
    with transaction(db) as conn:
        batch_id = open_batch(conn, kind="service", label="relations : liens", user=user)
        links.create_many(conn, rows, ctx=Context(user=user, source=SOURCE, batch_id=batch_id))
    batch_ids.append(batch_id)
    return Counter(r["kind"] for r in rows)


def relation_coverage(*, db: sa.Engine) -> dict[str, Any]:
    """How many places (lieux and France Services) carry an evidenced relation (a live
    link with a source reference or evidence, affiliations included) and how many are
    tied to another actor (a link of :data:`TIED_KINDS`), with the live links per kind
    and per source."""
    with db.connect() as conn:
        places = {p.id: p for p in _places(conn)}
        cols = (link.c.source_id, link.c.target_id, link.c.kind, link.c.source,
                link.c.source_ref, link.c.evidence)  # fmt: skip
        rows = conn.execute(sa.select(*cols).where(link.c.deleted_at.is_(None))).all()
    related: set[int] = set()
    tied: set[int] = set()
    by_kind: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    for source_id, target_id, kind, source, ref, evidence in rows:
        by_kind[kind] += 1
        by_source[source or "?"] += 1
        for end in (source_id, target_id):
            if end in places and (ref or evidence):
                related.add(end)
                if kind in TIED_KINDS:
                    tied.add(end)
    total = len(places)
    fs = {i for i, p in places.items() if p.is_fs}
    return {
        "places": total, "france_services": len(fs),
        "with_relation": len(related), "tied": len(tied),
        "with_relation_share": round(len(related) / total, 4) if total else 0.0,
        "tied_share": round(len(tied) / total, 4) if total else 0.0,
        "france_services_tied": len(tied & fs),
        "links_by_kind": dict(by_kind.most_common()),
        "links_by_source": dict(by_source.most_common()),
    }  # fmt: skip
