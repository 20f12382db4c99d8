"""``maillage import FORMAT FILE`` on every shipped file meant to be imported.

Counts are what a user reads in the ``--json`` line. They follow the parsers' figures
(tests/io/test_io_real_files.py), plus what only the database can tell: a commune code
unknown to the 2026 geography, a contract whose buyer is its own supplier (a link
needs two actors), records that name the same actor or link twice.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from maillage.cli.main import cli
from maillage.storage.engine import make_engine
from storage.dump import dump

CARTO = "mediation-numerique/cartographie-nationale"
SCDL = "scdl-subventions"
API = f"{SCDL}/api-subventions-asso-fixtures"
BATCH8 = "messy/batch8-mednum"


def run(*args: str) -> tuple[int, dict[str, object]]:
    """Run ``maillage ...`` and return the exit code and the last line as JSON."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    lines = result.stdout.strip().splitlines()
    return result.exit_code, json.loads(lines[-1]) if lines else {}


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database (the per-file counts run on SQLite only)."""
    target = tmp_path / "maillage.sqlite"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


# format, path, flags, (lines, rows, created, updated, merged, unchanged, rejected), status:
# a row is a record (a SCDL row gives a funder, a beneficiary and a grant), counted once;
# a refused import writes nothing: its valid records are rejected too, "not_written"
CASES = [
    ("france-services", "france-services/liste-fs-20240801.csv", (), (2845, 2845, 2845, 0, 0, 0, 0), "done"),
    ("lieux", "mediation-numerique/schema/exemple-valide.csv", (), (1, 1, 1, 0, 0, 0, 0), "done"),
    ("lieux", f"{CARTO}/20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json", (), (646, 646, 646, 0, 0, 0, 0), "done"),
    ("lieux", f"{CARTO}/20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json", (), (188, 188, 188, 0, 0, 0, 0), "done"),
    ("lieux", f"{CARTO}/20231003-bus-france-services-en-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json", (), (12, 12, 12, 0, 0, 0, 0), "done"),
    ("lieux", f"{CARTO}/20240320-nouvelle-caledonie-lieux-de-mediation-numeriques-nouvelle-caledonie.json", (), (90, 90, 90, 0, 0, 0, 0), "done"),
    ("lieux", f"{CARTO}/lieux-cnfs-idf.json", (), (241, 241, 241, 0, 0, 0, 0), "done"),
    ("lieux", f"{CARTO}/lieux-de-mediation-numerique.cnfs.json", (), (2733, 2733, 0, 0, 0, 0, 2733), "failed"),
    ("lieux", f"{CARTO}/lieux-de-mediation-numerique.cnfs.json", ("--partial",), (2733, 2733, 2731, 0, 0, 0, 2), "done"),
    ("scdl", f"{SCDL}/exemple_valide.csv", (), (29, 59, 59, 0, 0, 0, 0), "done"),
    ("scdl", f"{SCDL}/exemple-duplicate-column.csv", (), (29, 59, 59, 0, 0, 0, 0), "done"),
    ("scdl", f"{SCDL}/exemple_invalide_erreurs_cellules.csv", (), (29, 29, 0, 0, 0, 0, 29), "failed"),
    ("scdl", f"{SCDL}/exemple_invalide_erreurs_colonnes.csv", (), (29, 29, 0, 0, 0, 0, 29), "failed"),
    ("scdl", f"{SCDL}/etalab-format-subventions-exemple.csv", (), (2, 2, 0, 0, 0, 0, 2), "failed"),
    ("scdl", f"{SCDL}/etalab-format-subventions-exemple.csv", ("--repair", "--partial"), (2, 4, 3, 0, 0, 0, 1), "done"),
    ("scdl", f"{SCDL}/etalab-format-subventions-format.csv", (), (0, 0, 0, 0, 0, 0, 0), "done"),
    ("scdl", f"{API}/SCDL.csv", (), (4, 4, 0, 0, 0, 0, 4), "failed"),
    ("scdl", f"{API}/SCDL_DILCRAH_2019.csv", ("--repair",), (4, 4, 0, 0, 0, 0, 4), "failed"),
    ("scdl", f"{API}/antibes-fixture.csv", (), (3, 3, 0, 0, 0, 0, 3), "failed"),
    ("scdl", f"{API}/donneesessentielles2019_publiINTERNET.xls-errors.csv", ("--repair",), (8, 8, 0, 0, 0, 0, 8), "failed"),
    ("scdl", f"{API}/test-csv-valid.csv", (), (38, 38, 0, 0, 0, 0, 38), "failed"),
    # AIFE: 3,598 actors and 4,828 links read, 177 records rejected by the parser, 7
    # self-contracts; 226 links twice in the file
    ("decp", "decp/data.gouv.fr_aife.json", ("--partial",), (4530, 3598 + 4828 + 177, 3598 + 4595, 0, 0, 226, 177 + 7), "done"),
    ("decp", "decp/data.gouv.fr_pes.json", (), (552, 1173, 1171, 0, 0, 2, 0), "done"),
    ("decp", "decp/e-marchespublics.json", (), (470, 1052, 0, 0, 0, 0, 1052), "failed"),
    ("decp", "decp/e-marchespublics.json", ("--partial",), (470, 1052, 1040, 0, 0, 10, 2), "done"),
    ("decp", "decp/marches-publics.info.json", ("--partial",), (4509, 8868, 8786, 0, 0, 3, 79), "done"),
    ("data-inclusion", "data-inclusion/fixtures/dataset.xlsx", ("--partial",), (3, 3, 0, 0, 0, 0, 3), "failed"),
    ("data-inclusion", "data-inclusion/examples-v0/001.json", (), (1, 1, 0, 0, 0, 0, 1), "failed"),
    ("actors", f"{BATCH8}/data_centre_sociaux.csv", (), (2261, 2261, 0, 0, 0, 0, 2261), "failed"),
    ("actors", f"{BATCH8}/data_centre_sociaux.csv", ("--partial",), (2261, 2261, 2234, 0, 0, 0, 27), "done"),
    # keyless rows: name, commune and address identify a library; 56 rows repeat one,
    # folded into it (merged, what differs reported)
    # (the 1,180 rows shipped keep every rejected and repeated row of the 15,779)
    ("actors", f"{BATCH8}/adresses-des-bibliotheques-publiques.csv", ("--partial",), (1180, 1180, 1038, 0, 56, 0, 86), "done"),
    ("actors", f"{BATCH8}/liste-donnees-mediatheques.csv", (), (844, 844, 843, 0, 1, 0, 0), "done"),
    # the 1,100 rows shipped keep the 104 rejected rows of the 35,010
    ("indicators", f"{BATCH8}/taux_couverture_mobile.csv", ("--partial",), (1100, 1100, 996, 0, 0, 0, 104), "done"),
    ("indicators", f"{BATCH8}/data_DEMO_2020_V1_QP.csv", ("--partial",), (1400, 1400, 0, 0, 0, 0, 1400), "failed"),
]  # fmt: skip
COUNTS = ("lines", "rows", "created", "updated", "merged", "unchanged", "rejected")


@pytest.mark.parametrize(("fmt", "path", "flags", "counts", "status"), CASES)
def test_shipped_file_counts(
    data_dir: Path, sqlite_url: str, fmt: str, path: str, flags: tuple[str, ...],
    counts: tuple[int, ...], status: str,
) -> None:  # fmt: skip
    code, report = run("import", fmt, str(data_dir / path), "--db", sqlite_url, "--json", *flags)
    assert tuple(report[k] for k in COUNTS) == counts
    assert (report["status"], code) == (status, 1 if status == "failed" else 0)
    issues = report["issues"]
    own = report["rejected"] - report["not_written"]  # type: ignore[operator]
    assert isinstance(issues, list) and len(issues) >= own
    assert all(i["message"] and i["severity"] == "error" for i in issues)
    if status == "done" and counts[2]:
        code, again = run("import", fmt, str(data_dir / path), "--db", sqlite_url, "--json", *flags)
        assert (again["created"], again["status"]) == (0, "done")  # no duplicate on re-import


def test_invalid_scdl_rejected_for_the_schema_reasons(data_dir: Path, sqlite_url: str) -> None:
    path = data_dir / SCDL / "exemple_invalide_erreurs_cellules.csv"
    _, report = run("import", "scdl", str(path), "--db", sqlite_url, "--json")
    fields: dict[str, int] = {}
    for issue in report["issues"]:  # type: ignore[attr-defined]
        fields[issue["field"]] = fields.get(issue["field"], 0) + 1
    assert fields == {
        "idAttribuant": 29, "idBeneficiaire": 21, "rnaBeneficiaire": 3, "dateConvention": 1,
        "montant": 1, "nature": 1, "conditionsVersement": 1, "datesPeriodeVersement": 1,
        "notificationUE": 2, "pourcentageSubvention": 4,
    }  # fmt: skip


def test_report_file_and_count_in_json(data_dir: Path, sqlite_url: str, tmp_path: Path) -> None:
    report_path = tmp_path / "rejets.csv"
    code, report = run(
        "import", "france-services", str(data_dir / "france-services/liste-fs-20240801.csv"),
        "--db", sqlite_url, "--json", "--dry-run", "--report", str(report_path),
    )  # fmt: skip
    assert (code, report["status"], report["created"], report["issues"]) == (0, "dry_run", 2845, 0)
    lines = report_path.read_text("utf-8").splitlines()
    assert lines[0] == "file,row,field,value,message,severity"
    assert sum("code commune d'avant fusion" in line for line in lines) == 3  # 49069, 93059 x2
    assert dump(make_engine(sqlite_url))["actor"] == []


def _tables(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every table, rows in key order, plus the search index (see storage/dump.py)."""
    engine = make_engine(url)
    out = dump(engine)
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name not in out and table.primary_key.columns:
                query = sa.select(table).order_by(*table.primary_key.columns)
                out[table.name] = [tuple(r) for r in conn.execute(query)]
    engine.dispose()
    return out


