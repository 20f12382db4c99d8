"""``maillage import resources`` and ``maillage resources search|export`` on both engines."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import sqlalchemy as sa

from cli.invoke import run


def test_import_search_and_export_resources(db_url: str, data_dir: Path, tmp_path: Path) -> None:
    folder = data_dir / "resources"
    code, out, _ = run("import", "resources", str(folder / "travail"), str(folder / "rhapsodie"),
                       "--dry-run", "--json", "--db", db_url)  # fmt: skip
    assert code == 0 and json.loads(out.splitlines()[-1])["read"] == 8
    code, out, _ = run("import", "resources", str(folder / "travail"), str(folder / "rhapsodie"),
                       "--json", "--db", db_url)  # fmt: skip
    summary = json.loads(out.splitlines()[-1])
    assert code == 0 and summary["created"] == 8 and summary["batch_id"]
    code, out, _ = run("resources", "search", "métro", "--facet", "type=interview", "--json",
                       "--db", db_url)  # fmt: skip
    page = json.loads(out.splitlines()[-1])
    assert (
        code == 0 and page["total"] == 1 and "<mark>métro</mark>" in page["hits"][0]["passages"][0]
    )
    code, out, _ = run("resources", "search", "contrat", "--db", db_url)
    assert code == 0 and "2 ressources / 2 resources" in out
    target = tmp_path / "ressources.csv"
    code, _, _ = run("resources", "export", "--format", "csv", "-o", str(target), "--db", db_url)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert code == 0 and len(rows) == 8 and {r["type"] for r in rows} == {"guide", "interview"}


def test_bad_input_is_one_clear_line(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "fiche.md"
    bad.write_text("---\ntitle: X\ntype: podcast\n---\n", encoding="utf-8")
    code, _, err = run("import", "resources", str(bad), "--db", db_url)
    assert code == 1 and "fiche.md" in err and "type" in err
    code, _, err = run("resources", "search", "x", "--facet", "couleur=bleu", "--db", db_url)
    assert code == 1 and "couleur" in err
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM resource").scalar() == 0
    engine.dispose()


def test_counts_agree_with_their_number(db_url: str, data_dir: Path) -> None:
    """« 1 ressource », « 0 ressource » (French: 0 and 1 singular), "0 resources" in
    English; never « 1 ressources »."""
    folder = data_dir / "resources"
    code, out, _ = run("import", "resources", str(folder / "rhapsodie"), "--db", db_url)
    assert code == 0 and "ressources lues" in out and "déjà présentes" not in out
    read = int(out.split(" ressources lues")[0].split()[-1])
    said = " ".join(out.split())  # as read, whatever the terminal's width
    assert f"{read} resources read, {read} created, 0 already stored" in said  # both halves
    code, out, _ = run("import", "resources", str(folder / "rhapsodie"), "--db", db_url)
    assert code == 0 and "0 créée, " in out and ", 0 created, " in " ".join(out.split())
    code, out, _ = run("resources", "search", "métro", "--facet", "type=interview", "--db", db_url)
    assert code == 0 and "1 ressource / 1 resource\n" in out
    code, out, _ = run("resources", "search", "introuvablezz", "--db", db_url)
    assert code == 0 and "0 ressource / 0 resources\n" in out
