"""The first kilometre: understand a visitor's needs before pointing them anywhere.

Le RAMEAU's field note (2019) speaks of the « premier kilomètre »: not carrying
solutions to the field (the last kilometre) but first understanding each one's needs,
above all of those still far from the subject. A visitor with no account says who they
are (a world, a role), where (a commune, a postcode, an INSEE code), what they need
(themes) and how far along they are (the four ``maturity_levels``); :func:`guide`
answers with

- **resources** of the resource centre on those themes (:func:`~maillage.services.resources.search_resources`),
  those of the visitor's territory first, then the kinds that suit their level;
- **places** within reach (:func:`~maillage.services.portal.nearby.nearest_places`, the
  "around me" of the citizen page), those offering the themes first;
- **allies**: live actors of the *other* worlds active on the themes, in the visitor's
  département: what the places list does not already offer (an actor offered as a
  place within reach, or its twin of the same name in the same commune, is not offered
  again), those that are not themselves places to go to (no opening hours: carriers,
  companies, funders, laboratories) first, then the nearest;
- the **next webinars** recorded by the observatory (resources of type ``webinar``
  dated from today), those on the themes first;

each with one plain-language ``reason`` saying why it was chosen.

Nothing is kept by :func:`guide`. With the visitor's consent, :func:`record_needs`
keeps the declared needs anonymised (commune, world, themes, level, month: no
account, address, IP or free text), audited as an anonymous write (source
``first kilometre``, user ``visitor``); :func:`observed_needs` gives a territory's
observed needs only for groups of at least :data:`MIN_GROUP` answers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import sqlalchemy as sa

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput
from maillage.model.permissions import VISITOR
from maillage.model.text import fold, stop_words
from maillage.services.places import COMMUNE, place_columns, placed_from
from maillage.services.portal import label
from maillage.services.portal.nearby import (
    distance_km,
    has_hours,
    nearest_places,
    territory_centres,
)
from maillage.services.resources import get_resource, search_resources, text_of
from maillage.storage import audit
from maillage.storage.audit import Context
from maillage.storage.engine import transaction
from maillage.storage.tables import (
    actor,
    actor_theme,
    first_km_answer,
    resource,
    resource_territory,
    resource_theme,
    territory,
    territory_member,
)

Lang = Literal["fr", "en"]

MIN_GROUP = 5
"""A group of answers is shown on a territory page only from this many answers."""
MAX_THEMES = 5
SOURCE = "first kilometre"
MATURITY = "maturity_levels"

ROLES: dict[str, tuple[str, str]] = {
    "leader": ("Dirigeant·e ou élu·e", "Leader or elected official"),
    "staff": ("Salarié·e ou agent·e", "Employee or public servant"),
    "volunteer": ("Bénévole", "Volunteer"),
    "citizen": ("Habitant·e", "Resident"),
}
"""Who answers within their organisation (asked, never stored)."""

# The kinds of resources that suit each level first (then any other).
SUITED_TYPES: dict[int, tuple[str, ...]] = {
    1: ("guide", "experience_feedback", "interview"),
    2: ("guide", "tool", "experience_feedback"),
    3: ("tool", "experience_feedback", "study"),
    4: ("study", "dataset", "tool"),
}


def levels(lang: Lang = "fr") -> list[dict[str, Any]]:
    """The four maturity levels, in order: ``level``, ``code``, ``label``, ``description``."""
    return [
        {
            "level": int(t.data["level"]),
            "code": t.code,
            "label": t.label(lang),
            "description": t.description_en if lang == "en" else t.description_fr,
        }
        for t in taxonomy.load(MATURITY)
    ]


def roles(lang: Lang = "fr") -> list[tuple[str, str]]:
    """(code, label) of the roles one may say."""
    return [(code, pair[1] if lang == "en" else pair[0]) for code, pair in ROLES.items()]


def check_answers(
    *, world: str, themes: Sequence[str], maturity: int, role: str | None = None
) -> tuple[str, ...]:
    """The themes, deduplicated, once the answers are checked. Raises InvalidInput."""
    if world not in taxonomy.codes("worlds"):
        raise InvalidInput("world", world, "un des quatre mondes", "one of the four worlds")
    if role is not None and role not in ROLES:
        raise InvalidInput("role", role, "un rôle de la liste", "a role from the list")
    if not 1 <= maturity <= len(taxonomy.load(MATURITY)):
        raise InvalidInput("maturity", str(maturity), "un niveau de 1 à 4", "a level from 1 to 4")
    known = taxonomy.codes("themes")
    chosen = tuple(dict.fromkeys(themes))
    for theme in chosen:
        if theme not in known:
            raise InvalidInput("themes", theme, "un thème de la liste", "a theme from the list")
    if not chosen or len(chosen) > MAX_THEMES:
        raise InvalidInput("themes", str(len(chosen)), f"de 1 à {MAX_THEMES} thèmes",
                           f"1 to {MAX_THEMES} themes")  # fmt: skip
    return chosen


def _say(lang: Lang, fr: str, en: str) -> str:
    return en if lang == "en" else fr


def _quoted(lang: Lang, names: Iterable[str]) -> str:
    joined = ", ".join(f"« {n} »" if lang == "fr" else f"'{n}'" for n in names)
    return joined


def _matching(themes: Iterable[str]) -> set[str]:
    return {value for theme in themes for value in taxonomy.matching("themes", theme)}


def guide(
    *,
    db: sa.Engine,
    where: str,
    world: str,
    themes: Sequence[str],
    maturity: int,
    role: str | None = None,
    lang: Lang = "fr",
    today: dt.date | None = None,
    limit: int = 5,
) -> dict[str, Any]:
    """What the first kilometre offers a visitor: ``{"territory", "readings", "themes",
    "level", "resources", "places", "allies", "webinars"}``; each offered item has a
    ``reason``. ``where`` is read as the citizen search reads it (a postcode's communes,
    an INSEE code, a name; ``readings`` the other ones). Raises InvalidInput, NotFound."""
    chosen = check_answers(world=world, themes=themes, maturity=maturity, role=role)
    today = today or dt.date.today()
    readings = territory_centres(db=db, key=where)
    place = readings[0]
    with db.connect() as conn:
        scope = _scope(conn, place)
    theme_names = {t: taxonomy.label("themes", t, lang) for t in chosen}
    level = next(x for x in levels(lang) if x["level"] == maturity)
    found: dict[str, Any] = {
        "territory": place,
        "readings": readings,
        "scope": scope,
        "world": world,
        "world_label": label("worlds", world, lang),
        "role": role,
        "themes": [{"code": t, "label": n} for t, n in theme_names.items()],
        "level": level,
        "resources": _resources(db, chosen, scope, maturity, theme_names, lang, limit),
        "places": [],
        "allies": [],
        "webinars": _webinars(db, chosen, theme_names, lang, today, limit),
    }
    if place.get("latitude") is not None:
        found["places"] = _places(db, place, chosen, lang, today, limit)
        found["allies"] = _allies(db, place, scope, world, chosen, lang, limit,
                                  offered=found["places"])  # fmt: skip
    return found


def _scope(conn: sa.Connection, place: dict[str, Any]) -> list[dict[str, Any]]:
    """The territory and those above it (commune, département, région): code and name."""
    found = [{"code": place["code"], "name": place["name"]}]
    parent = place.get("parent_code")
    while parent and len(found) < 4:
        row = conn.execute(
            sa.select(territory.c.code, territory.c.name, territory.c.parent_code).where(
                territory.c.code == parent
            )
        ).first()
        if row is None:
            break
        found.append({"code": row.code, "name": row.name})
        parent = row.parent_code
    return found


def _names(db: sa.Engine, resource_id: int, theme: str) -> bool:
    """Whether the resource's title or text names every word of ``theme`` that is not a
    stop word, as a word, singular or plural (« démarche » names « Démarches », « locaux »
    names « local »): the search matches stems, and « la forme des statuts » does not
    name « Se former » (user trial, issue 22)."""
    found = get_resource(db=db, resource_id=resource_id)
    text = f"{found.get('title') or ''} {text_of(found.get('body'), found.get('transcript'))}"
    words = {_singular(w) for w in fold(text).split()}
    return all(_singular(w) in words for w in fold(theme).split() if w not in stop_words())


def _singular(word: str) -> str:
    """A folded French word without its plural mark: -aux -> -al, a final -s or -x off."""
    if len(word) > 4 and word.endswith("aux"):
        return word[:-3] + "al"
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def _resources(
    db: sa.Engine, themes: Sequence[str], scope: list[dict[str, Any]], maturity: int,
    names: dict[str, str], lang: Lang, limit: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """Resources on the themes (webinars apart): the territory's first, then the kinds
    that suit the level, then the newest; when too few are tagged with the themes, the
    resources whose text names a theme (its French name, searched in full text) follow.
    With several themes asked, the themes take turns (the best of each, then the second
    of each...): one theme with many resources does not fill every place."""
    page = search_resources(db=db, filters={"theme": list(_matching(themes))}, limit=200)
    hits = [h for h in page.hits if h.type != "webinar"]
    tagged = {h.id for h in hits}
    named: dict[int, list[str]] = {}  # resources found by their text: the themes named
    for theme in themes if len(hits) < limit else ():
        said = taxonomy.label("themes", theme, "fr")
        found = search_resources(db=db, query=said, limit=limit)
        for hit in found.hits:
            if hit.type == "webinar" or hit.id in tagged or not _names(db, hit.id, said):
                continue
            if hit.id not in named:
                hits.append(hit)
            named.setdefault(hit.id, []).append(names[theme])
    if not hits:
        return []
    ids = [h.id for h in hits]
    with db.connect() as conn:
        territories: dict[int, set[str]] = {}
        for rid, code in conn.execute(
            sa.select(resource_territory.c.resource_id, resource_territory.c.territory_code)
            .where(resource_territory.c.resource_id.in_(ids))
        ):  # fmt: skip
            territories.setdefault(rid, set()).add(code)
        on: dict[int, list[str]] = {}
        for rid, theme in conn.execute(
            sa.select(resource_theme.c.resource_id, resource_theme.c.theme)
            .where(resource_theme.c.resource_id.in_(ids))
        ):  # fmt: skip
            on.setdefault(rid, []).append(theme)
    suited = SUITED_TYPES.get(maturity, ())
    ranked = []
    for order, hit in enumerate(hits):
        local = next((s for s in scope if s["code"] in territories.get(hit.id, set())), None)
        kind_rank = suited.index(hit.type) if hit.type in suited else len(suited)
        ranked.append((hit.id in named, local is None, kind_rank, order, hit, local))
    ranked.sort(key=lambda r: r[:4])

    def theme_of(hit_id: int) -> str:
        """The first theme asked that the resource is on (by its tags, else by its text)."""
        tags = set(on.get(hit_id, []))
        return next((t for t in themes if _matching([t]) & tags),
                    next((t for t in themes if names[t] in named.get(hit_id, [])), ""))  # fmt: skip

    turns: dict[str, int] = {}
    taking = []
    for position, row in enumerate(ranked):
        theme = theme_of(row[4].id)
        turns[theme] = turns.get(theme, 0) + 1
        taking.append((turns[theme], position, row))
    taking.sort(key=lambda t: t[:2])
    out = []
    for _, _, (_, _, kind_rank, _, hit, local) in taking[:limit]:
        kind = label("resource_types", hit.type, lang) or hit.type
        if hit.id in named:
            about = _quoted(lang, named[hit.id])
            parts = [_say(lang, f"Son texte nomme {about}", f"Its text names {about}")]
        else:
            about = _quoted(lang, [names[t] for t in themes
                                   if _matching([t]) & set(on.get(hit.id, []))])  # fmt: skip
            parts = [_say(lang, f"Sur {about}", f"On {about}")]
        if local is not None:
            parts.append(_say(lang, f"concerne {local['name']}", f"about {local['name']}"))
        if kind_rank < len(suited):
            parts.append(_say(lang, f"{kind.lower()}, utile à votre niveau",
                              f"{kind.lower()}, useful at your level"))  # fmt: skip
        out.append({"id": hit.id, "title": hit.title, "type": hit.type, "type_label": kind,
                    "date": hit.date, "reason": " ; ".join(parts) if lang == "fr"
                    else "; ".join(parts)})  # fmt: skip
    return out


def _places(
    db: sa.Engine, place: dict[str, Any], themes: Sequence[str], lang: Lang, today: dt.date,
    limit: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """The places nearest to the territory's centre, those offering a theme first."""
    near = nearest_places(db=db, latitude=place["latitude"], longitude=place["longitude"],
                          limit=limit * 3, lang=lang, today=today)  # fmt: skip
    wanted = {taxonomy.label("themes", t, lang) for t in themes if t in taxonomy.codes("themes")}
    near.sort(key=lambda p: (not (set(p["services"]) & wanted), p["distance_km"]))
    out = []
    for p in near[:limit]:
        km = f"{p['distance_km']:.1f}".replace(".", "," if lang == "fr" else ".")
        reason = _say(lang, f"À {km} km de {place['name']}", f"{km} km from {place['name']}")
        offered = [s for s in p["services"] if s in wanted]
        if offered:
            reason += _say(lang, f", propose {_quoted(lang, offered)}",
                           f", offers {_quoted(lang, offered)}")  # fmt: skip
        if p["hours"]:
            reason += _say(lang, ", horaires connus", ", opening hours known")
        out.append({**p, "reason": reason})
    return out


