"""Recommendations: features against networkx, invariants with Hypothesis, reasons."""

from __future__ import annotations

import datetime as dt
import random

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.analysis import NeedRecord, SolutionRecord, build_graph
from maillage.analysis.graph import WORLDS
from maillage.model.records import ActorRecord, LinkRecord
from maillage.recommend import (
    evaluate,
    fit_model,
    recommend_for_actor,
    recommend_for_territory,
)
from maillage.recommend.boosting import BoostedTrees
from maillage.recommend.evaluation import auc
from maillage.recommend.features import FEATURES, pair_context, pair_features
from maillage.services.analysis import territory_name


def make_actor(key: str, **overrides: object) -> ActorRecord:
    fields: dict[str, object] = {"name": f"Acteur {key}", "key": key, "world": "associative"}
    fields.update(overrides)
    return ActorRecord(**fields)  # type: ignore[arg-type]


def make_link(a: str, b: str, year: int = 2020) -> LinkRecord:
    return LinkRecord(source_key=a, target_key=b, start_date=dt.date(year, 1, 1))


def records(
    n: int,
    edges: list[tuple[int, int]],
    years: list[int] | None = None,
    deleted: frozenset[int] = frozenset(),
):  # type: ignore[no-untyped-def]
    actors = [
        make_actor(
            f"k{i}",
            world=WORLDS[i % 4],
            territories=[f"DEP:{59 + i % 2}"],
            themes=["inclusion"] if i % 3 == 0 else ["emploi"],
            extra={"deleted": True} if i in deleted else {},
        )
        for i in range(n)
    ]
    years = years or [2015 + i % 6 for i in range(len(edges))]
    links = [make_link(f"k{a}", f"k{b}", y) for (a, b), y in zip(edges, years, strict=True)]
    return actors, links


graphs = st.integers(min_value=4, max_value=18).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=3, max_size=3 * n
        ),
        st.frozensets(st.integers(0, n - 1), max_size=2),
        st.integers(0, n - 1),
    )
)


@settings(max_examples=40, deadline=None)
@given(graphs, st.sampled_from(["likely", "bridging"]))
def test_recommendations_never_self_partner_or_deleted_and_scores_in_range(case, mode) -> None:  # type: ignore[no-untyped-def]
    n, edges, deleted, who = case
    actors, links = records(n, edges, deleted=deleted)
    g = build_graph(actors, links)
    key = f"k{who}"
    if who in deleted:
        with pytest.raises(KeyError):
            recommend_for_actor(g, key, mode=mode)
        return
    recs = recommend_for_actor(g, key, top=50, mode=mode)
    partners = {f"k{b}" for a, b in edges if f"k{a}" == key} | {
        f"k{a}" for a, b in edges if f"k{b}" == key
    }
    ids = [r["id"] for r in recs]
    assert key not in ids
    assert not partners & set(ids)
    assert not {f"k{d}" for d in deleted} & set(ids)
    assert all(0.0 <= r["score"] <= 1.0 for r in recs)
    assert ids == [r["id"] for r in recommend_for_actor(g, key, top=50, mode=mode)]


@settings(max_examples=25, deadline=None)
@given(graphs, st.randoms(use_true_random=False))
def test_recommendations_are_stable_under_relabelling(case, rnd: random.Random) -> None:  # type: ignore[no-untyped-def]
    n, edges, _, who = case
    actors, links = records(n, edges)
    g = build_graph(actors, links)
    model = fit_model(g, seed=1)
    shuffled = actors[:]
    rnd.shuffle(shuffled)
    h = build_graph(shuffled, list(reversed(links)))
    a = recommend_for_actor(g, f"k{who}", top=50, model=model)
    b = recommend_for_actor(h, f"k{who}", top=50, model=model)
    assert [(r["id"], round(r["score"], 9)) for r in a] == [
        (r["id"], round(r["score"], 9)) for r in b
    ]


