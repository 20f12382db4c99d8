"""The command line, run as a user would (click's runner over a real database)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pytest import MonkeyPatch

from builders import valid_siret
from cli.invoke import run
from maillage.cli import demo as cli_demo


def test_actor_lifecycle_history_and_undo(db_url: str) -> None:
    code, out, _ = run(
        "actor",
        "add",
        "--db",
        db_url,
        "--name",
        "Emmaüs Connect",
        "--world",
        "associative",
        "--siret",
        valid_siret(3),
        "--commune",
        "59350",
        "--theme",
        "inclusion-numerique",
        "--json",
    )
    assert code == 0
    actor = json.loads(out)
    actor_id = str(actor["id"])
    code, out, _ = run(
        "actor", "update", actor_id, "--db", db_url, "--version", "1", "--acronym", "EC", "--json"
    )
    assert code == 0 and json.loads(out)["version"] == 2
    code, out, err = run(
        "actor", "update", actor_id, "--db", db_url, "--version", "1", "--acronym", "XX"
    )
    assert code == 1 and "Conflit" in err and "Traceback" not in err
    code, out, _ = run("history", "actor", actor_id, "--db", db_url, "--json")
    trail = json.loads(out)
    assert [c["action"] for c in trail] == ["create", "update"]
    assert trail[1]["fields"] == ["acronym"]
    code, out, _ = run("undo", str(trail[1]["id"]), "--db", db_url)
    assert code == 0
    code, out, _ = run("actor", "show", actor_id, "--db", db_url, "--json")
    assert json.loads(out)["acronym"] is None


def test_bad_siret_is_one_clear_line(db_url: str) -> None:
    code, out, err = run("actor", "add", "--db", db_url, "--name", "X", "--siret", "12345678901234")
    assert code == 1
    assert "siret" in err and "12345678901234" in err
    assert len(err.strip().splitlines()) == 1


def test_an_error_quoting_markup_like_user_text_prints_it_as_it_is(db_url: str) -> None:
    # rich reads "[/x]" as a closing tag: the user's text is escaped, never interpreted
    code, out, err = run("actor", "add", "--db", db_url, "--name", "X", "--siret", "[/bold]12")
    assert code == 1
    assert "[/bold]12" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_link_and_search_and_territory(db_url: str) -> None:
    ids = []
    for name, world in (("Médiation Numerique Roubaix", "associative"), ("Orange", "economic")):
        _, out, _ = run(
            "actor",
            "add",
            "--db",
            db_url,
            "--name",
            name,
            "--world",
            world,
            "--commune",
            "59512",
            "--json",
        )
        ids.append(str(json.loads(out)["id"]))
    code, out, _ = run(
        "link",
        "add",
        *ids,
        "--db",
        db_url,
        "--kind",
        "partnership",
        "--form",
        "mecenat",
        "--start",
        "2019",
        "--json",
    )
    assert code == 0 and json.loads(out)["form"] == "mecenat"
    code, out, _ = run("link", "list", "--db", db_url, "--actor", ids[0], "--json")
    assert len(json.loads(out)) == 1
    code, out, _ = run("search", "médiations numériques", "--db", db_url, "--json")
    assert [str(a["id"]) for a in json.loads(out)] == [ids[0]]
    code, out, _ = run("territory", "show", "59512", "--db", db_url, "--json")
    commune = json.loads(out)
    assert commune["name"] == "Roubaix" and commune["actors"] == 2
    assert "DEP:59" in [p["code"] for p in commune["parents"]]
    code, out, _ = run("territory", "show", "DEP:2A", "--db", db_url, "--json")
    assert json.loads(out)["name"] == "Corse-du-Sud"


def test_missing_actor_and_missing_schema(db_url: str, tmp_path: object) -> None:
    code, _, err = run("actor", "show", "999", "--db", db_url)
    assert code == 1 and "999" in err
    code, _, err = run("actor", "list", "--db", f"sqlite:///{tmp_path}/empty.sqlite")
    assert code == 1 and "maillage db upgrade" in err
    assert not (Path(str(tmp_path)) / "empty.sqlite").exists()  # no empty file left behind


def test_db_upgrade_twice_is_harmless(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/fresh.sqlite"
    code, out, _ = run("db", "upgrade", "--db", url, "--json")
    assert code == 0
    first = json.loads(out)
    run("actor", "add", "--db", url, "--name", "Gardé", "--commune", "59350")
    code, out, _ = run("db", "upgrade", "--db", url, "--json")
    assert code == 0 and json.loads(out) == first
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM actor").scalar_one() == 1
    ref = first["reference"]
    assert (ref["regions"], ref["departements"]) == (18, 101)
    assert ref["communes"] == 34969 and ref["epci"] == 1255
    assert ref["centroid_coverage"] > 0.99


def test_help_example_of_actor_add_runs(db_url: str) -> None:
    code, out, _ = run("actor", "add", "--help")
    example = out.split("Exemple : maillage ")[1].split("\n\n")[0]
    args = [a.strip('"') for a in shlex.split(" ".join(example.split()))]
    code, out, err = run(*args, "--db", db_url, "--json")
    assert code == 0, err
    assert json.loads(out)["name"] == "Emmaüs Connect"


def test_file_and_database_errors_are_one_clear_line(db_url: str, tmp_path: Path) -> None:
    code, _, err = run("export", "csv", str(tmp_path / "no" / "such" / "dir.csv"), "--db", db_url)
    assert code == 1 and "dir.csv" in err and "introuvable" in err and "Traceback" not in err
    not_a_db = tmp_path / "acteurs.csv"
    not_a_db.write_text("id,name\n1,A\n", encoding="utf-8")
    code, _, err = run("actor", "list", "--db", str(not_a_db))
    assert code == 1 and "pas une base maillage" in err and "Traceback" not in err
    empty = tmp_path / "vide.csv"
    empty.write_text("", encoding="utf-8")
    code, out, err = run("import", "actors", str(empty), "--db", db_url)
    out, err = " ".join(out.split()), " ".join(err.split())  # the console wraps long lines
    assert code == 0 and "rien à importer" in out and "aucune ligne lue" in err


def test_actor_list_by_territory_agrees_with_the_exports(db_url: str) -> None:
    for commune in ("59350", "59512", "62041"):
        run("actor", "add", "--db", db_url, "--name", f"Acteur {commune}", "--commune", commune)
    run("actor", "add", "--db", db_url, "--name", "Réseau Nord", "--territory", "DEP:59")

    def listed(territory: str) -> list[str]:
        code, out, err = run("actor", "list", "--db", db_url, "--territory", territory, "--json")
        assert code == 0, err
        return sorted(a["name"] for a in json.loads(out))

    assert listed("DEP:59") == ["Acteur 59350", "Acteur 59512", "Réseau Nord"]
    assert listed("Lille") == listed("COM:59350") == ["Acteur 59350"]
    assert listed("REG:32") == ["Acteur 59350", "Acteur 59512", "Acteur 62041", "Réseau Nord"]
    code, _, err = run("actor", "list", "--db", db_url, "--territory", "DEP:999")
    assert code == 1 and "DEP:999" in err


def test_link_values_are_checked_as_a_french_user_writes_them(db_url: str) -> None:
    ids = [
        str(json.loads(run("actor", "add", "--db", db_url, "--name", n, "--json")[1])["id"])
        for n in ("A", "B")
    ]
    base = ["link", "add", *ids, "--db", db_url, "--kind", "funding", "--json"]
    code, out, err = run(*base, "--amount", "1 500,50")
    assert code == 0 and json.loads(out)["amount"] == 1500.5, err
    code, _, err = run(*base, "--weight", "-1")
    assert code == 1 and "supérieur ou égal à 0" in err and "None" not in err
    code, _, err = run(*base, "--territory", "DEP:999")
    assert code == 1 and "territory_code" in err and "DEP:999" in err


def test_a_long_rejected_value_is_shortened_on_the_terminal_only(
    db_url: str, tmp_path: Path
) -> None:
    """A 100,000-character name fills no terminal: the summary shows its start and its
    length; the --report file and --json keep the whole value for whoever fixes the file."""
    name = "Association " + "x" * 100_000
    source = tmp_path / "acteurs.csv"
    source.write_text(f"nom,commune\n{name},59350\nGardée,59350\n", encoding="utf-8")
    report_path = tmp_path / "rejets.json"
    args = ("import", "actors", str(source), "--db", db_url, "--partial", "--dry-run")
    code, out, err = run(*args, "--report", str(report_path))
    assert code == 0, err
    assert len(out) < 2_000
    flat = "".join(out.split())  # the console wraps long lines
    assert "'Associationxxxx" in flat and "(100012caractères)" in flat
    saved = json.loads(report_path.read_text(encoding="utf-8"))
    assert [i["value"] for i in saved if i["severity"] == "error"] == [name]
    code, out, _ = run(*args, "--json")
    assert [i["value"] for i in json.loads(out.splitlines()[-1])["issues"]] == [name]


def test_demo_prints_its_database_url_without_the_password(monkeypatch: MonkeyPatch) -> None:
    """The summary of ``maillage demo`` names its database, never the password in it
    (the build itself is tested in tests/services/test_demo.py: here it is stubbed)."""
    summary: dict[str, Any] = {
        "imports": [],
        "needs": {
            "needs": 0,
            "population": 0,
            "places": 0,
            "rule": {"parameters": {"distance_km": 10.0}},
        },  # fmt: skip
        "counts": {
            "actors_by_world": {},
            "links_by_kind": {},
            "actors_by_region": {},
            "territories_by_level": {},
            "coverage": {
                "actors": 10,
                "worlds_known": 9,
                "worlds_share": 0.9,
                "categories_known": 8,
                "categories_share": 0.8,
                "addressed": 5,
                "placed": 4,
                "approximate": 3,
                "places_share": 0.8,
            },
        },  # fmt: skip
        "resolution": {"candidates": 7, "merged": 3, "groups": 2, "queued": 4},
        "relations": {
            "created": {"affiliation": 3},
            "report": {"holders_unknown": {"pas de pivot (absent ou fictif)": 1}},
            "coverage": {
                "places": 4,
                "with_relation": 3,
                "tied": 1,
                "with_relation_share": 0.75,
                "tied_share": 0.25,
                "links_by_kind": {"affiliation": 3},
                "links_by_source": {"france-services": 3},
            },
        },  # fmt: skip
    }
    monkeypatch.setattr(cli_demo, "build_demo", lambda **_: dict(summary))
    url = "postgresql://maillage:s3cr%40t-Pw@db.example.org:5432/carte"
    code, out, err = run("demo", "--no-serve", "--db", url)
    assert code == 0, err
    assert "s3cr" not in out + err
    assert "postgresql+psycopg://maillage:***@db.example.org:5432/carte" in out
    assert "pas de pivot (absent ou fictif) : 1" in out  # the relations left, by reason
    flat = " ".join(out.split())
    assert "3 des 4 lieux de médiation et France Services (75.0%)" in flat
    assert "3 acteurs fusionnés en 2 groupes (fusions annulables) ; 4 paires à revoir" in flat
    assert "monde connu pour 9 des 10 (90.0%), catégorie pour 8 (80.0%)" in flat
    assert "un lieu pour 4 des 5 ayant une adresse, un code postal ou une commune (80.0%" in flat