def _key(name: str | None, commune: str | None) -> tuple[str, str]:
    return fold(name or ""), fold(commune or "")


def _allies(
    db: sa.Engine, place: dict[str, Any], scope: list[dict[str, Any]], world: str,
    themes: Sequence[str], lang: Lang, limit: int, offered: Sequence[dict[str, Any]] = (),
) -> list[dict[str, Any]]:  # fmt: skip
    """Live actors of the other worlds active on the themes, in the visitor's
    département (or their territory when it has none): none of the ``offered`` places
    (nor an actor of the same name in the same commune, its twin from another source);
    the actors that are not places to go to first (no opening hours), then those sharing
    more themes, then the nearest."""
    offered_ids = {p["id"] for p in offered}
    offered_keys = {_key(p["name"], p.get("commune")) for p in offered}
    area = next((s["code"] for s in scope if s["code"].startswith("DEP:")), scope[0]["code"])
    values = _matching(themes)
    in_area = sa.or_(COMMUNE.c.parent_code == area, COMMUNE.c.code == area)
    query = (
        sa.select(
            actor.c.id,
            actor.c.name,
            actor.c.world,
            COMMUNE.c.name.label("commune"),
            actor.c.extra,
            *place_columns(),
        )  # fmt: skip
        .select_from(placed_from())
        .where(
            actor.c.deleted_at.is_(None),
            actor.c.merged_into_id.is_(None),
            actor.c.world.is_not(None),
            actor.c.world != world,
            in_area,
            actor.c.id.in_(
                sa.select(actor_theme.c.actor_id).where(actor_theme.c.theme.in_(values))
            ),
        )  # fmt: skip
    )
    with db.connect() as conn:
        rows = [
            dict(r._mapping) for r in conn.execute(query)
            if r.id not in offered_ids and _key(r.name, r.commune) not in offered_keys
        ]  # fmt: skip
        ids = [r["id"] for r in rows]
        on: dict[int, set[str]] = {}
        for aid, theme in conn.execute(
            sa.select(actor_theme.c.actor_id, actor_theme.c.theme).where(actor_theme.c.actor_id.in_(ids))
        ):  # fmt: skip
            on.setdefault(aid, set()).add(theme)
    for r in rows:
        r["distance_km"] = (
            round(distance_km(place["latitude"], place["longitude"], r["latitude"], r["longitude"]), 1)
            if r["latitude"] is not None else None
        )  # fmt: skip
        r["shared"] = [t for t in themes if _matching([t]) & on.get(r["id"], set())]
        r["place"] = has_hours(r)
    rows.sort(key=lambda r: (r["place"], -len(r["shared"]), r["distance_km"] is None,
                             r["distance_km"] or 0, r["id"]))  # fmt: skip
    out = []
    for r in rows[:limit]:
        world_short = taxonomy.term("worlds", r["world"]).short(lang)
        names = [taxonomy.label("themes", t, lang) for t in r["shared"]]
        reason = _say(lang, f"Acteur du monde {world_short}, actif sur {_quoted(lang, names)}",
                      f"An actor of the {world_short} world, active on {_quoted(lang, names)}")  # fmt: skip
        if r["commune"]:
            reason += _say(lang, f", à {r['commune']}", f", in {r['commune']}")
        if r["distance_km"] is not None:
            km = f"{r['distance_km']:.1f}"
            reason += f" ({km.replace('.', ',') if lang == 'fr' else km} km)"
        out.append({"id": r["id"], "name": r["name"], "world": r["world"],
                    "world_label": label("worlds", r["world"], lang), "commune": r["commune"],
                    "distance_km": r["distance_km"], "reason": reason})  # fmt: skip
    return out