def test_features_match_networkx_indices() -> None:
    g = nx.les_miserables_graph()
    nodes = sorted(g)
    idx = {v: i for i, v in enumerate(nodes)}
    actors = [make_actor(str(v)) for v in nodes]
    links = [make_link(str(a), str(b)) for a, b in g.edges()]
    ctx = pair_context(build_graph(actors, links))
    pairs = [(a, b) for a, b in nx.non_edges(g)][:300]
    u = np.array([idx[a] for a, _ in pairs])
    v = np.array([idx[b] for _, b in pairs])
    x = pair_features(ctx, u, v)
    col = {name: i for i, name in enumerate(FEATURES)}
    aa = {(a, b): s for a, b, s in nx.adamic_adar_index(g, pairs)}
    ra = {(a, b): s for a, b, s in nx.resource_allocation_index(g, pairs)}
    jac = {(a, b): s for a, b, s in nx.jaccard_coefficient(g, pairs)}
    for i, p in enumerate(pairs):
        assert np.expm1(x[i, col["adamic_adar"]]) == pytest.approx(aa[p])
        assert np.expm1(x[i, col["resource_allocation"]]) == pytest.approx(ra[p])
        assert x[i, col["jaccard"]] == pytest.approx(jac[p])
        assert np.expm1(x[i, col["common_neighbours"]]) == pytest.approx(
            len(list(nx.common_neighbors(g, *p)))
        )


def test_boosted_trees_learn_an_interaction() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((4000, 3))
    y = ((x[:, 0] > 0.5) ^ (x[:, 1] > 0.5)).astype(float)
    model = BoostedTrees(n_trees=40, depth=3, seed=0).fit(x, y)
    test = rng.random((2000, 3))
    truth = (test[:, 0] > 0.5) ^ (test[:, 1] > 0.5)
    score = model.decision(test)
    assert auc(score[truth], score[~truth]) > 0.95
    assert np.array_equal(score, BoostedTrees(n_trees=40, depth=3, seed=0).fit(x, y).decision(test))


def test_reasons_name_shared_partners_worlds_themes_territory_and_need() -> None:
    actors = [
        make_actor("asso", world="associative", territories=["DEP:59"], themes=["inclusion"]),
        make_actor("firm", world="economic", territories=["DEP:59"], themes=["inclusion"]),
        make_actor("mairie", name="Mairie de Lille", world="public", territories=["DEP:59"]),
    ]
    g = build_graph(actors, [make_link("asso", "mairie"), make_link("firm", "mairie")])
    needs = [NeedRecord("DEP:59", "inclusion")]
    [rec] = recommend_for_actor(g, "asso", needs=needs, mode="bridging")
    assert rec["id"] == "firm"
    assert rec["shared_partners"] == [{"id": "mairie", "name": "Mairie de Lille"}]
    assert set(rec["reason_codes"]) >= {
        "shared_partners",
        "complementary_worlds",
        "shared_themes",
        "same_territory",
        "territory_need",
    }
    assert any("Mairie de Lille" in r for r in rec["reasons"])
    en = recommend_for_actor(g, "asso", needs=needs, lang="en")[0]["reasons"]
    assert any("complementary worlds" in r for r in en)


def test_reasons_name_the_worlds_and_the_territories_the_caller_names() -> None:
    actors = [
        make_actor("asso", world="associative", territories=["DEP:59"], themes=["inclusion"]),
        make_actor("firm", world="economic", territories=["DEP:59"], themes=["inclusion"]),
        make_actor("mairie", world="public", territories=["DEP:59"]),
    ]
    g = build_graph(actors, [make_link("asso", "mairie"), make_link("firm", "mairie")])
    needs = [NeedRecord("DEP:59", "inclusion")]
    # the service names territories from the shipped geography
    [rec] = recommend_for_actor(g, "asso", needs=needs, territory_names=territory_name)
    assert "même territoire : Nord (DEP:59)" in rec["reasons"]
    assert "besoin de Nord (DEP:59) sur « inclusion » que ce binôme peut traiter" in rec["reasons"]
    assert "mondes complémentaires : le monde associatif et le monde économique" in rec["reasons"]
    [plain] = recommend_for_actor(g, "asso", needs=needs)
    assert "même territoire : DEP:59" in plain["reasons"]
    [en] = recommend_for_actor(g, "asso", lang="en", territory_names={"DEP:59": "Nord"}.get)
    assert "same territory: Nord (DEP:59)" in en["reasons"]
    assert "complementary worlds: the associative world and the economic world" in en["reasons"]
    out = recommend_for_territory(g, "DEP:59", territory_names=territory_name)
    assert out["links"]
    assert all("même territoire : Nord (DEP:59)" in link["reasons"] for link in out["links"])
    assert territory_name("COM:9") is None and territory_name("DEP:999") is None


