"""Our own JSON and GeoJSON exports imported again as they are, as a user does it:
``maillage export json`` then ``maillage import actors`` and ``import links`` of the
same file into the same database changes nothing; an edit updates that actor only."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from maillage.cli.main import cli
from maillage.storage.engine import make_engine

COUNTS = ("rows", "created", "updated", "merged", "unchanged", "rejected", "not_written")

ACTORS = """\
id;nom;adresse;code_postal;commune;siret;courriel;themes;latitude;longitude
A1;Médiathèque Jean Macé;12 rue Victor Hugo;59000;Lille;;contact@mediatheque-lille.fr, \
accueil@mediatheque-lille.fr;culture|emploi;50.6311;3.0468
A2;Centre social Arc-en-ciel;3 place de la République;59100;Roubaix;;;;;
A3;Emmaüs Connect;7 rue Nationale;59000;Lille;44226233300010;;;50.6365;3.0635
"""
LINKS = "source;cible;type;date_debut\nA1;A2;partnership;2021-03-01\nA3;A1;funding;\n"


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _json(*args: str) -> tuple[int, dict[str, object]]:
    result = _invoke(*args, "--json")
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def _counts(report: dict[str, object], part: str | None = None) -> tuple[object, ...]:
    """The counts of a report (or of its ``details[part]``), after checking they balance:
    rows = created + updated + merged + unchanged + rejected."""
    counts = report if part is None else report["details"][part]  # type: ignore[index]
    found = tuple(counts.get(k, 0) for k in COUNTS)  # type: ignore[union-attr]
    assert found[0] == sum(found[1:6]), found
    return found


def _lille(tmp_path: Path, db_url: str) -> Path:
    """Three actors and two links of a Lille network, imported; the folder of exports."""
    folder = tmp_path / "lille"
    folder.mkdir()
    (folder / "acteurs.csv").write_text(ACTORS, encoding="utf-8")
    (folder / "liens.csv").write_text(LINKS, encoding="utf-8")
    assert _json("import", "actors", str(folder / "acteurs.csv"), "--db", db_url)[0] == 0
    assert _json("import", "links", str(folder / "liens.csv"), "--db", db_url)[0] == 0
    out = tmp_path / "exports"
    out.mkdir()
    return out


def _stored(db_url: str) -> tuple[list[tuple[object, ...]], int]:
    with make_engine(db_url).connect() as conn:
        actors = conn.exec_driver_sql(
            "SELECT name, address, source, latitude FROM actor ORDER BY id").all()  # fmt: skip
        (links,) = conn.exec_driver_sql("SELECT count(*) FROM link").one()
    return [tuple(r) for r in actors], links


def test_our_json_export_imported_again_changes_nothing(db_url: str, tmp_path: Path) -> None:
    out = _lille(tmp_path, db_url)
    before = _stored(db_url)
    exported = _invoke("export", "json", str(out / "carte.json"), "--db", db_url)
    assert exported.exit_code == 0, exported.output
    document = json.loads((out / "carte.json").read_text("utf-8"))
    assert (document["format"], len(document["actors"]), len(document["links"])) == (
        "maillage", 3, 2)  # fmt: skip

    code, actors = _json("import", "actors", str(out / "carte.json"), "--db", db_url)
    assert (code, actors["status"], *_counts(actors)) == (0, "done", 3, 0, 0, 0, 3, 0, 0)
    assert _counts(actors, "actors") == (3, 0, 0, 0, 3, 0, 0)
    assert _counts(actors, "links") == (0, 0, 0, 0, 0, 0, 0)  # the links are import links'
    code, links = _json("import", "links", str(out / "carte.json"), "--db", db_url)
    assert (code, links["status"], *_counts(links)) == (0, "done", 2, 0, 0, 0, 2, 0, 0)
    assert _counts(links, "links") == (2, 0, 0, 0, 2, 0, 0)
    assert _stored(db_url) == before

    # an address edited in the document updates that actor only, its source kept
    document["actors"][1]["address"] = "5 place de la République"
    (out / "carte.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    code, edited = _json("import", "actors", str(out / "carte.json"), "--db", db_url)
    assert (code, *_counts(edited)) == (0, 3, 0, 1, 0, 2, 0, 0)
    actors_after, links_after = _stored(db_url)
    assert actors_after == [
        ("Médiathèque Jean Macé", "12 rue Victor Hugo", "lille", 50.6311),
        ("Centre social Arc-en-ciel", "5 place de la République", "lille", None),
        ("Emmaüs Connect", "7 rue Nationale", "lille", 50.6365),
    ]
    assert links_after == 2


def test_a_bad_record_of_our_json_document_is_named_by_its_number(
    db_url: str, tmp_path: Path
) -> None:
    """A record of the document a person broke is refused with its number within
    ``actors`` and its field; with --partial the others go in unchanged."""
    out = _lille(tmp_path, db_url)
    assert _invoke("export", "json", str(out / "carte.json"), "--db", db_url).exit_code == 0
    document = json.loads((out / "carte.json").read_text("utf-8"))
    document["actors"][2]["latitude"] = "cinquante"
    (out / "carte.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    code, refused = _json("import", "actors", str(out / "carte.json"), "--db", db_url)
    assert (code, refused["status"], *_counts(refused)) == (1, "failed", 3, 0, 0, 0, 0, 3, 2)
    assert [(i["file"], i["row"], i["field"], i["message"])  # type: ignore[index]
            for i in refused["issues"]] == [  # type: ignore[union-attr]
        ("carte.json#actors", 3, "latitude", "nombre attendu")]  # fmt: skip
    code, partial = _json("import", "actors", str(out / "carte.json"), "--db", db_url,
                          "--partial")  # fmt: skip
    assert (code, *_counts(partial)) == (0, 3, 0, 0, 0, 2, 1, 0)


def test_our_geojson_export_gives_back_its_placed_actors(db_url: str, tmp_path: Path) -> None:
    """The GeoJSON export holds the actors with coordinates (two of three) and no link:
    imported as actors they are unchanged; imported as links, one clear refusal."""
    out = _lille(tmp_path, db_url)
    before = _stored(db_url)
    assert _invoke("export", "geojson", str(out / "carte.geojson"), "--db", db_url).exit_code == 0
    code, actors = _json("import", "actors", str(out / "carte.geojson"), "--db", db_url)
    assert (code, actors["status"], *_counts(actors)) == (0, "done", 2, 0, 0, 0, 2, 0, 0)
    assert _stored(db_url) == before
    refused = _invoke("import", "links", str(out / "carte.geojson"), "--db", db_url)
    assert refused.exit_code == 1
    assert "« carte.geojson » : un GeoJSON ne porte pas de liens" in " ".join(
        refused.output.split())  # fmt: skip
    lieux = _invoke("import", "lieux", str(out / "carte.geojson"), "--db", db_url)
    assert lieux.exit_code == 1
    assert ("« carte.geojson » : export de maillage (JSON ou GeoJSON) : à importer avec "
            "maillage import actors") in " ".join(lieux.output.split())  # fmt: skip


def test_a_json_array_of_actors_is_read_as_a_table(db_url: str, tmp_path: Path) -> None:
    """A JSON file of objects (one an actor, keys as a spreadsheet's headers, any case)
    is read like a table, its records numbered from 1."""
    path = tmp_path / "roubaix" / "structures.json"
    path.parent.mkdir()
    path.write_text(json.dumps([
        {"Nom": "Centre social Arc-en-ciel", "Code postal": "59100", "Commune": "Roubaix"},
        {"Nom": "Espace numérique", "Code postal": "59100", "Commune": "Roubaix",
         "SIRET": "12345678901234"},
    ], ensure_ascii=False), "utf-8")  # fmt: skip
    code, report = _json("import", "actors", str(path), "--db", db_url, "--partial")
    assert (code, report["source"], *_counts(report)) == (0, "roubaix", 2, 1, 0, 0, 0, 1, 0)
    assert [
        (i["row"], i["field"])
        for i in report["issues"]  # type: ignore[union-attr,index]
        if i["severity"] == "error"
    ] == [(2, "siret")]  # type: ignore[index]