def _webinars(
    db: sa.Engine, themes: Sequence[str], names: dict[str, str], lang: Lang, today: dt.date,
    limit: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """The next webinars (type ``webinar``, dated from today), those on the themes first,
    then the soonest."""
    query = (
        sa.select(
            resource.c.id, resource.c.title, resource.c.date, resource.c.url, resource.c.speakers
        )  # fmt: skip
        .where(
            resource.c.type == "webinar", resource.c.deleted_at.is_(None), resource.c.date >= today
        )  # fmt: skip
        .order_by(resource.c.date, resource.c.id)
    )
    with db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query.limit(200))]
        on: dict[int, set[str]] = {}
        for rid, theme in conn.execute(
            sa.select(resource_theme.c.resource_id, resource_theme.c.theme)
            .where(resource_theme.c.resource_id.in_([r["id"] for r in rows]))
        ):  # fmt: skip
            on.setdefault(rid, set()).add(theme)
    for r in rows:
        r["about"] = [names[t] for t in themes if _matching([t]) & on.get(r["id"], set())]
    rows.sort(key=lambda r: (not r["about"], r["date"], r["id"]))
    out = []
    for r in rows[:limit]:
        day = r["date"].isoformat()
        if r["about"]:
            reason = _say(lang, f"Prochain webinaire sur {_quoted(lang, r['about'])}, le {day}",
                          f"Next webinar on {_quoted(lang, r['about'])}, on {day}")  # fmt: skip
        else:
            reason = _say(lang, f"Prochain webinaire de l'observatoire, le {day}",
                          f"The observatory's next webinar, on {day}")  # fmt: skip
        out.append({"id": r["id"], "title": r["title"], "date": day, "url": r["url"],
                    "speakers": list(r["speakers"] or []), "reason": reason})  # fmt: skip
    return out


