"""Run every measure on a map (or a filtered part) and render a readable report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from maillage.analysis.brokers import Brokers, brokers
from maillage.analysis.communities import Communities, communities
from maillage.analysis.coverage import (
    Coverage,
    CoverageCell,
    NeedRecord,
    SolutionRecord,
    coverage,
)
from maillage.analysis.explanations import EXPLANATIONS, explain
from maillage.analysis.filter import GraphFilter, apply_filter, needs_in
from maillage.analysis.graph import ActorGraph
from maillage.analysis.mixing import Mixing, mixing
from maillage.analysis.structure import Structure, structure
from maillage.analysis.timeline import TimelineRow, timeline
from maillage.model import numbers, taxonomy


class AnalysisFilter(TypedDict):
    """The filter an analysis was run with (``period``: first and last year)."""

    territory: str | None
    theme: str | None
    world: str | None
    kind: str | None
    period: list[int] | None


class AnalysisResult(TypedDict):
    """Every measure of :func:`analyse`, as the CLI's ``--json`` prints it."""

    filter: AnalysisFilter
    structure: Structure
    mixing: Mixing
    brokers: Brokers
    communities: Communities
    coverage: Coverage
    timeline: list[TimelineRow]
    explanations: dict[str, dict[str, str]]


def analyse(
    graph: ActorGraph,
    flt: GraphFilter | None = None,
    *,
    needs: Iterable[NeedRecord] = (),
    solutions: Iterable[SolutionRecord] = (),
    parents: Mapping[str, str] | None = None,
    seed: int = 0,
    exact_max: int = 20_000,
    samples: int = 256,
    top: int = 10,
    covered: Coverage | None = None,
) -> AnalysisResult:
    """All measures of DESIGN.md section 6 on ``graph`` restricted by ``flt``.

    Returns a JSON-serialisable :class:`AnalysisResult`: ``filter``, ``structure``, ``mixing``,
    ``brokers``, ``communities``, ``coverage``, ``timeline`` and ``explanations``
    (``{measure: {"fr": ..., "en": ...}}``). Betweenness is exact up to ``exact_max``
    actors and estimated from ``samples`` seeded sources above. The coverage is that of
    the needs of the part, judged on the whole map (a place across the filter's border is
    still the nearest); ``covered``: that coverage already computed with the places
    (:func:`maillage.analysis.coverage.coverage` with ``positions``), as every surface
    shows it.
    """
    flt = flt or GraphFilter()
    part = apply_filter(graph, flt)
    return {
        "filter": {
            "territory": flt.territory,
            "theme": flt.theme,
            "world": flt.world,
            "kind": flt.kind,
            "period": list(flt.period) if flt.period else None,
        },
        "structure": structure(part),
        "mixing": mixing(part),
        "brokers": brokers(part, exact_max=exact_max, samples=samples, seed=seed, top=top),
        "communities": communities(part, seed=seed),
        "coverage": covered
        if covered is not None
        else coverage(graph, needs_in(needs, flt, parents), solutions, parents=parents),
        "timeline": timeline(part),
        "explanations": EXPLANATIONS,
    }


