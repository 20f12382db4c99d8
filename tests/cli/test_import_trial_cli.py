"""Defects a user trial found in ``maillage import``, as the user meets them on the
terminal and in ``--json``: a refused import's valid rows, an unknown link kind's way
out on an 80-column terminal, our own export imported again, a search by an e-mail."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from maillage.cli import common
from maillage.cli.main import cli
from maillage.storage.engine import make_engine

COUNTS = ("rows", "created", "updated", "merged", "unchanged", "rejected", "not_written")


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _json(*args: str) -> tuple[int, dict[str, object]]:
    result = _invoke(*args, "--json")
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def _counts(report: dict[str, object]) -> tuple[object, ...]:
    return tuple(report.get(k, 0) for k in COUNTS)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


ACTORS = """\
nom;adresse;code_postal;commune;siret;courriel
Médiathèque Jean Macé;12 rue Victor Hugo;59000;Lille;;contact@mediatheque-lille.fr
Centre social Arc-en-ciel;3 place de la République;59100;Roubaix;;
Espace numérique;1 rue du Port;59140;Dunkerque;12345678901234;
"""


def test_a_refused_import_counts_its_valid_rows_rejected_not_written(
    db_url: str, tmp_path: Path
) -> None:
    """One bad SIRET refuses the file: its two valid rows are not « inchangés » but
    rejected with it, « valides non écrites », the same in --json, its details and on
    the terminal; with --partial they are created."""
    path = _write(tmp_path / "tiers-lieux" / "acteurs.csv", ACTORS)
    code, report = _json("import", "actors", str(path), "--db", db_url)
    assert (code, report["status"], *_counts(report)) == (1, "failed", 3, 0, 0, 0, 0, 3, 2)
    assert report["details"]["actors"] == dict(zip(COUNTS, (3, 0, 0, 0, 0, 3, 2), strict=True))  # type: ignore[index]
    assert [(i["row"], i["field"]) for i in report["issues"]] == [(4, "siret")]  # type: ignore[union-attr]
    text = " ".join(_invoke("import", "actors", str(path), "--db", db_url).stdout.split())
    assert ("lignes 3 · créés 0 · mis à jour 0 · fusionnés 0 · inchangés 0 · rejetés 3 (dont 2 "
            "valide(s) non écrite(s))") in text  # fmt: skip
    assert "acteurs : rejetés 3 (dont 2 valide(s) non écrite(s))" in text
    assert "--partial pour garder les lignes valides" in text
    code, done = _json("import", "actors", str(path), "--db", db_url, "--partial")
    assert (code, *_counts(done)) == (0, 3, 2, 0, 0, 0, 1, 0)


def test_an_unknown_link_kind_shows_its_map_kind_hint_on_80_columns(
    db_url: str, tmp_path: Path, monkeypatch: object
) -> None:
    folder = tmp_path / "reseau"
    _write(folder / "acteurs.csv", "id;nom;code_insee\nA1;Emmaüs Connect;59350\n"
           "A2;Médiathèque Jean Macé;59350\n")  # fmt: skip
    links = _write(folder / "liens.csv", "source;cible;type\nA1;A2;compagnonnage\n")
    assert _json("import", "actors", str(folder / "acteurs.csv"), "--db", db_url)[0] == 0
    monkeypatch.setattr(common.console, "width", 80)  # type: ignore[attr-defined]
    result = _invoke("import", "links", str(links), "--db", db_url)
    assert result.exit_code == 1
    assert max(map(len, result.stdout.splitlines())) <= 80
    text = " ".join(result.stdout.split())
    assert ('type de lien inconnu : à rattacher à l\'un des nôtres avec --map-kind '
            '"compagnonnage=CODE" (répétable) ; types connus : partnership') in text  # fmt: skip
    assert "other (Autre lien) ('compagnonnage')" in text  # the whole list, nothing cut
    code, mapped = _json("import", "links", str(links), "--db", db_url, "--map-kind",
                         "compagnonnage=exchange_of_practice")  # fmt: skip
    assert (code, *_counts(mapped)) == (0, 1, 1, 0, 0, 0, 0, 0)


def test_our_export_imported_again_changes_nothing(db_url: str, tmp_path: Path) -> None:
    """``export csv`` then ``import actors`` of it (and ``export xlsx`` then ``import
    actors`` and ``import links``): every actor and link unchanged, each actor keeping
    its source; an edited address updates that actor only, its source still kept."""
    folder = tmp_path / "lille"
    _write(folder / "acteurs.csv", "id;nom;adresse;code_postal;commune;courriel\n"
           "A1;Médiathèque Jean Macé;12 rue Victor Hugo;59000;Lille;contact@mediatheque-lille.fr"
           ", accueil@mediatheque-lille.fr\n"
           "A2;Centre social Arc-en-ciel;3 place de la République;59100;Roubaix;\n"
           "A3;Emmaüs Connect;7 rue Nationale;59000;Lille;\n")  # fmt: skip
    _write(folder / "liens.csv", "source;cible;type\nA1;A2;partnership\nA3;A1;funding\n")
    assert _json("import", "actors", str(folder / "acteurs.csv"), "--db", db_url)[0] == 0
    assert _json("import", "links", str(folder / "liens.csv"), "--db", db_url)[0] == 0
    out = tmp_path / "exports"
    out.mkdir()
    for fmt in ("csv", "xlsx"):
        exported = _invoke("export", fmt, str(out / f"carte.{fmt}"), "--db", db_url)
        assert exported.exit_code == 0, exported.output
    code, again = _json("import", "actors", str(out / "carte.csv"), "--db", db_url)
    assert (code, again["source"], *_counts(again)) == (0, "exports", 3, 0, 0, 0, 3, 0, 0)
    code, links = _json("import", "links", str(out / "carte-liens.csv"), "--db", db_url)
    assert (code, *_counts(links)) == (0, 2, 0, 0, 0, 2, 0, 0)
    code, book = _json("import", "actors", str(out / "carte.xlsx"), "--db", db_url)
    assert (code, *_counts(book)) == (0, 3, 0, 0, 0, 3, 0, 0)
    code, book_links = _json("import", "links", str(out / "carte.xlsx"), "--db", db_url)
    assert (code, *_counts(book_links)) == (0, 2, 0, 0, 0, 2, 0, 0)
    text = (out / "carte.csv").read_text("utf-8").replace("3 place de la", "5 place de la")
    _write(out / "carte.csv", text)
    code, edited = _json("import", "actors", str(out / "carte.csv"), "--db", db_url)
    assert (code, *_counts(edited)) == (0, 3, 0, 1, 0, 2, 0, 0)
    with make_engine(db_url).connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT name, address, source FROM actor ORDER BY id").all()  # fmt: skip
        (links_stored,) = conn.exec_driver_sql("SELECT count(*) FROM link").one()
    assert [tuple(r) for r in stored] == [
        ("Médiathèque Jean Macé", "12 rue Victor Hugo", "lille"),
        ("Centre social Arc-en-ciel", "5 place de la République", "lille"),
        ("Emmaüs Connect", "7 rue Nationale", "lille"),
    ]
    assert links_stored == 2


def test_search_finds_an_actor_by_its_other_e_mail(db_url: str, tmp_path: Path) -> None:
    path = _write(tmp_path / "lille" / "acteurs.csv", "nom;code_postal;commune;courriel\n"
                  "Médiathèque Jean Macé;59000;Lille;contact@mediatheque-lille.fr, "
                  "accueil@mediatheque-lille.fr\nCentre social;59100;Roubaix;\n")  # fmt: skip
    assert _json("import", "actors", str(path), "--db", db_url)[0] == 0
    result = _invoke("search", "accueil@mediatheque-lille.fr", "--db", db_url, "--json")
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert [a["name"] for a in found] == ["Médiathèque Jean Macé"]