# -- consented, anonymised needs ----------------------------------------------------


def record_needs(
    *,
    db: sa.Engine,
    consent: bool,
    where: str,
    world: str,
    themes: Sequence[str],
    maturity: int,
    today: dt.date | None = None,
) -> int | None:
    """Keep a visitor's declared needs, anonymised, only with their ``consent``: the
    commune (``where``'s first reading), the world, the themes, the level and the month.
    Returns the row's id, None without consent (nothing is written). Raises
    InvalidInput, NotFound. Audited like any write (source ``first kilometre``, no
    author: user ``visitor``)."""
    chosen = check_answers(world=world, themes=themes, maturity=maturity)
    code = territory_centres(db=db, key=where)[0]["code"]
    if not consent:
        return None
    month = (today or dt.date.today()).strftime("%Y-%m")
    values = {"territory_code": code, "world": world, "themes": list(chosen),
              "maturity": maturity, "month": month}  # fmt: skip
    with transaction(db) as conn:
        key = conn.execute(sa.insert(first_km_answer).values(**values)).inserted_primary_key
        assert key is not None
        row_id = int(key[0])
        audit.record(conn, entity=first_km_answer.name, entity_id=row_id, action="create",
                     before=None, after={"id": row_id, **values},
                     ctx=Context(user=VISITOR, source=SOURCE))  # fmt: skip
    return row_id