_TITLES: dict[str, dict[str, Any]] = {
    "fr": {
        "title": "Analyse du maillage",
        "structure": "Taille et forme",
        "mixing": "Mélange des mondes",
        "digital": "Natifs du numérique et autres acteurs",
        "brokers": "Courtiers",
        "communities": "Communautés",
        "coverage": "Couverture des besoins",
        "timeline": "Évolution",
        "none": "aucune",
        "sample": "échantillon de {k} sources",
        "exact": "calcul exact",
        "actors": "acteurs",
        "ties": "liens",
        "density": "densité",
        "components": "composantes",
        "largest": "la plus grande : {n} acteurs, {share}",
        "degree": "degré",
        "degree_values": "moyen {mean}, médian {median}, maximum {max}",
        "assortativity": "assortativité",
        "constraint": "contrainte",
        "modularity": "modularité",
        "need": ("besoin", "besoins"),
        "acting": ("acteur du thème qui y agit", "acteurs du thème qui y agissent"),
        "in_departement": "{n} dans le département",
        "solution": ("solution", "solutions"),
        "within": ("lieu à moins de {km} km", "lieux à moins de {km} km"),
        "nearest": "lieux les plus proches",
        "acting_names": "acteurs qui y agissent",
        "km": "{km} km",
        "approximate": "centre de la commune",
        "more": "… et {n} de plus",
        "year": "{year} : +{ties} ({share} entre mondes), +{actors}",
        "tie": ("lien", "liens"),
        "actor": ("acteur", "acteurs"),
        "colon": " : ",
    },
    "en": {
        "title": "Ecosystem analysis",
        "structure": "Size and shape",
        "mixing": "Mixing of worlds",
        "digital": "Digital natives and other actors",
        "brokers": "Brokers",
        "communities": "Communities",
        "coverage": "Coverage of needs",
        "timeline": "Evolution",
        "none": "none",
        "sample": "sample of {k} sources",
        "exact": "exact",
        "actors": "actors",
        "ties": "ties",
        "density": "density",
        "components": "components",
        "largest": "largest: {n} actors, {share}",
        "degree": "degree",
        "degree_values": "mean {mean}, median {median}, max {max}",
        "assortativity": "assortativity",
        "constraint": "constraint",
        "modularity": "modularity",
        "need": ("need", "needs"),
        "acting": ("actor of the theme acting there", "actors of the theme acting there"),
        "in_departement": "{n} in the département",
        "solution": ("solution", "solutions"),
        "within": ("place within {km} km", "places within {km} km"),
        "nearest": "nearest places",
        "acting_names": "actors acting there",
        "km": "{km} km",
        "approximate": "commune centre",
        "more": "… and {n} more",
        "year": "{year}: +{ties} ({share} cross-world), +{actors}",
        "tie": ("tie", "ties"),
        "actor": ("actor", "actors"),
        "colon": ": ",
    },
}

# Group names as the report prints them besides the worlds' (digital profiles, brokerage
# roles); the worlds are named by their taxonomy (:func:`_world_names`).
_NAMES = {
    "fr": {
        "digital_native": "natifs du numérique",
        "other": "autres",
        "coordinator": "coordinateur",
        "itinerant": "itinérant",
        "representative": "représentant",
        "gatekeeper": "gardien",
        "liaison": "passeur",
    },
    "en": {},
}

WHITE_ZONES_SHOWN = 30  # white zones listed by name in the text report (JSON has them all)


class _Format:
    """Numbers and names in the report's language."""

    def __init__(self, lang: str) -> None:
        self.lang: taxonomy.Lang = "en" if lang == "en" else "fr"
        self.t = _TITLES[self.lang]
        self._names = {**_NAMES[self.lang], **_world_names(self.lang)}

    def num(self, value: Any, digits: int = 3) -> str:
        """A number: integers with thousands separators, floats to ``digits`` places."""
        fraction = isinstance(value, float) and not value.is_integer()
        return numbers.number(value, self.lang, digits if fraction else 0)

    def count(self, n: int, word: str) -> str:
        """``n`` and the word, singular or plural (French: 0 and 1 take the singular)."""
        one, many = self.t[word]
        singular = n < 2 if self.lang == "fr" else n == 1
        return f"{self.num(n)} {one if singular else many}"

    def pct(self, value: float | None) -> str:
        return numbers.percent(value, self.lang)

    def name(self, code: str) -> str:
        return self._names.get(code, code)


def _world_names(lang: taxonomy.Lang) -> dict[str, str]:
    """The short lower-case names of the worlds ("économique"), ``unknown`` included."""
    worlds = [*taxonomy.load("worlds"), taxonomy.unknown("worlds")]
    return {t.code: t.short(lang) for t in worlds}


