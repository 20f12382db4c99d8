"""``maillage analyse`` and ``maillage recommend``, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from builders import file_needs
from cli.invoke import run
from services.test_analysis_service import small_map


@pytest.mark.parametrize(
    "command",
    [
        ["analyse"],
        ["recommend"],
        ["recommend", "actor"],
        ["recommend", "territory"],
        ["recommend", "evaluate"],
    ],
)
def test_every_help_ends_with_an_example(command: list[str]) -> None:
    code, out, _ = run(*command, "--help")
    last = [line for line in out.splitlines() if line.strip()][-1]
    assert code == 0 and last.strip().startswith("Exemple : maillage " + command[0])


def test_analyse_as_json_and_as_a_report(db: sa.Engine, db_url: str) -> None:
    small_map(db)
    code, out, _ = run("analyse", "--db", db_url, "--json")
    result = json.loads(out)
    assert code == 0 and result["structure"]["actors"] == 5
    assert result["mixing"]["digital"]["ei_index"] is not None
    code, out, _ = run("analyse", "--db", db_url, "--territory", "DEP:62", "--lang", "en")
    assert code == 0 and "# Ecosystem analysis" in out and "- actors: 1 " in out
    code, out, _ = run("analyse", "--db", db_url, "--period", "2018:2020", "--json")
    assert json.loads(out)["structure"]["ties"] == 3
    code, _, err = run("analyse", "--db", db_url, "--period", "2020:2015")
    assert code == 1 and "--period" in err and "Traceback" not in err


def test_a_map_without_links_and_a_database_not_set_up(
    db: sa.Engine, db_url: str, tmp_path: Path
) -> None:
    code, _, err = run("actor", "add", "--db", db_url, "--name", "Seul", "--world", "public")
    assert code == 0, err
    code, out, err = run("analyse", "--db", db_url, "--json")
    assert code == 0, err
    assert json.loads(out)["structure"]["actors"] == 1
    assert json.loads(out)["structure"]["ties"] == 0
    code, out, err = run("recommend", "actor", "1", "--db", db_url, "--json")
    assert code == 0, err
    bare = f"sqlite:///{tmp_path / 'not-set-up.sqlite'}"
    for command in (["analyse"], ["recommend", "actor", "1"]):
        code, _, err = run(*command, "--db", bare)
        assert code == 1 and "maillage db upgrade" in err and "Traceback" not in err


def test_recommend_actor_and_territory(db: sa.Engine, db_url: str) -> None:
    ids = small_map(db)
    code, out, _ = run("recommend", "actor", str(ids["a"]), "--db", db_url, "--json")
    found = json.loads(out)
    assert code == 0 and found["actor"]["id"] == ids["a"]
    proposed = {r["id"] for r in found["recommendations"]}
    assert proposed and not proposed & {ids["a"], ids["b"], ids["e"]}
    assert all(r["reasons"] for r in found["recommendations"])
    code, out, _ = run("recommend", "actor", str(ids["a"]), "--db", db_url, "--mode", "bridging")
    assert code == 0 and "rang" in out and "raisons" in out
    worlds = {"Économique", "Associatif / social", "Public / institutionnel", "Académique"}
    assert any(w in out for w in worlds) and "academic" not in out and "associative" not in out
    english = run("recommend", "actor", str(ids["a"]), "--db", db_url, "--lang", "en")[1]
    assert "rank" in english and "reasons" in english
    code, _, err = run("recommend", "actor", str(ids["e"]), "--db", db_url)
    assert code == 1 and "Introuvable" in err
    code, out, _ = run("recommend", "territory", "DEP:59", "--db", db_url, "--json")
    assert code == 0 and json.loads(out)["territory"] == "DEP:59"


def test_recommend_evaluate_last_line_is_one_json_object(db: sa.Engine, db_url: str) -> None:
    small_map(db)
    code, out, _ = run("recommend", "evaluate", "--db", db_url, "--split-year", "2019", "--json")
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and (result["l"], result["test_links"]) == (2, 2)
    for method in ("model", "adamic_adar", "preferential_attachment"):
        assert set(result[method]) >= {"auc", "precision_at_l", "hits_at_10", "mrr"}
    code, out, _ = run("recommend", "evaluate", "--db", db_url, "--split-year", "2019")
    assert code == 0 and "adamic_adar" in out and "test_links = 2" in out
    code, _, err = run("recommend", "evaluate", "--db", db_url, "--split-year", "2030")
    assert code == 1 and "split_year" in err


def test_recommend_reads_the_fitted_model_back_until_the_map_changes(
    db: sa.Engine, db_url: str, model_cache: Path
) -> None:
    ids = small_map(db)
    first = run("recommend", "actor", str(ids["a"]), "--db", db_url, "--json")
    assert first[0] == 0, first[2]
    stored = list(model_cache.glob("*.npz"))
    assert len(stored) == 1
    before = stored[0].stat().st_ino
    assert run("recommend", "actor", str(ids["a"]), "--db", db_url, "--json") == first
    assert stored[0].stat().st_ino == before  # read back, not fitted and written again
    proposed = json.loads(first[1])["recommendations"][0]["id"]
    code, out_link, err = run("link", "add", str(ids["a"]), str(proposed), "--start", "2021",
                              "--db", db_url, "--json")  # fmt: skip
    assert code == 0, err
    code, out, err = run("recommend", "actor", str(ids["a"]), "--db", db_url, "--json")
    assert code == 0, err
    assert proposed not in {r["id"] for r in json.loads(out)["recommendations"]}
    assert len(list(model_cache.glob("*.npz"))) == 2  # the changed map has its own model
    link_id = json.loads(out_link)["id"]
    history = json.loads(run("history", "link", str(link_id), "--db", db_url, "--json")[1])
    assert run("undo", str(history[-1]["id"]), "--db", db_url)[0] == 0
    assert run("recommend", "actor", str(ids["a"]), "--db", db_url, "--json") == first
    assert len(list(model_cache.glob("*.npz"))) == 2  # back to the first map, and its model


def test_analyse_filters_reach_the_needs_and_bad_filters_are_refused(
    db: sa.Engine, db_url: str
) -> None:
    small_map(db)
    file_needs(
        db, ("COM:59350", "inclusion", 2), ("DEP:62", "emploi", 1), ("COM:62041", "inclusion", 3)
    )

    def cells(*args: str) -> set[tuple[str, str]]:
        code, out, err = run("analyse", "--db", db_url, "--json", *args)
        assert code == 0, err
        return {(c["territory"], c["theme"]) for c in json.loads(out)["coverage"]["cells"]}

    assert len(cells()) == 3
    assert cells("--territory", "DEP:59") == {("COM:59350", "inclusion")}
    assert cells("--territory", "DEP:62") == {("DEP:62", "emploi"), ("COM:62041", "inclusion")}
    assert cells("--theme", "emploi") == {("DEP:62", "emploi")}
    # a name or a bare commune code is read as the portal and the exports read it
    by_name = run("analyse", "--db", db_url, "--json", "--territory", "Lille")[1]
    by_code = run("analyse", "--db", db_url, "--json", "--territory", "COM:59350")[1]
    assert json.loads(by_name)["structure"] == json.loads(by_code)["structure"]
    assert json.loads(by_name)["structure"]["actors"] == 4
    # a région holds its départements; a commune its municipal arrondissements
    region = json.loads(
        run("analyse", "--db", db_url, "--json", "--territory", "Hauts-de-France")[1]
    )
    assert region["filter"]["territory"] == "REG:32" and region["structure"]["actors"] == 5
    assert len(region["coverage"]["cells"]) == 3
    run("actor", "add", "--db", db_url, "--name", "Louvre", "--commune", "75101")
    paris = json.loads(run("analyse", "--db", db_url, "--json", "--territory", "Paris")[1])
    assert paris["structure"]["actors"] == 1
    for args, needle in [
        (["--territory", "DEP:999"], "DEP:999"),
        (["--kind", "friendship"], "kind"),
        (["--theme", "astrologie"], "theme"),
    ]:
        code, _, err = run("analyse", "--db", db_url, *args)
        assert code == 1 and needle in err and "Traceback" not in err, args


def test_the_french_report_reads_in_french(db: sa.Engine, db_url: str) -> None:
    small_map(db)
    file_needs(db, ("COM:59350", "inclusion", 2))
    code, out, _ = run("analyse", "--db", db_url)
    assert code == 0 and "- acteurs : 5 " in out and "- liens : 5 " in out
    assert "1 besoin, " in out and "need" not in out and "actors:" not in out
    assert "densité : 0,5000" in out  # 5 ties among 5 actors, French decimal comma
    assert "coordinateur" in out or "passeur" in out
    assert "+1 lien (" in out and "+1 liens" not in out  # one tie a year: singular
    code, out, _ = run("analyse", "--db", db_url, "--lang", "en")
    assert "- actors: 5 " in out and "density: 0.5000" in out and "1 need, " in out
