"""Analysis use cases read the live map from the database, on both engines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from builders import make_actor, make_link
from maillage.analysis import build_graph
from maillage.analysis.graph import WORLDS
from maillage.model.errors import InvalidInput, NotFound
from maillage.model.records import ActorRecord, LinkRecord
from maillage.services import actors, links
from maillage.services import analysis as service
from maillage.storage.engine import transaction
from maillage.storage.tables import (
    need,
    solution,
    solution_carrier,
    solution_territory,
    solution_theme,
)

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def small_map(db: sa.Engine) -> dict[str, int]:
    """Five actors of four worlds; a deleted one; a proposed link; dated ties."""
    spec: dict[str, dict[str, Any]] = {
        "a": make_actor(world="associative", territories=["DEP:59"], themes=["inclusion"]),
        "b": make_actor(world="economic", themes=["inclusion", "emploi"]),
        "c": make_actor(world="public", commune_code=None, territories=["DEP:62"]),
        "d": make_actor(world="academic", digital_profile="native", themes=["emploi"]),
        "e": make_actor(world="economic"),
        "f": make_actor(world="associative", themes=["inclusion"]),
    }
    ids = {k: actors.create_actor(db=db, values=v)["id"] for k, v in spec.items()}
    for a, b, year, extra in [
        ("a", "b", "2015", {}),
        ("b", "c", "2018", {"kind": "funding"}),
        ("c", "d", "2020", {}),
        ("b", "d", "2019", {}),
        ("a", "e", "2016", {}),
        ("a", "d", "2021", {"status": "proposed"}),
        ("d", "f", None, {}),
    ]:
        links.create_link(db=db, values=make_link(ids[a], ids[b], start_date=year, **extra))
    actors.delete_actor(db=db, actor_id=ids["e"])
    return ids


def pairs(graph: Any) -> set[tuple[Any, Any, int]]:
    return {
        (*sorted((graph.ids[s], graph.ids[d])), int(y))
        for s, d, y in zip(graph.pair_src, graph.pair_dst, graph.pair_year, strict=True)
    }


def test_load_graph_reads_live_actors_and_their_ties(db: sa.Engine) -> None:
    ids = small_map(db)
    g = service.load_graph(db=db)
    assert g.ids == sorted(ids[k] for k in "abcdf")  # e is deleted
    a, d = g.vertex(ids["a"]), g.vertex(ids["d"])
    assert WORLDS[g.world[a]] == "associative" and WORLDS[g.world[d]] == "academic"
    assert g.native.tolist() == [False, False, False, True, False]
    assert set(g.territories[a]) == {"DEP:59", "COM:59350"}
    assert g.territory[g.vertex(ids["c"])] == "DEP:62"
    assert g.themes[g.vertex(ids["b"])] == {"inclusion", "emploi"}
    # the proposed link and the link to the deleted actor are no ties; undated is -1
    assert pairs(g) == {
        (ids["a"], ids["b"], 2015),
        (ids["b"], ids["c"], 2018),
        (ids["c"], ids["d"], 2020),
        (ids["b"], ids["d"], 2019),
        (ids["d"], ids["f"], -1),
    }
    assert g.kinds == ["funding", "partnership"]
    assert sorted(g.kinds[k] for k in g.kind) == ["funding"] + ["partnership"] * 4


def test_loaded_graph_equals_the_graph_built_from_records(db: sa.Engine) -> None:
    ids = small_map(db)
    with db.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, name, world, commune_code FROM actor")).all()
        terr = conn.execute(sa.text("SELECT actor_id, territory_code FROM actor_territory")).all()
        ties = conn.execute(
            sa.text("SELECT source_id, target_id, start_date, status FROM link")
        ).all()
    deleted = ids["e"]
    records = [
        ActorRecord(
            name=name,
            id=i,
            world=world,
            commune_code=commune,
            territories=[t for a, t in terr if a == i],
            extra={"deleted": i == deleted},
        )
        for i, name, world, commune in rows
    ]
    dated = [
        LinkRecord(
            source_id=s,
            target_id=t,
            start_date=dt.date.fromisoformat(str(d)[:10]) if d else None,
        )
        for s, t, d, status in ties
        if status != "proposed"
    ]
    expected = build_graph(records, dated)
    got = service.load_graph(db=db)
    assert got.ids == expected.ids and pairs(got) == pairs(expected)
    assert [set(t) for t in got.territories] == [set(t) for t in expected.territories]
    assert got.territory == expected.territory


def _need_and_solution(db: sa.Engine, carrier: int) -> None:
    stamp = {"created_at": NOW, "updated_at": NOW}
    with transaction(db) as conn:
        conn.execute(sa.insert(need), [{"territory_code": "DEP:62", "theme": "sante", **stamp}])
        conn.execute(sa.insert(need), [{"territory_code": "DEP:59", "theme": "emploi", **stamp}])
        sid = conn.execute(
            sa.insert(solution).values(name="Bus santé", extra={}, **stamp)
        ).inserted_primary_key[0]
        conn.execute(sa.insert(solution_theme).values(solution_id=sid, theme="sante"))
        conn.execute(sa.insert(solution_territory).values(solution_id=sid, territory_code="DEP:75"))
        conn.execute(sa.insert(solution_carrier).values(solution_id=sid, actor_id=carrier))


def test_analyse_map_reports_coverage_and_white_zones(db: sa.Engine) -> None:
    ids = small_map(db)
    _need_and_solution(db, ids["a"])
    data = service.load_map(db=db)
    assert [s.carriers for s in data.solutions] == [[ids["a"]]]
    assert data.parents["COM:59350"] == "DEP:59" and data.parents["DEP:59"] == "REG:32"
    result = service.analyse_map(db=db)
    assert result["structure"]["actors"] == 5 and result["structure"]["ties"] == 5
    cells = {(c["territory"], c["theme"]): c for c in result["coverage"]["cells"]}
    assert cells[("DEP:59", "emploi")]["actors"] == 2  # b and d: commune 59350, emploi
    assert cells[("DEP:62", "sante")]["white_zone"]
    text = service.analysis_report(result, "en")
    assert "DEP:62 / sante" in text and "Mixing of worlds" in text


def test_recommend_actor_never_proposes_a_partner_and_checks_its_input(db: sa.Engine) -> None:
    ids = small_map(db)
    found = service.recommend_actor(db=db, actor_id=ids["a"], top=10, lang="en")
    proposed = [r["id"] for r in found["recommendations"]]
    assert ids["a"] not in proposed and ids["b"] not in proposed and ids["e"] not in proposed
    assert proposed and all(0.0 <= r["score"] <= 1.0 for r in found["recommendations"])
    with pytest.raises(NotFound):
        service.recommend_actor(db=db, actor_id=ids["e"])
    with pytest.raises(NotFound):
        service.recommend_actor(db=db, actor_id=10**6)
    with pytest.raises(InvalidInput):
        service.recommend_actor(db=db, actor_id=ids["a"], mode="random")


def test_recommend_territory_and_evaluate(db: sa.Engine) -> None:
    ids = small_map(db)
    _need_and_solution(db, ids["a"])
    result = service.recommend_territory(db=db, code="DEP:62", mode="likely")
    assert result["territory"] == "DEP:62"
    # nothing on "sante" reaches DEP:62: the solution carried in DEP:75 is proposed
    assert result["solutions"] == [
        {
            "territory": "DEP:62",
            "theme": "sante",
            "solutions": [{"id": 1, "name": "Bus santé", "territories": ["DEP:75"], "carriers": 1}],
        }
    ]
    with pytest.raises(NotFound):
        service.recommend_territory(db=db, code="DEP:XX")
    quality = service.evaluate_map(db=db, split_year=2019, seed=1)
    # b-d (2019) and c-d (2020) between actors tied before 2019 (d-f undated counts)
    assert quality["test_links"] == 2 and quality["train_links"] == 3
    with pytest.raises(InvalidInput):
        service.evaluate_map(db=db, split_year=2030)


def test_a_year_stored_before_imports_checked_it_counts_as_undated(db: sa.Engine) -> None:

    from maillage.analysis.timeline import timeline
    from maillage.storage.tables import link

    ids = small_map(db)
    with db.begin() as conn:  # 0218 for 2018, as an old import of a public contract stored it
        conn.execute(
            sa.update(link)
            .where(link.c.source_id == ids["a"], link.c.target_id == ids["b"])
            .values(start_date=dt.date(218, 10, 29))
        )
    g = service.load_graph(db=db)
    assert (ids["a"], ids["b"], -1) in pairs(g)
    assert min(r["year"] for r in timeline(g)) == 2018


def test_territories_of_actors_no_longer_live_are_not_given_to_others(db: sa.Engine) -> None:
    """An actor deleted (or merged into another) keeps its territory rows; the analysis
    reads the live actors only, and never hands those rows to the next actor by id (the
    demo's identity resolution left 1,019 such rows: every territory analysis failed)."""
    kept = actors.create_actor(db=db, values=make_actor(territories=["DEP:59"]))["id"]
    gone = actors.create_actor(db=db, values=make_actor(territories=["DEP:62"]))["id"]
    plain = actors.create_actor(db=db, values=make_actor(commune_code=None))["id"]
    actors.delete_actor(db=db, actor_id=gone)
    graph = service.load_graph(db=db)
    index = graph.index()
    assert gone not in index
    assert "DEP:62" not in graph.territories[index[plain]]
    assert "DEP:59" in graph.territories[index[kept]]
