"""Defects a user trial found in imports, each read from a file written as users write
them: an ambiguous link end must say which key to write (and accept it), a repeated
row's second e-mail must stay with the actor and find it in a search."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from maillage.services import actors as actor_service
from maillage.services import importing, portal
from maillage.services.importing.report import ImportReport
from maillage.storage.tables import actor, link


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _counts(report: ImportReport) -> tuple[int, ...]:
    report.check_balance()
    return (report.rows, report.created, report.updated, report.merged, report.unchanged,
            report.rejected)  # fmt: skip


SOCIAL_CENTRES = """\
nom;adresse;code_postal;code_insee;siret
Emmaüs Connect;7 rue Nationale;59000;59350;
Centre social;3 place de la République;59100;59512;73282932000074
Centre social;1 rue de Lannoy;59000;59350;
Centre social;8 rue Pierre Legrand;59000;59350;
"""


def test_an_ambiguous_link_end_lists_the_key_to_write_for_each_and_accepts_them(
    db: sa.Engine, tmp_path: Path
) -> None:
    """Three « Centre social »: the message gives, for each, a key that names it alone
    (its SIRET; two in one commune and postcode: their number), and a links file
    written with those keys, or with the name and commune, is imported."""
    actors = _write(tmp_path / "lille" / "structures.csv", SOCIAL_CENTRES)
    assert importing.import_file(db=db, fmt="actors", path=actors).created == 4
    with db.connect() as conn:
        ids = [i for (i,) in conn.execute(sa.select(actor.c.id).order_by(actor.c.id))]
    emmaus, roubaix, lannoy, legrand = ids
    path = _write(tmp_path / "partenaires" / "liens.csv",
                  "source;cible;type\nEmmaüs Connect;Centre social;partnership\n")  # fmt: skip
    refused = importing.import_file(db=db, fmt="links", path=path)
    assert (refused.status, *_counts(refused)) == ("failed", 1, 0, 0, 0, 0, 1)
    assert [(i.row, i.field, i.value, i.message) for i in refused.issues] == [
        (2, "target_key", "Centre social",
         "nom ambigu : 3 acteurs le portent ; écrivez à la place la clé de l'un d'eux : "
         f"« 73282932000074 » pour « Centre social » (n° {roubaix}, 59512) ; "
         f"« n°{lannoy} » pour « Centre social » (n° {lannoy}, 59350) ; "
         f"« n°{legrand} » pour « Centre social » (n° {legrand}, 59350)"),
    ]  # fmt: skip
    keyed = _write(tmp_path / "partenaires" / "liens-cles.csv",
                   "source;cible;type\n"
                   "Emmaüs Connect;73282932000074;partnership\n"
                   f"Emmaüs Connect;n°{lannoy};partnership\n"
                   f"Emmaüs Connect;n° {legrand};funding\n"
                   "Emmaüs Connect;Centre social@59512;funding\n"
                   "Emmaüs Connect;Centre social@59350;membership\n")  # fmt: skip
    report = importing.import_file(db=db, fmt="links", path=keyed, partial=True)
    assert (report.status, *_counts(report)) == ("done", 5, 4, 0, 0, 0, 1)
    (issue,) = report.issues  # two actors of that name in 59350: refused, their keys named
    assert (issue.row, issue.value) == (6, "Centre social@59350")
    assert issue.message.endswith(f"« n°{lannoy} » pour « Centre social » (n° {lannoy}, "
                                  f"59350) ; « n°{legrand} » pour « Centre social » "
                                  f"(n° {legrand}, 59350)")  # fmt: skip
    with db.connect() as conn:
        stored = conn.execute(
            sa.select(link.c.source_id, link.c.target_id, link.c.kind).order_by(link.c.id)
        ).all()
    assert [tuple(r) for r in stored] == [
        (emmaus, roubaix, "partnership"), (emmaus, lannoy, "partnership"),
        (emmaus, legrand, "funding"), (emmaus, roubaix, "funding"),
    ]  # fmt: skip


def test_an_actor_of_the_same_file_is_named_by_its_key_in_the_message(
    db: sa.Engine, tmp_path: Path
) -> None:
    """Actors and links of one workbook-like network folder: a name two actors of the
    file carry is refused with each one's key in the file."""
    folder = tmp_path / "reseau"
    _write(folder / "actors.csv", "id,nom,code_commune\nCS1,Centre social,59512\n"
           "CS2,Centre social,59350\nEC,Emmaüs Connect,59350\n")  # fmt: skip
    _write(folder / "links.csv", "source,cible,type\nEC,Centre social,partnership\n"
           "EC,CS2,partnership\n")  # fmt: skip
    report = importing.import_file(db=db, fmt="network", path=folder, partial=True)
    assert _counts(report) == (5, 4, 0, 0, 0, 1)
    (issue,) = report.issues
    assert issue.message == (
        "lien EC → Centre social : nom ambigu : 2 acteurs le portent ; écrivez à la place la clé de l'un d'eux : "
        "« CS1 » pour « Centre social » (acteur de ce fichier, 59512) ; « CS2 » pour "
        "« Centre social » (acteur de ce fichier, 59350)"
    )


