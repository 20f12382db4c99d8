"""The command line, run as a user would (click's runner over a real database)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from click.testing import CliRunner

from builders import valid_siret
from maillage.cli.main import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


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