def test_undo_batch_removes_the_whole_import_and_only_it(data_dir: Path, db_url: str) -> None:
    _, first = run("import", "decp", str(data_dir / "decp/data.gouv.fr_pes.json"),
                   "--db", db_url, "--json")  # fmt: skip
    before = _tables(db_url)
    _, second = run("import", "scdl", str(data_dir / SCDL / "exemple_valide.csv"),
                    "--db", db_url, "--json")  # fmt: skip
    assert second["details"] == {
        "actors": {
            "rows": 30,
            "created": 30,
            "updated": 0,
            "merged": 0,
            "unchanged": 0,
            "rejected": 0,
            "not_written": 0,
        },
        "links": {
            "rows": 29,
            "created": 29,
            "updated": 0,
            "merged": 0,
            "unchanged": 0,
            "rejected": 0,
            "not_written": 0,
        },
    }
    result = CliRunner().invoke(cli, ["undo", "--batch", str(second["batch_id"]), "--db", db_url])
    assert result.exit_code == 0 and "59 changement(s)" in result.stdout
    after = _tables(db_url)
    for name in ("actor", "actor_identifier", "actor_territory", "link", "search"):
        assert after[name] == before[name], name
    with make_engine(db_url).connect() as conn:
        live = conn.exec_driver_sql("SELECT count(*) FROM actor").scalar_one()
    assert live == first["details"]["actors"]["created"]  # type: ignore[index]