def render_report(result: AnalysisResult, lang: str = "fr") -> str:
    """A plain-text report of an :func:`analyse` result in French (``fr``) or English."""
    f = _Format(lang)
    lines = [f"# {f.t['title']}", ""]
    lines += _structure_lines(result["structure"], f)
    lines += _mixing_lines(result["mixing"], f)
    lines += _broker_lines(result["brokers"], f)
    lines += _community_lines(result["communities"], f)
    lines += _coverage_lines(result["coverage"], f)
    lines += _timeline_lines(result["timeline"], f)
    return "\n".join(lines).rstrip() + "\n"


def _structure_lines(s: Structure, f: _Format) -> list[str]:
    t, c, lang = f.t, f.t["colon"], f.lang
    largest = t["largest"].format(
        n=f.num(s["largest_component"]), share=f.pct(s["largest_component_share"])
    )
    degree = t["degree_values"].format(
        mean=f.num(s["degree"]["mean"]),
        median=f.num(s["degree"]["median"]),
        max=f.num(s["degree"]["max"]),
    )
    return [
        f"## {t['structure']}",
        f"- {t['actors']}{c}{f.num(s['actors'])} — {explain('actors', lang)}",
        f"- {t['ties']}{c}{f.num(s['ties'])} — {explain('ties', lang)}",
        f"- {t['density']}{c}{f.num(s['density'], 4)} — {explain('density', lang)}",
        f"- {t['components']}{c}{f.num(s['components'])} ({largest}) — "
        f"{explain('components', lang)}",
        f"- {t['degree']}{c}{degree} — {explain('degree', lang)}",
        "",
    ]


def _mixing_lines(m: Mixing, f: _Format) -> list[str]:
    t, c, lang = f.t, f.t["colon"], f.lang
    w = m["worlds"]
    lines = [f"## {t['mixing']}", f"_{explain('mixing_ratio', lang)}_", ""]
    groups = w["groups"]
    lines.append("| | " + " | ".join(f.name(g) for g in groups) + " |")
    lines.append("|---" * (len(groups) + 1) + "|")
    for g in groups:
        cells = [f"{f.num(w['counts'][g][h])} ({f.num(w['ratio'][g][h], 2)})" for h in groups]
        lines.append(f"| {f.name(g)} | " + " | ".join(cells) + " |")
    lines += ["", f"- E-I{c}{f.num(w['ei_index'])} — {explain('ei_index', lang)}"]
    lines += [f"  - {f.name(g)}{c}{f.num(v)}" for g, v in w["ei_by_group"].items()]
    lines.append(
        f"- {t['assortativity']}{c}{f.num(w['assortativity'])} — {explain('assortativity', lang)}"
    )
    d = m["digital"]
    lines += [
        "",
        f"### {t['digital']}",
        f"- E-I{c}{f.num(d['ei_index'])}, {t['assortativity']} {f.num(d['assortativity'])} — "
        f"{explain('digital_mixing', lang)}",
        "",
    ]
    return lines


def _broker_lines(b: Brokers, f: _Format) -> list[str]:
    t, c, lang = f.t, f.t["colon"], f.lang
    how = t["exact"] if b["betweenness_exact"] else t["sample"].format(k=b["betweenness_sample"])
    lines = [f"## {t['brokers']}", f"_{explain('betweenness', lang)}_ ({how})"]
    lines += [
        f"- {a['name']} ({f.name(a['world'])}){c}{f.num(a['score'], 1)}, "
        f"{t['constraint']} {f.num(a['constraint'])}"
        for a in b["top_betweenness"]
    ]
    lines += ["", f"_{explain('brokerage_roles', lang)}_"]
    for world, roles in b["roles_by_world"].items():
        counts = ", ".join(f"{f.name(k)} {f.num(v)}" for k, v in roles.items())
        lines.append(f"- {f.name(world)}{c}{counts}")
    lines += [f"_{explain('constraint', lang)}_", ""]
    return lines


