"""Digital solutions on both engines: created and imported with every write audited and
undoable, a bad spreadsheet cell refused with its file, row and column and nothing
written, carriers given by SIRET, exports reading back to the same solutions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

import datafiles
from builders import make_actor, valid_siret
from maillage.io.reading import read_table
from maillage.io.solutions import COLUMNS, parse_solution_table
from maillage.model.errors import InvalidInput
from maillage.services import actors
from maillage.services import solutions as service
from maillage.storage.audit import Context
from maillage.storage.engine import transaction
from maillage.storage.tables import change, solution
from maillage.storage.undo import undo_change

DATA = datafiles.DATA / "solutions"


def test_a_solution_is_created_with_its_openness_and_audited(db: sa.Engine) -> None:
    carrier = actors.create_actor(db=db, values=make_actor(name="Emmaüs Connect"))["id"]
    made = service.create_solution(db=db, user="user:1", values={
        "name": "Carto des aidants", "kind": "platform", "licence": "AGPL-3.0",
        "open_source": True, "open_data": True, "carriers": [carrier],
        "territories": ["DEP:59"], "themes": ["inclusion-numerique"],
        "resources": [{"title": "Documentation", "url": "https://carto.example.org/docs"}],
    })  # fmt: skip
    shown = service.get_solution(db=db, solution_id=made["id"])
    assert shown["kind"] == "platform" and shown["open_source"] is True
    assert shown["carrier_names"] == [{"id": carrier, "name": "Emmaüs Connect"}]
    assert shown["resources"][0]["url"] == "https://carto.example.org/docs"
    with db.connect() as conn:
        logged = conn.execute(sa.select(change.c.user, change.c.after).where(
            change.c.entity == "solution")).one()  # fmt: skip
    assert logged.user == "user:1" and logged.after["licence"] == "AGPL-3.0"
    with pytest.raises(InvalidInput) as refused:
        service.create_solution(db=db, values={"name": "X", "kind": "rocket"})
    assert refused.value.field == "kind"
    with pytest.raises(InvalidInput) as unknown:
        service.create_solution(db=db, values={"name": "Y", "territories": ["DEP:999"]})
    assert unknown.value.field == "territories"


def test_an_import_is_all_or_nothing_and_names_file_row_and_column(db: sa.Engine) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.import_solutions(db=db, path=DATA / "bad-row.csv")
    message = str(refused.value)
    assert "bad-row.csv" in message and "ligne 3" in message and "type" in message
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(solution)).scalar() == 0


def test_imported_solutions_export_and_read_back(db: sa.Engine, tmp_path: Path) -> None:
    siret = valid_siret(4242)
    carrier = actors.create_actor(db=db, values=make_actor(name="Porteur", siret=siret))["id"]
    source = (DATA / "solutions.csv").read_text(encoding="utf-8").replace(";1;", f";{siret};", 1)
    file = tmp_path / "solutions.csv"
    file.write_text(source, encoding="utf-8")
    batch_id, ids = service.import_solutions(db=db, path=file, user="import")
    assert len(ids) == 2
    first = service.get_solution(db=db, solution_id=ids[0])
    assert first["carriers"] == [carrier]  # the SIRET named the actor
    assert first["open_data"] is True and first["open_source"] is False
    rows = service.solution_rows(db=db)
    assert [r["name"] for r in rows] == ["Pass numérique solidaire", "Carto des aidants"]
    exported = tmp_path / "export.csv"
    with exported.open("w", encoding="utf-8") as out:
        out.write(";".join(COLUMNS) + "\n")
        for r in rows:
            out.write(";".join("" if r[c] is None else str(r[c]) for c in COLUMNS) + "\n")
    again = parse_solution_table(read_table(exported))
    assert [(r["name"], r.get("licence"), r["resources"]) for r in again] == [
        (r["name"], r["licence"] or None, service.list_solutions(db=db)[i]["resources"])
        for i, r in enumerate(rows)
    ]


def test_an_update_of_a_solution_can_be_undone(db: sa.Engine) -> None:
    made = service.create_solution(db=db, values={"name": "Pass", "kind": "service"})
    service.update_solution(db=db, solution_id=made["id"], changes={"licence": "MIT"})
    with db.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(change.c.id))).scalar()
    with transaction(db) as conn:
        undo_change(conn, int(last), ctx=Context(user="cli"))
    assert service.get_solution(db=db, solution_id=made["id"])["licence"] is None


def test_the_command_line_imports_lists_and_exports(db: sa.Engine, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from maillage.cli.main import cli

    url = db.url.render_as_string(hide_password=False)
    actors.create_actor(db=db, values=make_actor(name="Porteur"))
    runner = CliRunner()
    done = runner.invoke(cli, ["solution", "import", str(DATA / "solutions.csv"), "--db", url])
    assert done.exit_code == 0, done.output
    assert "2 solutions importées" in done.output
    refused = runner.invoke(cli, ["solution", "import", str(DATA / "bad-row.csv"), "--db", url])
    assert refused.exit_code == 1 and "ligne 3" in refused.output
    listed = runner.invoke(
        cli, ["solution", "list", "--territory", "DEP:59", "--json", "--db", url]
    )
    assert [r["name"] for r in json.loads(listed.output)] == [
        "Pass numérique solidaire", "Carto des aidants"]  # fmt: skip
    out = tmp_path / "export.csv"
    assert runner.invoke(cli, ["solution", "export", "-o", str(out), "--db", url]).exit_code == 0
    again = parse_solution_table(read_table(out))
    assert [r["name"] for r in again] == ["Pass numérique solidaire", "Carto des aidants"]


def test_the_demo_startups_become_solutions_with_their_sponsors(db: sa.Engine) -> None:
    from maillage.services import solution_demo

    done = solution_demo.load_startups(db=db, directory=DATA / "startups")
    assert done == {"solutions": 2, "carriers": 2}
    found = {s["name"]: s for s in service.list_solutions(db=db)}
    carnet = found["Carnet d'aidant"]
    assert [c["name"] for c in carnet["carrier_names"]] == ["Agence de test"]
    assert carnet["extra"]["phases"] == [{"name": "investigation", "start": "2021-02-01"},
                                         {"name": "acceleration", "start": "2022-06-15"}]  # fmt: skip
    assert carnet["stage"] == "innovation" and carnet["open_source"] is True
    assert carnet["themes"] == ["inclusion-numerique", "innovation-sociale"]
    assert len(found["Vélo-école"]["carriers"]) == 2 and found["Vélo-école"]["stage"] is None
    again = solution_demo.load_startups(db=db, directory=DATA / "startups")
    assert again["solutions"] == 0  # already there


def test_a_theme_given_by_its_label_is_stored_as_its_code(db: sa.Engine) -> None:
    """A spreadsheet says « Inclusion numérique », as its readers do: the solution is on
    the theme inclusion-numerique (found by the theme filter and the territory pages);
    a theme the taxonomy lacks (a need's own) is kept as written."""
    made = service.create_solution(db=db, values={
        "name": "Bus numérique 23", "themes": ["Inclusion numérique", "ACCÈS AUX SERVICES PUBLICS", "fablab"]})  # fmt: skip
    assert service.get_solution(db=db, solution_id=made["id"])["themes"] == [
        "acces-aux-services-publics", "fablab", "inclusion-numerique"]  # fmt: skip
    for asked in ("inclusion-numerique", "Inclusion numérique"):  # the filter reads either
        on_theme = service.list_solutions(db=db, theme=asked)
        assert [s["name"] for s in on_theme] == ["Bus numérique 23"]