def test_failed_import_leaves_the_database_as_before(data_dir: Path, db_url: str) -> None:
    run("import", "france-services", str(data_dir / "france-services/liste-fs-20240801.csv"),
        "--db", db_url, "--json")  # fmt: skip
    before = _tables(db_url)
    code, report = run("import", "decp", str(data_dir / "decp/data.gouv.fr_aife.json"),
                       "--db", db_url, "--json")  # fmt: skip
    own = report["rejected"] - report["not_written"]  # type: ignore[operator]
    assert (code, report["status"], own, report["rejected"]) == (1, "failed", 184, report["rows"])
    after = _tables(db_url)
    runs = after.pop("import_run")
    assert after == {k: v for k, v in before.items() if k != "import_run"}
    assert len(runs) == len(before["import_run"]) + 1  # the refusal is logged, nothing else


def test_options_are_checked(data_dir: Path, sqlite_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", "gexf", str(data_dir / "decp/data.gouv.fr_pes.json"),
                                      "--db", sqlite_url, "--map", "a=b"])  # fmt: skip
    assert result.exit_code == 1 and "--map ne s'applique pas" in result.stderr
    actors = tmp_path / "acteurs.csv"
    actors.write_text("nom,ville\nAsso,Lille\n", encoding="utf-8")
    typo = CliRunner().invoke(cli, ["import", "actors", str(actors), "--db", sqlite_url,
                                    "--map", "ville=commune"])  # fmt: skip
    assert typo.exit_code == 1 and "'ville=commune' — champ inconnu" in typo.stderr
    assert "commune_name" in typo.stderr
    help_text = CliRunner().invoke(cli, ["import", "scdl", "--help"]).stdout
    assert "--repair" in help_text and "Exemple : maillage import scdl" in help_text