def _answers_in(conn: sa.Connection, code: str) -> list[Any]:
    """The answers given in ``code`` or in a commune under it (its département, its
    région, its EPCI)."""
    commune = territory.alias("answer_commune")
    parent = territory.alias("answer_parent")
    members = sa.select(territory_member.c.member_code).where(
        territory_member.c.parent_code == code
    )
    query = (
        sa.select(first_km_answer.c.world, first_km_answer.c.themes, first_km_answer.c.maturity)
        .select_from(
            first_km_answer.join(
                commune, commune.c.code == first_km_answer.c.territory_code
            ).outerjoin(parent, parent.c.code == commune.c.parent_code)
        )
        .where(
            sa.or_(
                commune.c.code == code,
                commune.c.parent_code == code,
                parent.c.parent_code == code,
                commune.c.code.in_(members),
            )
        )  # fmt: skip
    )
    return list(conn.execute(query))


def observed_needs(*, db: sa.Engine, code: str, lang: Lang = "fr") -> dict[str, Any] | None:
    """The needs declared in territory ``code`` through the first kilometre, aggregated:
    ``{"answers", "themes", "worlds", "levels"}``, each a list of (label, count) keeping
    only the groups of at least :data:`MIN_GROUP` answers; None below that many answers
    in all (nothing is shown)."""
    with db.connect() as conn:
        rows = _answers_in(conn, code)
    if len(rows) < MIN_GROUP:
        return None
    themes = Counter(t for r in rows for t in set(r.themes or []))
    worlds = Counter(r.world for r in rows)
    by_level = Counter(int(r.maturity) for r in rows)
    names = {x["level"]: x["label"] for x in levels(lang)}

    def kept(counts: Counter[Any], name: Any) -> list[tuple[str, int]]:
        return [(name(k), n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
                if n >= MIN_GROUP]  # fmt: skip

    return {
        "answers": len(rows),
        "themes": kept(themes, lambda t: label("themes", t, lang)),
        "worlds": kept(worlds, lambda w: label("worlds", w, lang)),
        "levels": kept(by_level, lambda lv: names.get(lv, str(lv))),
    }


__all__ = [
    "MIN_GROUP",
    "ROLES",
    "check_answers",
    "guide",
    "levels",
    "observed_needs",
    "record_needs",
    "roles",
]
