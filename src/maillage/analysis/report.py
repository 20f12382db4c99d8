"""Run every measure on a map (or a filtered part) and render a readable report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from maillage.analysis.brokers import brokers
from maillage.analysis.communities import communities
from maillage.analysis.coverage import NeedRecord, SolutionRecord, coverage
from maillage.analysis.explanations import EXPLANATIONS, explain
from maillage.analysis.filter import GraphFilter, apply_filter
from maillage.analysis.graph import ActorGraph
from maillage.analysis.mixing import mixing
from maillage.analysis.structure import structure
from maillage.analysis.timeline import timeline


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
) -> dict[str, Any]:
    """All measures of DESIGN.md section 6 on ``graph`` restricted by ``flt``.

    Returns a JSON-serialisable dict with keys ``filter``, ``structure``, ``mixing``,
    ``brokers``, ``communities``, ``coverage``, ``timeline`` and ``explanations``
    (``{measure: {"fr": ..., "en": ...}}``). Betweenness is exact up to ``exact_max``
    actors and estimated from ``samples`` seeded sources above.
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
        "coverage": coverage(part, needs, solutions, parents=parents),
        "timeline": timeline(part),
        "explanations": EXPLANATIONS,
    }


_TITLES = {
    "fr": {
        "title": "Analyse du maillage",
        "structure": "Taille et forme",
        "mixing": "Mélange des mondes",
        "digital": "Natifs du numérique et autres acteurs",
        "brokers": "Courtiers",
        "communities": "Communautés",
        "coverage": "Couverture des besoins",
        "timeline": "Évolution",
        "none": "aucun",
        "sample": "échantillon de {k} sources",
        "exact": "calcul exact",
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
    },
}


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def render_report(result: Mapping[str, Any], lang: str = "fr") -> str:
    """A plain-text report of an :func:`analyse` result in French (``fr``) or English."""
    t = _TITLES.get(lang, _TITLES["fr"])
    lines = [f"# {t['title']}", ""]
    lines += _structure_lines(result["structure"], t, lang)
    lines += _mixing_lines(result["mixing"], t, lang)
    lines += _broker_lines(result["brokers"], t, lang)
    lines += _community_lines(result["communities"], t, lang)
    lines += _coverage_lines(result["coverage"], t, lang)
    lines += _timeline_lines(result["timeline"], t, lang)
    return "\n".join(lines).rstrip() + "\n"


def _structure_lines(s: Mapping[str, Any], t: Mapping[str, str], lang: str) -> list[str]:
    return [
        f"## {t['structure']}",
        f"- actors: {s['actors']} — {explain('actors', lang)}",
        f"- ties: {s['ties']} — {explain('ties', lang)}",
        f"- density: {_fmt(s['density'])} — {explain('density', lang)}",
        f"- components: {s['components']} (max {s['largest_component']}, "
        f"{s['largest_component_share']:.0%}) — {explain('components', lang)}",
        f"- degree: mean {_fmt(s['degree']['mean'])}, median {_fmt(s['degree']['median'])}, "
        f"max {s['degree']['max']} — {explain('degree', lang)}",
        "",
    ]


def _mixing_lines(m: Mapping[str, Any], t: Mapping[str, str], lang: str) -> list[str]:
    w = m["worlds"]
    lines = [f"## {t['mixing']}", f"_{explain('mixing_ratio', lang)}_", ""]
    groups = w["groups"]
    lines.append("| | " + " | ".join(groups) + " |")
    lines.append("|---" * (len(groups) + 1) + "|")
    for g in groups:
        cells = [f"{w['counts'][g][h]} ({w['ratio'][g][h]:.2f})" for h in groups]
        lines.append(f"| {g} | " + " | ".join(cells) + " |")
    lines += ["", f"- E-I: {_fmt(w['ei_index'])} — {explain('ei_index', lang)}"]
    lines += [f"  - {g}: {_fmt(v)}" for g, v in w["ei_by_group"].items()]
    lines.append(f"- assortativity: {_fmt(w['assortativity'])} — {explain('assortativity', lang)}")
    d = m["digital"]
    lines += [
        "",
        f"### {t['digital']}",
        f"- E-I: {_fmt(d['ei_index'])}, assortativity {_fmt(d['assortativity'])} — "
        f"{explain('digital_mixing', lang)}",
        "",
    ]
    return lines


def _broker_lines(b: Mapping[str, Any], t: Mapping[str, str], lang: str) -> list[str]:
    how = t["exact"] if b["betweenness_exact"] else t["sample"].format(k=b["betweenness_sample"])
    lines = [f"## {t['brokers']}", f"_{explain('betweenness', lang)}_ ({how})"]
    lines += [
        f"- {a['name']} ({a['world']}): {a['score']:.1f}, constraint {_fmt(a['constraint'])}"
        for a in b["top_betweenness"]
    ]
    lines += ["", f"_{explain('brokerage_roles', lang)}_"]
    for world, roles in b["roles_by_world"].items():
        lines.append(f"- {world}: " + ", ".join(f"{k} {v}" for k, v in roles.items()))
    lines += [f"_{explain('constraint', lang)}_", ""]
    return lines


def _community_lines(c: Mapping[str, Any], t: Mapping[str, str], lang: str) -> list[str]:
    lines = [
        f"## {t['communities']}",
        f"_{explain('communities', lang)}_",
        f"- {c['count']} (modularity {_fmt(c['modularity'])})",
    ]
    for com in c["communities"][:10]:
        names = ", ".join(a["name"] for a in com["central_actors"][:3])
        worlds = ", ".join(f"{k} {v}" for k, v in com["worlds"].items())
        lines.append(f"- #{com['id']} ({com['size']}): {worlds} — {names}")
    return [*lines, ""]


def _coverage_lines(c: Mapping[str, Any], t: Mapping[str, str], lang: str) -> list[str]:
    if not c["cells"]:
        return []
    lines = [f"## {t['coverage']}", f"_{explain('coverage', lang)}_"]
    for cell in c["cells"][:30]:
        flag = " ⚠" if cell["white_zone"] else ""
        lines.append(
            f"- {cell['territory']} / {cell['theme']}: {cell['needs']} need(s), "
            f"{cell['actors']} actor(s), {cell['solutions']} solution(s){flag}"
        )
    zones = ", ".join(f"{z['territory']}/{z['theme']}" for z in c["white_zones"]) or t["none"]
    return [*lines, f"- {explain('white_zones', lang)} {zones}", ""]


def _timeline_lines(rows: list[Mapping[str, Any]], t: Mapping[str, str], lang: str) -> list[str]:
    if not rows:
        return []
    lines = [f"## {t['timeline']}", f"_{explain('timeline', lang)}_"]
    lines += [
        f"- {r['year']}: +{r['new_ties']} ties ({_fmt(r['cross_world_share'])} cross-world), "
        f"+{r['new_actors']} actors"
        for r in rows
        if r["new_ties"]
    ]
    return [*lines, ""]