def test_territory_recommendations_and_replicable_solutions() -> None:
    actors, links = records(12, [(0, 2), (2, 4), (4, 6), (6, 8), (1, 3), (3, 5), (0, 4)])
    g = build_graph(actors, links)
    needs = [NeedRecord("DEP:59", "inclusion"), NeedRecord("DEP:59", "logement")]
    sols = [
        SolutionRecord(
            "Toit solidaire", territories=["DEP:75"], themes=["logement"], carriers=["k1"]
        )
    ]
    out = recommend_for_territory(g, "DEP:59", needs=needs, solutions=sols)
    inside = {f"k{i}" for i in range(0, 12, 2)}
    assert out["links"]
    for link in out["links"]:
        assert {link["source"]["id"], link["target"]["id"]} <= inside
        assert 0 <= link["score"] <= 1
    assert {(s["theme"], tuple(x["name"] for x in s["solutions"])) for s in out["solutions"]} == {
        ("inclusion", ()),
        ("logement", ("Toit solidaire",)),
    }


def test_evaluate_reports_every_method_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    g = nx.powerlaw_cluster_graph(300, 3, 0.5, seed=1)
    edges = list(g.edges())
    years = [2010 + int(rng.integers(0, 10)) for _ in edges]
    actors, links = records(300, edges, years)
    result = evaluate(actors, links, 2018, seed=4)
    for method in ("model", "adamic_adar", "preferential_attachment"):
        assert set(result[method]) == {"auc", "precision_at_l", "hits_at_10", "mrr"}
        assert 0 <= result[method]["auc"] <= 1
    assert result["l"] == result["test_links"] > 0
    assert result["train_links"] == sum(1 for y in years if y < 2018)
    assert evaluate(actors, links, 2018, seed=4) == result


def test_structure_on_demand_equals_the_two_step_matrix_products() -> None:
    import scipy.sparse as sp

    from maillage.recommend.structure import STRUCTURE, common_count, pair_structure, two_step

    rng = np.random.default_rng(3)
    g = nx.barabasi_albert_graph(400, 3, seed=2)  # hubs: uneven degrees on both sides
    edges = list(g.edges())
    years = [2010 + int(y) for y in rng.integers(0, 10, len(edges))]
    actors, links = records(400, edges, years)
    ctx = pair_context(build_graph(actors, links), 2018)
    adj = ctx.adj
    a = sp.csr_matrix((np.ones(len(adj.indices)), adj.indices, adj.indptr), shape=(400, 400))
    cn = (a @ a).tocsr()
    aa = (a @ sp.diags(adj.aa_weight) @ a).tocsr()
    ra = (a @ sp.diags(adj.ra_weight) @ a).tocsr()
    sources = np.array([0, 1, 57, 399])
    su, sv, st = two_step(adj, sources)
    col = {name: i for i, name in enumerate(STRUCTURE)}
    for matrix, name in (
        (cn, "common_neighbours"),
        (aa, "adamic_adar"),
        (ra, "resource_allocation"),
    ):
        dense = matrix.toarray()
        np.fill_diagonal(dense, 0)
        expected = {(s, v) for s in sources for v in np.flatnonzero(dense[s])}
        assert set(zip(su.tolist(), sv.tolist(), strict=True)) == expected
        assert st[:, col[name]] == pytest.approx(dense[su, sv])
    assert pair_structure(adj, su, sv) == pytest.approx(st)
    assert pair_structure(adj, sv, su) == pytest.approx(st)  # symmetric, whichever end is small
    assert (st[:, col["path_age"]] >= 0).all() and (st[:, col["path_age"]] <= 10).all()
    # common partners of any pairs, with or without one, in one block or in several
    u, v = rng.integers(0, 400, 3000), rng.integers(0, 400, 3000)
    dense = cn.toarray()
    assert np.array_equal(common_count(adj, u, v), dense[u, v])
    small = np.asarray(adj.degree[u] + adj.degree[v]).astype(np.int64).max()
    assert np.array_equal(common_count(adj, u, v, budget=int(small)), dense[u, v])


