"""What an import reports, read from files written as users write them: one count that
balances (rows = created + updated + merged + unchanged + rejected, in the totals and
per entity), and duplicates inside a file reported with what differs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from maillage.model.errors import InvalidInput
from maillage.services import importing
from maillage.services.importing.report import ImportReport
from maillage.storage.tables import actor


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _counts(report: ImportReport) -> tuple[int, ...]:
    return (report.rows, report.created, report.updated, report.merged, report.unchanged,
            report.rejected)  # fmt: skip


ACTORS = """\
nom;adresse;code_postal;commune;siret;courriel;telephone
Médiathèque Jean Macé;12 rue Victor Hugo;59000;Lille;;contact@mediatheque-lille.fr;
Centre social Arc-en-ciel;3 place de la République;59100;Roubaix;;;03 20 00 00 00
Médiathèque Jean Macé;12 rue Victor Hugo;59000;Lille;;accueil@mediatheque-lille.fr;03 20 11 22 33
;5 rue sans nom;59000;Lille;;;
Espace numérique;1 rue du Port;59140;Dunkerque;12345678901234;;
Centre social Arc-en-ciel;3 place de la République;59100;Roubaix;;;03 20 00 00 00
"""


def test_a_file_s_rows_balance_in_totals_and_details(db: sa.Engine, tmp_path: Path) -> None:
    """Six rows: one rejected by the reader (no name), one by the import (SIRET check
    digit), two repeats of earlier rows (one with another e-mail: merged into it, one
    the same: unchanged), two created; a refused import writes nothing: its four valid
    rows are rejected with it, counted ``not_written``."""
    path = _write(tmp_path / "tiers-lieux" / "acteurs.csv", ACTORS)
    failed = importing.import_file(db=db, fmt="actors", path=path)
    assert failed.status == "failed" and _counts(failed) == (6, 0, 0, 0, 0, 6)
    assert failed.not_written == failed.details["actors"]["not_written"] == 4
    done = importing.import_file(db=db, fmt="actors", path=path, partial=True)
    assert done.status == "done" and _counts(done) == (6, 2, 0, 1, 1, 2)
    assert done.lines == 6
    assert done.details["actors"] == {"rows": 6, "created": 2, "updated": 0, "merged": 1,
                                      "unchanged": 1, "rejected": 2,
                                      "not_written": 0}  # fmt: skip
    assert [(i.row, i.field) for i in done.issues] == [(5, "name"), (6, "siret")]
    again = importing.import_file(db=db, fmt="actors", path=path, partial=True)
    assert _counts(again) == (6, 0, 0, 1, 3, 2)  # rows 2 and 3 unchanged; 4 folded into 2


def test_a_scdl_row_counts_its_funder_beneficiary_and_grant(db: sa.Engine, tmp_path: Path) -> None:
    """A SCDL row gives up to three records: the report's rows count records (two
    grants of one funder: one funder, two beneficiaries, two links), ``lines`` the
    file's rows; a row the reader rejects counts once."""
    header = ("nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,"
              "idBeneficiaire,rnaBeneficiaire,objet,montant,nature,conditionsVersement,"
              "datesPeriodeVersement,idRAE,notificationUE,pourcentageSubvention\n")  # fmt: skip
    rows = (
        "LILLE,21590350100017,2024-03-01,D1,EMMAUS CONNECT,79440863300038,,Ateliers "
        "numériques,15000,aide en numéraire,unique,2024-04-01,,non,0.5\n"
        "LILLE,21590350100017,2024-03-02,D2,LA BASTIDE,,W595000001,Accueil,8000,"
        "aide en numéraire,unique,2024-04-01,,non,0.2\n"
        "LILLE,21590350100017,2024-13-45,D3,SANS DATE,,W595000002,Accueil,8000,"
        "aide en numéraire,unique,2024-04-01,,non,0.2\n"
    )
    path = _write(tmp_path / "subventions.csv", header + rows)
    report = importing.import_file(db=db, fmt="scdl", path=path, partial=True)
    assert (report.lines, *_counts(report)) == (3, 6, 5, 0, 0, 0, 1), report.issues
    assert {e: c["rows"] for e, c in report.details.items()} == {
        "actors": 3, "links": 2, "records": 1}  # fmt: skip


