"""HTML entities and lost apostrophes repaired at import, each repair a warning naming
the file, the row and the field (maillage.model.text.repair_text)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from maillage.model.text import repair_text
from maillage.services import importing


def test_entities_and_lost_apostrophes_are_repaired_and_reported(
    db: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "acteurs.csv"
    path.write_text(
        "nom,adresse,code_commune\n"
        "DIGITAL &amp; ETHICS,,75056\n"  # as the ANR file writes it
        "Ligue de l enseignement,12 rue d Alsace,59350\n"
        "Vitamine D Active,,59350\n",  # an initial, not an elided article
        encoding="utf-8",
    )
    report = importing.import_file(db=db, fmt="actors", path=path)
    assert (report.status, report.created) == ("done", 3)
    with db.connect() as conn:
        rows = conn.execute(sa.text("SELECT name, address FROM actor ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        ("DIGITAL & ETHICS", None),
        ("Ligue de l'enseignement", "12 rue d'Alsace"),
        ("Vitamine D Active", None),
    ]
    warned = [(i.file, i.row, i.field, i.value) for i in report.warnings]
    assert warned == [
        ("acteurs.csv", 2, "name", "DIGITAL &amp; ETHICS"),
        ("acteurs.csv", 3, "name", "Ligue de l enseignement"),
        ("acteurs.csv", 3, "address", "12 rue d Alsace"),
    ]
    assert "« DIGITAL &amp; ETHICS » devient « DIGITAL & ETHICS »" in report.warnings[0].message


def test_repair_leaves_initials_codes_and_clean_texts_alone() -> None:
    for text in ("S A R L", "Rock n Roll", "Plan D Eau", "AT&T", "Route D 12", "l'école"):
        assert repair_text(text) == (text, [])
    assert repair_text("COMMUNE D AVIGNON") == ("COMMUNE D'AVIGNON", ["apostrophes"])
    assert repair_text("Lieu &#039;Azur&#039;") == ("Lieu 'Azur'", ["entités HTML"])
