"""Known answers for every measure on small hand-built graphs (networkx as oracle)."""

from __future__ import annotations

import datetime as dt
import json

import networkx as nx
import numpy as np
import pytest

from maillage.analysis import (
    GraphFilter,
    NeedRecord,
    SolutionRecord,
    analyse,
    apply_filter,
    betweenness,
    brokerage_roles,
    build_graph,
    communities,
    constraint,
    coverage,
    ei_index,
    mixing,
    parse_period,
    render_report,
    structure,
    timeline,
)
from maillage.analysis.brokers import ROLES, effective_size
from maillage.analysis.graph import WORLDS
from maillage.model.records import ActorRecord, LinkRecord


def make_actor(key: str, **overrides: object) -> ActorRecord:
    fields: dict[str, object] = {"name": f"Acteur {key}", "key": key, "world": "associative"}
    fields.update(overrides)
    return ActorRecord(**fields)  # type: ignore[arg-type]


def make_link(a: str, b: str, year: int | None = 2020, **overrides: object) -> LinkRecord:
    date = dt.date(year, 1, 1) if year else None
    fields: dict[str, object] = {"source_key": a, "target_key": b, "start_date": date}
    fields.update(overrides)
    return LinkRecord(**fields)  # type: ignore[arg-type]


def graph_from_nx(g: nx.Graph, worlds: dict[int, str] | None = None):  # type: ignore[no-untyped-def]
    worlds = worlds or {}
    actors = [make_actor(str(v), world=worlds.get(v, "associative")) for v in sorted(g)]
    links = [make_link(str(a), str(b)) for a, b in g.edges()]
    return build_graph(actors, links)


def test_structure_counts_components_isolates_and_density() -> None:
    actors = [make_actor(k) for k in "abcdef"]
    links = [make_link("a", "b"), make_link("b", "c"), make_link("a", "c"), make_link("d", "e")]
    s = structure(build_graph(actors, links))
    assert (s["actors"], s["ties"], s["components"], s["isolates"]) == (6, 4, 3, 1)
    assert s["largest_component"] == 3
    assert s["density"] == pytest.approx(4 / 15)
    assert s["degree"]["max"] == 2


def test_repeated_links_count_once_and_self_loops_and_unknown_ends_are_dropped() -> None:
    actors = [make_actor("a"), make_actor("b")]
    links = [
        make_link("a", "b", 2018),
        make_link("b", "a", 2015),
        make_link("a", "a"),
        make_link("a", "zz"),
    ]
    g = build_graph(actors, links)
    assert g.m == 1 and len(g.src) == 2
    assert g.pair_year.tolist() == [2015]


def test_deleted_actor_is_left_out_with_its_links() -> None:
    actors = [make_actor("a"), make_actor("b", extra={"deleted": True}), make_actor("c")]
    g = build_graph(actors, [make_link("a", "b"), make_link("a", "c")])
    assert g.ids == ["a", "c"] and g.m == 1


def test_ei_index_overall_and_per_world() -> None:
    # a, b associative; c economic; ties a-b (internal), a-c and b-c (external)
    actors = [make_actor("a"), make_actor("b"), make_actor("c", world="economic")]
    links = [make_link("a", "b"), make_link("a", "c"), make_link("b", "c")]
    m = mixing(build_graph(actors, links))["worlds"]
    assert m["ei_index"] == pytest.approx((2 - 1) / 3)
    assert m["ei_by_group"]["associative"] == pytest.approx((2 - 1) / 3)
    assert m["ei_by_group"]["economic"] == pytest.approx(1.0)
    assert m["counts"]["associative"]["economic"] == 2
    assert m["counts"]["associative"]["associative"] == 1
    assert ei_index(0, 0) is None


def test_ei_index_has_no_value_when_only_one_group_exists() -> None:
    # no digital native at all: "all ties internal" would be a meaningless -1
    actors = [make_actor("a", territories=["DEP:59"]), make_actor("b", territories=["DEP:59"])]
    m = mixing(build_graph(actors, [make_link("a", "b")]))
    assert m["digital"]["ei_index"] is None
    assert m["digital"]["ei_by_group"] == {"other": None}
    assert m["worlds"]["ei_index"] is None
    assert m["worlds_by_territory"]["DEP:59"]["ei_index"] is None
    # one native: the index exists again
    actors.append(make_actor("c", digital_profile="native"))
    m = mixing(build_graph(actors, [make_link("a", "b"), make_link("a", "c")]))
    assert m["digital"]["ei_index"] == pytest.approx(0.0)