def test_a_wide_indicators_row_counts_once_per_indicator(db: sa.Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "couverture.csv",
                  "code_insee;nom;couverture_mobile;couverture_thd\n59350;Lille;0,98;0,91\n"
                  "59512;Roubaix;0,97;\n99999;Nulle part;0,5;0,5\n")  # fmt: skip
    report = importing.import_file(db=db, fmt="indicators", path=path, partial=True, year=2024)
    assert (report.lines, *_counts(report)) == (3, 4, 3, 0, 0, 0, 1)
    assert report.details["indicators"]["rows"] == 4


def test_a_table_refused_whole_counts_every_row_rejected(db: sa.Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "besoins.csv", "lieu;thème\nLille;Inclusion numérique\n"
                  "Roubaix;Inclusion numérique\n")  # fmt: skip
    report = importing.import_file(db=db, fmt="needs", path=path)
    assert (report.status, *_counts(report)) == ("failed", 2, 0, 0, 0, 0, 2)


def test_an_unbalanced_report_is_refused_before_it_is_logged() -> None:
    report = ImportReport("actors", "test", "acteurs.csv")
    report.read("actors", 3)
    report.count("actors", "created", 2)
    with pytest.raises(AssertionError, match="counts unbalanced"):
        report.check_balance()
    report.count("actors", "rejected")
    report.check_balance()
    report.count("links", "created")  # a link counted that no row was read for
    assert (
        report.imbalance()
        == [
            "links: {'rows': 0, 'created': 1, 'updated': 0, 'merged': 0, 'unchanged': 0, "
            "'rejected': 0, 'not_written': 0}",
            "total: {'rows': 3, 'created': 3, 'updated': 0, 'merged': 0, 'unchanged': 0, "
            "'rejected': 1, 'not_written': 0}",
        ][::-1]
    )


def test_duplicates_inside_a_file_are_reported_with_what_differs(
    db: sa.Engine, tmp_path: Path
) -> None:
    """The first row's values are kept, its empty fields filled from the repeat, a
    second e-mail kept as the actor's other e-mail, and the warning names both rows and
    what the repeat brought or differs in (the value in the report's value column)."""
    path = _write(tmp_path / "tiers-lieux" / "acteurs.csv", ACTORS)
    report = importing.import_file(db=db, fmt="actors", path=path, partial=True)
    repeats = [(w.row, w.field, w.value, w.message) for w in report.warnings
               if "même acteur" in w.message]  # fmt: skip
    assert repeats == [
        (4, "email", "email=accueil@mediatheque-lille.fr",
         "ligne 4 : même acteur que la ligne 2 (même nom, commune et adresse) ; complétés : "
         "téléphone ; e-mail en plus gardé : accueil@mediatheque-lille.fr (extra "
         "« autres_courriels »)"),
        (7, "key", importing.import_key(_record("Centre social Arc-en-ciel",
                                                "3 place de la République", "59100")),
         "ligne 7 : même acteur que la ligne 3 (même nom, commune et adresse) ; mêmes "
         "valeurs, gardé une fois"),
    ]  # fmt: skip
    with db.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT email, phone FROM actor WHERE name = 'Médiathèque Jean Macé'"
        ).all()
    assert [tuple(r) for r in stored] == [("contact@mediatheque-lille.fr", "03 20 11 22 33")]


def _record(name: str, address: str, postcode: str) -> importing.ActorRecord:
    from maillage.io.tabular import parse_actor_table

    rows = [{"nom": name, "adresse": address, "code_postal": postcode}]
    return parse_actor_table(rows, source="test").actors[0]