def test_reasons_name_the_shared_community_and_the_shared_words_of_the_names() -> None:
    # two tight groups of four, joined by one tie: "lab-a" and "lab-b" are in the
    # first group, and both names hold "Lille" and "photonique"
    names = {
        "lab-a": "Laboratoire de photonique de Lille",
        "lab-b": "Institut de photonique de Lille",
        "x1": "Centre X1",
        "x2": "Centre X2",
        "y1": "Entreprise Y1",
        "y2": "Entreprise Y2",
        "y3": "Entreprise Y3",
        "y4": "Entreprise Y4",
    }
    actors = [make_actor(key, name=name) for key, name in names.items()]
    ties = [("lab-a", "x1"), ("lab-a", "x2"), ("lab-b", "x1"), ("lab-b", "x2"), ("x1", "x2")]
    ties += [("y1", "y2"), ("y1", "y3"), ("y1", "y4"), ("y2", "y3"), ("y2", "y4"), ("y3", "y4")]
    ties += [("x2", "y1")]
    g = build_graph(actors, [make_link(a, b) for a, b in ties])
    recs = {r["id"]: r for r in recommend_for_actor(g, "lab-a", top=10)}
    assert "lab-b" in recs
    assert {"same_community", "similar_names"} <= set(recs["lab-b"]["reason_codes"])
    words = next(r for r in recs["lab-b"]["reasons"] if r.startswith("noms proches"))
    assert words == "noms proches (mots communs : lille, photonique)"
    assert "similar_names" not in recs.get("y1", {"reason_codes": []})["reason_codes"]
    en = {r["id"]: r for r in recommend_for_actor(g, "lab-a", top=10, lang="en")}
    assert "similar names (shared words: lille, photonique)" in en["lab-b"]["reasons"]


def test_a_territory_without_candidate_pairs_gets_no_proposal_and_no_error() -> None:
    """Two actors of the Nord already tied (the rest elsewhere): no pair is left to propose,
    and the needs of the territory must not turn that into an error."""
    actors, links = records(6, [(0, 2), (1, 3), (3, 5), (1, 5)])
    actors = [
        make_actor(a.key or "", world=a.world, themes=a.themes,
                   territories=["DEP:59"] if a.key in ("k0", "k2") else ["DEP:75"])
        for a in actors
    ]  # fmt: skip
    g = build_graph(actors, links)
    needs = [NeedRecord("DEP:59", "inclusion")]
    out = recommend_for_territory(g, "DEP:59", needs=needs, mode="bridging")
    assert out["links"] == []


def test_a_word_many_names_hold_is_no_reason() -> None:
    """Two universities among many: "universite" is held by more than 1 % of the names,
    so it is no reason; the rarer word they share ("lille") still is."""
    names = {f"u{i}": f"Université numéro {i}" for i in range(40)}
    names |= {"lab-a": "Université de Lille photonique", "lab-b": "Université de Lille optique"}
    names |= {"x1": "Centre X1", "x2": "Centre X2"}
    actors = [make_actor(key, name=name) for key, name in names.items()]
    ties = [("lab-a", "x1"), ("lab-a", "x2"), ("lab-b", "x1"), ("lab-b", "x2"), ("x1", "x2")]
    ties += [(f"u{i}", f"u{i + 1}") for i in range(39)] + [("u0", "x1")]
    g = build_graph(actors, [make_link(a, b) for a, b in ties])
    recs = {r["id"]: r for r in recommend_for_actor(g, "lab-a", top=10)}
    words = next(r for r in recs["lab-b"]["reasons"] if r.startswith("noms proches"))
    assert words == "noms proches (mots communs : lille)"