LIBRARIES = """\
nom;adresse;code_postal;commune;courriel;telephone
Médiathèque Jean Macé;12 rue Victor Hugo;59000;Lille;contact@mediatheque-lille.fr;
Centre social Arc-en-ciel;3 place de la République;59100;Roubaix;;03 20 00 00 00
Médiathèque Jean Macé;12 rue Victor Hugo;59000;Lille;Accueil.Mediatheque@lille.fr;03 20 11 22 33
Médiathèque Jean Macé;12 rue Victor Hugo;59000;Lille;pret@lille.fr, contact@mediatheque-lille.fr;
"""


def test_a_repeated_row_s_second_e_mail_stays_with_the_actor_and_finds_it(
    db: sa.Engine, tmp_path: Path
) -> None:
    """Rows 4 and 5 repeat row 2 with other e-mails: both are kept as the library's
    other e-mails (row 5's cell of two adds only the new one), reported, and a search
    for any of its e-mails, in any case, finds it (services, portal and its API)."""
    path = _write(tmp_path / "bibliotheques" / "acteurs.csv", LIBRARIES)
    report = importing.import_file(db=db, fmt="actors", path=path)
    assert (report.status, *_counts(report)) == ("done", 4, 2, 0, 2, 0, 0)
    kept = [(w.row, w.field, w.value) for w in report.warnings if "même acteur" in w.message]
    assert kept == [(4, "email", "email=Accueil.Mediatheque@lille.fr"),
                    (5, "email", "email=pret@lille.fr")]  # fmt: skip
    assert any(w.row == 4 and "e-mail en plus gardé : Accueil.Mediatheque@lille.fr (extra "
               "« autres_courriels »)" in w.message for w in report.warnings)  # fmt: skip
    with db.connect() as conn:
        library, email, extra = conn.execute(
            sa.select(actor.c.id, actor.c.email, actor.c.extra).where(
                actor.c.name == "Médiathèque Jean Macé"
            )
        ).one()
    assert (email, extra["autres_courriels"]) == (
        "contact@mediatheque-lille.fr",
        "Accueil.Mediatheque@lille.fr|pret@lille.fr",
    )
    for query in ("accueil.mediatheque@lille.fr", "PRET@lille.fr", "contact@mediatheque-lille.fr"):
        found = actor_service.search_actors(db=db, query=query)
        assert [a["id"] for a in found] == [library], query
        assert [a["id"] for a in portal.search(db=db, query=query)["actors"]] == [library]
    assert actor_service.search_actors(db=db, query="pret@lille.f") == []  # not an e-mail held
    assert actor_service.search_actors(db=db, query="autre@lille.fr") == []