NETWORK = """\
nom;adresse;code_postal;code_insee;monde
Emmaüs Connect;7 rue Nationale;59000;59350;associative
Médiathèque Jean Macé;12 rue Victor Hugo;59000;59350;public
Centre social;3 place de la République;59100;59512;associative
Centre social;1 rue de Lannoy;59000;59350;associative
Université de Lille;42 rue Paul Duez;59000;59350;academic
"""
LINKS_BY_NAME = """\
source;cible;type
Emmaüs Connect;Médiathèque Jean Macé;partnership
EMMAUS CONNECT;Université de Lille;financement
Association Emmaüs Connect;Université de Lille;partenaire
Emmaüs Connect;Centre social;partnership
Emmaüs Konnect Lille;Université de Lille;partnership
Médiathèque Jean Macé;Tiers-lieu des Tisserands;partnership
Emmaüs Connect;Université de Lille;compagnonnage
"""


def test_links_naming_their_ends_by_name(db: sa.Engine, tmp_path: Path) -> None:
    """Ends written as names are the stored actors of the same comparable name; several
    actors of that name, or only close names, reject the row with the candidates named;
    an unknown kind rejects its row only, unless mapped."""
    actors = _write(tmp_path / "lille" / "acteurs.csv", NETWORK)
    assert importing.import_file(db=db, fmt="actors", path=actors).created == 5
    path = _write(tmp_path / "partenaires" / "liens.csv", LINKS_BY_NAME)
    report = importing.import_file(db=db, fmt="links", path=path, partial=True)
    assert (report.status, *_counts(report)) == ("done", 7, 2, 0, 0, 0, 5)
    with db.connect() as conn:
        named = conn.execute(sa.select(actor.c.name, actor.c.id).order_by(actor.c.id)).all()
    ids = {name: actor_id for name, actor_id in named}
    social = [actor_id for name, actor_id in named if name == "Centre social"]
    emmaus, univ = ids["Emmaüs Connect"], ids["Université de Lille"]
    issues = [(i.row, i.field, i.value, i.message) for i in report.issues]
    assert issues[0] == (4, "kind", "partenaire", issues[0][3])
    assert issues[0][3].startswith("type de lien inconnu : à rattacher à l'un des nôtres avec "
                                   '--map-kind "partenaire=CODE" (répétable) ; types connus : '
                                   "partnership (Partenariat), funding (Financement / "
                                   "subvention)")  # fmt: skip
    assert issues[1:] == [
        (5, "target_key", "Centre social",
         "nom ambigu : 2 acteurs le portent ; écrivez à la place la clé de l'un d'eux : "
         f"« Centre social@59512 » pour « Centre social » (n° {social[0]}, 59512) ; "
         f"« Centre social@59350 » pour « Centre social » (n° {social[1]}, 59350)"),
        (6, "source_key", "Emmaüs Konnect Lille",
         "aucun acteur de ce nom ; noms proches, non retenus sans vous : « Emmaüs Connect » "
         f"(n° {emmaus}, 59350) à 0.65 : écrivez le nom exact, la clé ou le SIRET"),
        (7, "target_key", "Tiers-lieu des Tisserands",
         "aucun acteur de cette source ne porte ce code (ni ce SIRET/SIREN/RNA), et aucun "
         "acteur ne porte ce nom"),
        (8, "kind", "compagnonnage", issues[4][3]),
    ]  # fmt: skip
    assert report.warnings == []  # case and accents aside, row 3 names Emmaüs Connect
    mapped = importing.import_file(db=db, fmt="links", path=path, partial=True,
                                   kind_map={"Partenaire": "Partenariat",
                                             "compagnonnage": "exchange_of_practice"})  # fmt: skip
    assert _counts(mapped) == (7, 2, 0, 0, 2, 3)  # rows 2 and 3 stored by the first import
    assert [(w.row, w.field, w.message) for w in mapped.warnings] == [
        (4, "source_key", f"« Association Emmaüs Connect » lu comme « Emmaüs Connect » "
         f"(n° {emmaus}, 59350) (même nom à la forme près)"),
    ]  # fmt: skip
    with db.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT source_id, target_id, kind FROM link ORDER BY id").all()  # fmt: skip
    assert [tuple(r) for r in stored] == [
        (emmaus, ids["Médiathèque Jean Macé"], "partnership"), (emmaus, univ, "funding"),
        (emmaus, univ, "partnership"), (emmaus, univ, "exchange_of_practice"),
    ]  # fmt: skip