def test_mixing_expected_counts_keep_group_degrees() -> None:
    actors = [
        make_actor("a"),
        make_actor("b"),
        make_actor("c", world="economic"),
        make_actor("d", world="economic"),
    ]
    links = [make_link("a", "b"), make_link("a", "c"), make_link("b", "c"), make_link("c", "d")]
    m = mixing(build_graph(actors, links))["worlds"]
    # tie ends: associative 4 of 8, economic 4 of 8; m = 4 ties
    assert m["expected"]["associative"]["associative"] == pytest.approx(4 * 0.25)
    assert m["expected"]["associative"]["economic"] == pytest.approx(2 * 4 * 0.25)
    assert m["ratio"]["associative"]["economic"] == pytest.approx(2 / 2)
    assert m["density"]["associative"]["economic"] == pytest.approx(2 / 4)


def test_world_assortativity_matches_networkx() -> None:
    g = nx.karate_club_graph()
    worlds = {v: WORLDS[v % 3] for v in g}
    nx.set_node_attributes(g, worlds, "world")
    expected = nx.attribute_assortativity_coefficient(g, "world")
    got = mixing(graph_from_nx(g, worlds))["worlds"]["assortativity"]
    assert got == pytest.approx(expected)


def test_ei_by_territory_counts_ties_touching_the_territory() -> None:
    actors = [
        make_actor("a", territories=["DEP:59"]),
        make_actor("b", territories=["DEP:59"]),
        make_actor("c", world="public", territories=["DEP:62"]),
    ]
    by = mixing(build_graph(actors, [make_link("a", "b"), make_link("a", "c")]))
    terr = by["worlds_by_territory"]
    assert terr["DEP:59"] == {"ties": 2, "ei_index": 0.0}
    assert terr["DEP:62"] == {"ties": 1, "ei_index": 1.0}


def test_betweenness_exact_matches_networkx_and_sampling_is_unbiased() -> None:
    g = nx.karate_club_graph()
    ag = graph_from_nx(g)
    exact, sample = betweenness(ag)
    assert sample is None
    oracle = nx.betweenness_centrality(g, normalized=False)
    assert np.allclose(exact, [oracle[v] for v in sorted(g)])
    runs = [betweenness(ag, exact_max=0, samples=12, seed=s) for s in range(300)]
    assert all(k == 12 for _, k in runs)
    mean = np.mean([b for b, _ in runs], axis=0)
    assert mean[0] == pytest.approx(exact[0], rel=0.1)
    assert np.array_equal(runs[0][0], betweenness(ag, exact_max=0, samples=12, seed=0)[0])


def test_constraint_and_effective_size_match_networkx() -> None:
    g = nx.karate_club_graph()
    g.add_node(99)
    ag = graph_from_nx(g)
    cons = constraint(ag)
    eff = effective_size(ag)
    nx_cons, nx_eff = nx.constraint(g), nx.effective_size(g)
    for i, v in enumerate(sorted(g)):
        if v == 99:
            assert np.isnan(cons[i]) and np.isnan(eff[i])
        else:
            assert cons[i] == pytest.approx(nx_cons[v])
            assert eff[i] == pytest.approx(nx_eff[v])


def test_brokerage_roles_on_a_star_with_one_closed_pair() -> None:
    worlds = {"v": "economic", "a": "economic", "b": "academic", "c": "public", "d": "academic"}
    actors = [make_actor(k, world=w) for k, w in worlds.items()]
    links = [make_link("v", x) for x in "abcd"] + [make_link("b", "c")]
    g = build_graph(actors, links)
    roles = dict(zip(ROLES, brokerage_roles(g)[g.vertex("v")], strict=True))
    # open pairs: a-b, a-c, a-d (own world with other) -> 1 representative + 1 gatekeeper
    # each; b-d (same other world) -> itinerant x2; c-d (two other worlds) -> liaison x2;
    # b-c is closed.
    assert roles == {
        "coordinator": 0,
        "itinerant": 2,
        "representative": 3,
        "gatekeeper": 3,
        "liaison": 2,
    }
    assert brokerage_roles(g)[g.vertex("a")].sum() == 0


def test_coordinator_counts_both_directions() -> None:
    actors = [make_actor(k) for k in "vab"]
    g = build_graph(actors, [make_link("v", "a"), make_link("v", "b")])
    assert brokerage_roles(g)[g.vertex("v")].tolist() == [2, 0, 0, 0, 0]


def test_leiden_separates_two_cliques_and_is_seeded() -> None:
    g = nx.disjoint_union(nx.complete_graph(6), nx.complete_graph(6))
    g.add_edge(0, 6)
    worlds = {v: ("public" if v < 6 else "economic") for v in g}
    ag = graph_from_nx(g, worlds)
    result = communities(ag, seed=3)
    assert result["count"] == 2
    sizes = sorted(c["size"] for c in result["communities"])
    assert sizes == [6, 6]
    assert {tuple(c["worlds"]) for c in result["communities"]} == {("public",), ("economic",)}
    assert communities(ag, seed=3) == result