def _community_lines(com_data: Communities, f: _Format) -> list[str]:
    t, c, lang = f.t, f.t["colon"], f.lang
    lines = [
        f"## {t['communities']}",
        f"_{explain('communities', lang)}_",
        f"- {f.num(com_data['count'])} ({t['modularity']} {f.num(com_data['modularity'])})",
    ]
    for com in com_data["communities"][:10]:
        names = ", ".join(a["name"] for a in com["central_actors"][:3])
        worlds = ", ".join(f"{f.name(k)} {f.num(v)}" for k, v in com["worlds"].items())
        lines.append(f"- #{com['id']} ({f.num(com['size'])}){c}{worlds} — {names}")
    return [*lines, ""]


def _coverage_lines(cov: Coverage, f: _Format) -> list[str]:
    t, lang = f.t, f.lang
    if not cov["cells"]:
        return []
    lines = [f"## {t['coverage']}", f"_{explain('coverage', lang)}_"]
    for cell in cov["cells"][:30]:
        lines += _cell_lines(cell, f)
    if len(cov["cells"]) > 30:
        lines.append(f"- {t['more'].format(n=f.num(len(cov['cells']) - 30))}")
    zones = cov["white_zones"]
    shown = ", ".join(f"{z['territory']}/{z['theme']}" for z in zones[:WHITE_ZONES_SHOWN])
    if len(zones) > WHITE_ZONES_SHOWN:
        shown += " " + t["more"].format(n=f.num(len(zones) - WHITE_ZONES_SHOWN))
    return [*lines, f"- {explain('white_zones', lang)} {shown or t['none']}", ""]


def _cell_lines(cell: CoverageCell, f: _Format) -> list[str]:
    """One need's coverage: counts on the first line, then the nearest places with their
    distance and the actors acting there, nearest first."""
    t, c = f.t, f.t["colon"]
    km = numbers.number(cell["reach_km"], f.lang, 1, trailing_zeros=False)
    acting = f.count(cell["actors"], "acting")
    if cell["departement"]:
        acting += f" ({t['in_departement'].format(n=f.num(cell['departement_actors']))})"
    counts = ", ".join([
        f.count(cell["needs"], "need"),
        acting,
        f.count(cell["solutions"], "solution"),
        f.count(cell["places_within_reach"], "within").format(km=km),
    ])  # fmt: skip
    flag = " ⚠" if cell["white_zone"] else ""
    lines = [f"- {cell['territory']} / {cell['theme']}{c}{counts}{flag}"]
    if cell["nearest"]:
        near = ", ".join(
            f"{p['name']} ({t['km'].format(km=numbers.number(p['distance_km'], f.lang, 1))}"
            + (f", {t['approximate']})" if p["approximate"] else ")")
            for p in cell["nearest"]
        )
        lines.append(f"  {t['nearest']}{c}{near}")
    if cell["actor_names"]:
        more = ", …" if cell["actors"] > len(cell["actor_names"]) else ""
        lines.append(f"  {t['acting_names']}{c}{', '.join(cell['actor_names'])}{more}")
    return lines


def render_coverage(cov: Coverage, lang: str = "fr") -> str:
    """The coverage section of the report alone (``maillage recommend territory``)."""
    return "\n".join(_coverage_lines(cov, _Format(lang)))


def _timeline_lines(rows: list[TimelineRow], f: _Format) -> list[str]:
    if not rows:
        return []
    lines = [f"## {f.t['timeline']}", f"_{explain('timeline', f.lang)}_"]
    lines += [
        "- "
        + f.t["year"].format(
            year=r["year"],
            ties=f.count(r["new_ties"], "tie"),
            share=f.pct(r["cross_world_share"]),
            actors=f.count(r["new_actors"], "actor"),
        )
        for r in rows
        if r["new_ties"]
    ]
    return [*lines, ""]