def test_a_kind_mapped_to_no_kind_is_refused_before_reading(db: sa.Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "liens.csv", LINKS_BY_NAME)
    with pytest.raises(
        InvalidInput, match="« voisins » : valeurs admises : .*exchange_of_practice"
    ):
        importing.import_file(db=db, fmt="links", path=path, kind_map={"partenaire": "voisins"})


def test_sub_commune_rows_are_refused_with_their_reason(db: sa.Engine, tmp_path: Path) -> None:
    """IRIS codes in a commune column, and several rows of one commune with other
    values (one per IRIS, or per type of premises), are refused: none of them is the
    commune's value; rows that repeat the same values are kept once."""
    iris = _write(tmp_path / "iris.csv",
                  "CODGEO;LIBIRIS;part_non_internautes\n593500101;Vauban 1;0,21\n"
                  "593500102;Vauban 2;0,18\n59512;Roubaix;0,25\n")  # fmt: skip
    report = importing.import_file(db=db, fmt="indicators", path=iris, partial=True, year=2022)
    assert (report.status, *_counts(report)) == ("done", 3, 1, 0, 0, 0, 2)
    assert [(i.row, i.field, i.value, i.message) for i in report.issues] == [
        (row, "CODGEO", code, "code IRIS (infra-communal) de la commune 59350 : la géographie "
         "ne connaît pas les IRIS ; agrégez ces lignes par commune avant l'import")
        for row, code in ((2, "593500101"), (3, "593500102"))
    ]  # fmt: skip
    by_commune = _write(tmp_path / "debit.csv",
                        "code_insee;nom_com;type;elig_thd30\n59350;Lille;logloc;1200\n"
                        "59350;Lille;pro;340\n59512;Roubaix;logloc;800\n59512;Roubaix;logloc;800\n"
                        "59009;Villeneuve-d'Ascq;logloc;500\n")  # fmt: skip
    report = importing.import_file(db=db, fmt="indicators", path=by_commune, partial=True,
                                   year=2019)  # fmt: skip
    assert (report.status, *_counts(report)) == ("done", 5, 2, 0, 0, 1, 2)
    message = ("lignes 2, 3 : même territoire, indicateur et année (COM:59350, elig_thd30, "
               "2019) mais des valeurs différentes (value : 1200.0, 340.0) : plusieurs lignes "
               "pour un même territoire (infra-communales, IRIS, ou d'autres types ?) ne sont "
               "pas fusionnées ; agrégez-les, ou distinguez-les par une colonne indicateur")  # fmt: skip
    assert [(i.row, i.field, i.message) for i in report.issues] == [
        (2, "value", message), (3, "value", message)]  # fmt: skip
    assert [(w.row, w.message) for w in report.warnings] == [
        (5, "même territoire, indicateur et année que la ligne 4 (COM:59512, elig_thd30, "
            "2019), mêmes valeurs : gardée une fois")]  # fmt: skip
    with db.connect() as conn:
        stored = conn.exec_driver_sql("SELECT territory_code, value FROM indicator WHERE key = "
                                      "'elig_thd30' ORDER BY territory_code").all()  # fmt: skip
    assert [tuple(r) for r in stored] == [("COM:59009", 500.0), ("COM:59512", 800.0)]