def test_coverage_reach_and_white_zones() -> None:
    actors = [
        make_actor("a", commune_code="59350", themes=["inclusion"]),
        make_actor("b", territories=["REG:32"], themes=["mobilite"]),
    ]
    g = build_graph(actors, [])
    needs = [
        NeedRecord("DEP:59", "inclusion"),
        NeedRecord("COM:59009", "mobilite"),
        NeedRecord("DEP:62", "inclusion"),
    ]
    sols = [SolutionRecord("Bus solidaire", territories=["DEP:62"], themes=["inclusion"])]
    parents = {"DEP:59": "REG:32", "DEP:62": "REG:32"}
    cells = {
        (c["territory"], c["theme"]): c for c in coverage(g, needs, sols, parents=parents)["cells"]
    }
    assert cells[("DEP:59", "inclusion")]["actors"] == 1  # commune actor below
    assert cells[("COM:59009", "mobilite")]["actors"] == 1  # regional actor above
    assert cells[("DEP:62", "inclusion")]["solutions"] == 1
    assert cells[("DEP:62", "inclusion")]["actors"] == 0
    no_parents = coverage(g, needs, [])
    assert {(z["territory"], z["theme"]) for z in no_parents["white_zones"]} == {
        ("COM:59009", "mobilite"),
        ("DEP:62", "inclusion"),
    }


def test_an_actor_of_a_commune_does_not_reach_the_communes_around_it() -> None:
    actors = [
        make_actor("lieu", commune_code="59350", themes=["inclusion"]),  # a place in Lille
        make_actor("reseau", territories=["DEP:62"], themes=["inclusion"]),  # acts on the 62
    ]
    g = build_graph(actors, [])
    needs = [
        NeedRecord("COM:59512", "inclusion"),  # Roubaix: nobody there
        NeedRecord("COM:59350", "inclusion"),  # Lille: the place
        NeedRecord("DEP:59", "inclusion"),  # the Nord: the place is inside it
        NeedRecord("COM:62041", "inclusion"),  # Arras: the network of the 62 above it
    ]
    cells = {c["territory"]: c["actors"] for c in coverage(g, needs)["cells"]}
    assert cells == {"COM:59512": 0, "COM:59350": 1, "DEP:59": 1, "COM:62041": 1}


def test_timeline_counts_new_ties_and_actors_per_year() -> None:
    actors = [make_actor("a"), make_actor("b", world="public"), make_actor("c")]
    links = [make_link("a", "b", 2018), make_link("a", "c", 2020), make_link("b", "a", 2021)]
    rows = {r["year"]: r for r in timeline(build_graph(actors, links))}
    assert rows[2018]["new_ties"] == 1 and rows[2018]["cross_world_share"] == 1.0
    assert rows[2018]["new_actors"] == 2
    assert rows[2019]["new_ties"] == 0
    assert rows[2020]["new_actors"] == 1 and rows[2020]["cross_world_share"] == 0.0
    assert rows[2021]["new_ties"] == 0  # a repeated tie is not new


def test_filters() -> None:
    actors = [
        make_actor("a", commune_code="59350", themes=["numerique"]),
        make_actor("b", territories=["DEP:59"], world="public"),
        make_actor("c", territories=["DEP:62"], world="economic", themes=["numerique"]),
    ]
    links = [
        make_link("a", "b", 2016, kind="funding"),
        make_link("a", "c", 2021),
        make_link("b", "c", 2019),
    ]
    g = build_graph(actors, links)
    assert apply_filter(g, GraphFilter(territory="DEP:59")).ids == ["a", "b"]
    assert apply_filter(g, GraphFilter(territory="COM:59350")).ids == ["a"]
    assert apply_filter(g, GraphFilter(period=(2015, 2019))).m == 2
    assert apply_filter(g, GraphFilter(kind="funding")).m == 1
    assert apply_filter(g, GraphFilter(theme="numerique")).m == 1
    part = apply_filter(g, GraphFilter(world="public"))
    assert sorted(part.ids) == ["a", "b", "c"] and part.m == 2
    assert parse_period("2015:2020") == (2015, 2020)
    with pytest.raises(ValueError):
        parse_period("2020:2015")


def test_analyse_is_json_and_report_reads_in_both_languages() -> None:
    g = nx.karate_club_graph()
    ag = graph_from_nx(g, {v: WORLDS[v % 4] for v in g})
    result = analyse(ag, needs=[NeedRecord("DEP:59", "inclusion")])
    text = json.dumps(result)
    assert "explanations" in result and "Krackhardt" in text
    fr, en = render_report(result, "fr"), render_report(result, "en")
    assert "Mélange des mondes" in fr and "Mixing of worlds" in en
    assert "Zones blanches" in fr and "DEP:59/inclusion" in fr
