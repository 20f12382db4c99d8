"""``maillage export FORMAT FILE`` as a user runs it, and files that go round trip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from maillage.cli.main import cli
from maillage.io.tableschema import SCHEMA_DIR

IDF = "mediation-numerique/cartographie-nationale/lieux-cnfs-idf.json"
SCDL = "scdl-subventions/exemple_valide.csv"
N_ACTORS, N_LINKS = 16, 15  # grants of Antibes signed before 2015, and their ends


def run(*args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(cli, list(args))
    lines = result.stdout.strip().splitlines()
    last = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return result.exit_code, last, result.stderr


@pytest.fixture
def fresh(sqlite_template: Path, tmp_path: Path) -> callable:  # type: ignore[valid-type]
    """Make fresh migrated SQLite databases: ``fresh("name")`` -> URL."""

    def make(name: str) -> str:
        target = tmp_path / f"{name}.sqlite"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"

    return make


def test_frictionless_validates_the_exported_lieux(fresh, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frictionless = pytest.importorskip("frictionless")
    url = fresh("lieux")
    assert run("import", "lieux", str(data_dir / IDF), "--db", url, "--json")[0] == 0
    code, report, _ = run("export", "lieux-csv", str(tmp_path / "lieux.csv"), "--db", url,
                          "--territory", "DEP:75", "--json")  # fmt: skip
    # the 45 places of Paris; the commune of Paris, drawn as the holder of places from
    # their pivot (services.relations), has no coordinates of its own and is left out
    assert code == 0 and report["left_out"] == 1 and report["actors"] == 45
    descriptor = (SCHEMA_DIR / "lieux-mediation-numerique-1.0.2.schema.json").read_text("utf-8")
    schema = frictionless.Schema.from_descriptor(json.loads(descriptor))
    resource = frictionless.Resource(path="lieux.csv", basepath=str(tmp_path), schema=schema)
    result = resource.validate()
    assert result.valid, result.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_graph_export_reimports_without_duplicates(
    fresh, data_dir: Path, tmp_path: Path, fmt: str
) -> None:  # type: ignore[no-untyped-def]
    source = fresh("scdl")
    run("import", "scdl", str(data_dir / SCDL), "--db", source, "--json")
    path = tmp_path / f"subventions.{fmt}"
    code, report, _ = run("export", fmt, str(path), "--db", source, "--period", "2013:2014",
                          "--linked-only", "--json")  # fmt: skip
    # grants have no end date: a grant signed up to 2014 is active during 2013-2014
    assert (code, report["actors"], report["links"]) == (0, N_ACTORS, N_LINKS)
    graph = nx.read_gexf(path) if fmt == "gexf" else nx.read_graphml(path)
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (N_ACTORS, N_LINKS)
    assert {d["kind"] for *_, d in graph.edges(data=True)} == {"funding"}
    target = fresh("copy")
    code, imported, _ = run("import", fmt, str(path), "--db", target, "--json")
    assert (
        code,
        imported["details"]["actors"]["created"],
        imported["details"]["links"]["created"],
    ) == (0, N_ACTORS, N_LINKS)  # type: ignore[index]
    again = run("import", fmt, str(path), "--db", target, "--json")[1]
    assert (again["created"], again["unchanged"]) == (0, N_ACTORS + N_LINKS)


def test_bad_options_are_one_clear_line(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = fresh("empty")
    code, _, err = run("export", "csv", str(tmp_path / "x.csv"), "--db", url, "--period", "deux")
    assert code == 1 and "--period" in err and "AAAA:AAAA" in err
    code, _, err = run("export", "gexf", str(tmp_path / "x.gexf"), "--db", url, "--territory",
                       "Atlantide")  # fmt: skip
    assert code == 1 and "territoire inconnu" in err
    result = CliRunner().invoke(cli, ["export", "json", str(tmp_path / "x.json"), "--db", url,
                                      "--excel-fr"])  # fmt: skip
    assert result.exit_code == 2 and "--excel-fr" in result.stderr
    assert "Exemple : maillage export gexf" in CliRunner().invoke(cli, ["export", "--help"]).stdout


def test_geojson_export_says_how_many_actors_have_no_place(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = fresh("places")
    actors = tmp_path / "acteurs" / "acteurs.csv"
    actors.parent.mkdir()
    actors.write_text("id,nom,monde,latitude,longitude\nA1,Placé,public,50.63,3.06\n"
                      "A2,Sans lieu,associative,,\nA3,Nulle part,associative,,\n",
                      encoding="utf-8")  # fmt: skip
    assert run("import", "actors", str(actors), "--db", url, "--json")[0] == 0
    result = CliRunner().invoke(
        cli, ["export", "geojson", str(tmp_path / "a.geojson"), "--db", url]
    )
    assert result.exit_code == 0
    said = " ".join(result.stdout.split())  # rich wraps long lines
    assert "a.geojson : 1 acteur(s), 0 lien(s)" in said
    assert "2 acteur(s) sans coordonnées laissé(s) hors du fichier" in said
    assert result.stderr == ""
    path = tmp_path / "b.geojson"
    result = CliRunner().invoke(
        cli, ["export", "geojson", str(path), "--db", url, "--world", "associative"]
    )
    warned = " ".join(result.stderr.split())
    assert result.exit_code == 0 and "b.geojson : 0 acteur(s)" in " ".join(result.stdout.split())
    assert "aucun acteur de la vue n'a de coordonnées : le fichier n'a aucun point" in warned
    assert "2 acteur(s) sans coordonnées" in warned
    assert json.loads(path.read_text("utf-8"))["metadata"] == {"unplaced_actors": 2}
    code, report, _ = run("export", "geojson", str(path), "--db", url, "--json")
    assert (code, report["actors"], report["left_out"]) == (0, 1, 2)