def test_the_rejects_file_opens_in_a_spreadsheet_without_running_a_value(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A rejected value is written back in the --report file: one that looks like a
    formula must not run when the analyst opens the file, and must read back as it was."""
    source = tmp_path / "acteurs.csv"
    source.write_text('nom,siret\nAtelier,"=HYPERLINK(""http://x"";""clic"")"\n', "utf-8")
    report_path = tmp_path / "rejets.csv"
    code, _ = run("import", "actors", str(source), "--db", sqlite_url, "--json",
                  "--report", str(report_path))  # fmt: skip
    assert code == 1
    with report_path.open(newline="", encoding="utf-8") as handle:
        (row,) = [r for r in csv.DictReader(handle) if r["field"] == "siret"]
    assert row["value"] == "'" + '=HYPERLINK("http://x";"clic")'


@pytest.mark.parametrize(
    ("command", "name", "content", "expected"),
    [
        (
            "actors",
            "quote.csv",
            b'nom,siret\nA,1\nB,"x\nC,3\n',
            "« quote.csv », ligne 3 : guillemet",
        ),
        ("actors", "big.csv", b"nom,siret\nA," + b"x" * 1_100_000 + b"\n", "« big.csv », ligne 2"),
        ("actors", "acteurs.xlsx", b"nom,siret\nA,1\n", "« acteurs.xlsx » : pas un classeur"),
        ("lieux", "deep.json", b"[" * 100_000, "« deep.json » : JSON trop profondément"),
        ("decp", "latin.json", b'{"marches": "\xe9"}', "« latin.json », octet 14 : pas en UTF-8"),
    ],
)
def test_a_broken_file_is_one_line_exit_1_and_nothing_written(
    sqlite_url: str, tmp_path: Path, command: str, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["import", command, str(path), "--db", sqlite_url])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines
    with make_engine(sqlite_url).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM actor")).scalar() == 0
        assert connection.execute(sa.text("SELECT count(*) FROM import_run")).scalar() == 0


def test_links_summary_counts_each_rejected_row_once_for_links(
    sqlite_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "net"
    folder.mkdir()
    (folder / "acteurs.csv").write_text("id,nom,code_commune\nA1,Alpha,59350\nA2,Beta,59350\n"
                                        "A3,Gamma,59350\n", encoding="utf-8")  # fmt: skip
    rows = [
        "source,cible,type,date_debut,montant",
        "A1,A2,partnership,2020,",  # 2: created
        "A1,,partnership,2020,",  # 3: no target (reader)
        "A1,A1,partnership,2020,",  # 4: an actor with itself (reader)
        "A1,A9,partnership,2020,",  # 5: unknown end (import)
        "A2,A3,partnership,31/02/2020,abc",  # 6: two errors, one row (reader)
        "A2,A3,foo,2021,",  # 7: unknown kind (import)
        "A1,A2,partnership,2020,",  # 8: row 2 again: kept once
        "A3,A1,partnership,2019,-5",  # 9: negative amount (import)
    ]
    (folder / "liens.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert (
        run("import", "actors", str(folder / "acteurs.csv"), "--db", sqlite_url, "--json")[0] == 0
    )
    args = ("import", "links", str(folder / "liens.csv"), "--db", sqlite_url, "--partial")
    code, report = run(*args, "--json", "--dry-run")
    assert (code, report["rows"], report["created"], report["unchanged"]) == (0, 8, 1, 1)
    issues = report["issues"]
    assert isinstance(issues, list) and len(issues) == 7
    assert report["rejected"] == len({i["row"] for i in issues}) == 6
    assert report["details"] == {
        "actors": {
            "rows": 0,
            "created": 0,
            "updated": 0,
            "merged": 0,
            "unchanged": 0,
            "rejected": 0,
            "not_written": 0,
        },
        "links": {
            "rows": 8,
            "created": 1,
            "updated": 0,
            "merged": 0,
            "unchanged": 1,
            "rejected": 6,
            "not_written": 0,
        },
    }
    text = CliRunner().invoke(cli, [*args], catch_exceptions=False).stdout
    assert "lignes 8 · créés 1 · mis à jour 0 · fusionnés 0 · inchangés 1 · rejetés 6" in text
    assert "  liens : créés 1 · inchangés 1 · rejetés 6\n" in text and "acteurs :" not in text
    assert "7 erreurs pour 6 rejet(s) :" in text
    listed = [line.split(",")[1] for line in text.splitlines() if line.startswith("  • ")]
    assert listed == [" ligne 3", " ligne 4", " ligne 5", " ligne 6", " ligne 6", " ligne 7",
                      " ligne 9"]  # fmt: skip


def _fresh(sqlite_template: Path, path: Path) -> str:
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def test_import_links_of_our_own_xlsx_export(
    sqlite_template: Path, sqlite_url: str, tmp_path: Path
) -> None:
    """``maillage export xlsx`` then, into a fresh database, ``import actors`` and
    ``import links`` of the workbook: each reads its own sheet (``--sheet`` picks one)."""
    folder = tmp_path / "carte"
    folder.mkdir()
    (folder / "acteurs.csv").write_text(
        "id,nom,code_commune,monde\nA1,Emmaüs Connect,59350,associative\n"
        "A2,Médiathèque Jean Macé,59350,public\nA3,Université de Lille,59009,academic\n",
        encoding="utf-8",
    )
    (folder / "liens.csv").write_text("source,cible,type\nA1,A2,partnership\nA2,A3,funding\n",
                                      encoding="utf-8")  # fmt: skip
    for what in ("actors", "links"):
        name = "acteurs.csv" if what == "actors" else "liens.csv"
        assert run("import", what, str(folder / name), "--db", sqlite_url, "--json")[0] == 0
    workbook = folder / "carte.xlsx"
    exported = CliRunner().invoke(cli, ["export", "xlsx", str(workbook), "--db", sqlite_url])
    assert exported.exit_code == 0, exported.output
    copy = _fresh(sqlite_template, tmp_path / "copie.sqlite")
    code, actors = run("import", "actors", str(workbook), "--db", copy, "--json")
    assert (code, actors["file"], actors["rows"], actors["created"]) == (0, str(workbook), 3, 3)
    code, wrong = run("import", "links", str(workbook), "--db", copy, "--sheet", "actors",
                      "--json", "--dry-run")  # fmt: skip
    assert (code, wrong["rows"], wrong["rejected"]) == (1, 3, 3)
    code, links = run("import", "links", str(workbook), "--db", copy, "--json")
    assert (code, links["rows"], links["created"], links["rejected"]) == (0, 2, 2, 0)
    with make_engine(copy).connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT s.name, t.name, l.kind FROM link l JOIN actor s ON s.id = l.source_id "
            "JOIN actor t ON t.id = l.target_id ORDER BY l.id").all()  # fmt: skip
    assert [tuple(r) for r in stored] == [
        ("Emmaüs Connect", "Médiathèque Jean Macé", "partnership"),
        ("Médiathèque Jean Macé", "Université de Lille", "funding"),
    ]
    result = CliRunner().invoke(cli, ["import", "links", str(folder / "liens.csv"), "--db",
                                      copy, "--sheet", "liens"])  # fmt: skip
    assert result.exit_code == 1 and "--sheet ne s'applique qu'à un classeur" in result.output
    result = CliRunner().invoke(cli, ["import", "links", str(workbook), "--db", copy,
                                      "--sheet", "liens"])  # fmt: skip
    assert result.exit_code == 1 and "pas de feuille « liens » (feuilles : actors, links)" in (
        result.output
    )


def test_import_links_naming_their_ends_by_name(sqlite_url: str, tmp_path: Path) -> None:
    """A links file with no key: ends are organisation names, kinds are the file's own
    words; ``--map-kind`` maps them, a doubtful name rejects its row only."""
    folder = tmp_path / "reseau"
    folder.mkdir()
    (folder / "structures.csv").write_text(
        "nom;adresse;code_insee\nEmmaüs Connect;7 rue Nationale;59350\n"
        "Médiathèque Jean Macé;12 rue Victor Hugo;59350\nUniversité de Lille;42 rue Paul "
        "Duez;59350\n",
        encoding="utf-8",
    )
    (folder / "partenariats.csv").write_text(
        "organisation source;organisation cible;nature du lien\n"
        "Emmaüs Connect;Médiathèque Jean Macé;partenaire\n"
        "Médiathèque Jean Macé;Universite de Lille;adhérent\n"
        "Emmaüs Connect;Mediatheque J. Mace;partenaire\n",
        encoding="utf-8",
    )
    assert run("import", "actors", str(folder / "structures.csv"), "--db", sqlite_url,
               "--json")[0] == 0  # fmt: skip
    args = ["import", "links", str(folder / "partenariats.csv"), "--db", sqlite_url,
            "--map", "organisation source=source_key", "--map", "organisation cible=target_key",
            "--map", "nature du lien=kind", "--json"]  # fmt: skip
    code, refused = run(*args)
    assert (code, refused["rows"], refused["unchanged"], refused["rejected"]) == (1, 3, 0, 3)
    assert [i["message"][:20] for i in refused["issues"]] == [  # type: ignore[index]
        "type de lien inconnu",
        "type de lien inconnu",
        "aucun acteur de ce n",
    ]
    code, report = run(*args, "--map-kind", "partenaire=partnership", "--map-kind",
                       "adhérent=membership", "--partial")  # fmt: skip
    assert (code, report["rows"], report["created"], report["rejected"]) == (0, 3, 2, 1)
    assert report["details"]["links"] == {  # type: ignore[index]
        "rows": 3,
        "created": 2,
        "updated": 0,
        "merged": 0,
        "unchanged": 0,
        "rejected": 1,
        "not_written": 0,
    }
    (issue,) = report["issues"]  # type: ignore[misc]
    assert (issue["row"], issue["field"], issue["value"]) == (
        4,
        "target_key",
        "Mediatheque J. Mace",
    )
    assert issue["message"].startswith(
        "aucun acteur de ce nom ; noms proches, non retenus "
        "sans vous : « Médiathèque Jean Macé » (n° 2, 59350)"
    )
