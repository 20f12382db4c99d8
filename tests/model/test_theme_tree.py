"""The themes are one tree, and the vocabularies of the sources map onto it.

The services of the lieux de médiation numérique schema (v1.0.2 as shipped, and the v0
labels of the real Conseillers numériques export), every thematique of the shipped
data·inclusion service schema and the national programme labels each name terms of the
tree; a filter on a term finds what is under it (:func:`taxonomy.matching`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from maillage.io.mediation import LIEUX_SCHEMA, read_lieux_json
from maillage.io.tableschema import SCHEMA_DIR, load_schema
from maillage.model import taxonomy

DIGITAL = "inclusion-numerique"


def _under(code: str) -> set[str]:
    return set(taxonomy.descendants("themes", code))


def test_digital_inclusion_is_above_mediation_online_procedures_and_equipment() -> None:
    assert _under(DIGITAL) == {
        DIGITAL,
        "mediation-numerique",
        "demarches-en-ligne",
        "equipement-connexion",
    }
    assert taxonomy.term("themes", DIGITAL).parent == "numerique"
    assert taxonomy.term("themes", "acces-aux-services-publics").parent == (
        "acces-aux-droits-et-citoyennete"
    )
    assert _under("mediation-numerique") == {"mediation-numerique"}
    # the menu: a term then the terms under it, indented one step further
    order = [(t.code, depth) for t, depth in taxonomy.tree("themes")]
    at = order.index(("numerique", 0))
    assert order[at : at + 6] == [
        ("numerique", 0),
        (DIGITAL, 1),
        ("mediation-numerique", 2),
        ("demarches-en-ligne", 2),
        ("equipement-connexion", 2),
        ("numerique-responsable", 1),
    ]
    assert len(order) == len(taxonomy.load("themes"))
    assert [d for _, d in taxonomy.tree("worlds")] == [0, 0, 0, 0]  # a flat one stays flat


def test_every_service_of_the_lieux_schema_means_a_theme_of_digital_inclusion() -> None:
    pattern = load_schema(LIEUX_SCHEMA).fields["services"].pattern
    assert pattern is not None
    services = re.search(r"\|\)\(([^)]*)\)", pattern.pattern)
    assert services is not None
    values = services[1].split("|")
    assert len(values) == 9
    meant = {value: taxonomy.meaning("themes", value) for value in values}
    assert meant["Aide aux démarches administratives"] == "demarches-en-ligne"
    assert meant["Accès internet et matériel informatique"] == "equipement-connexion"
    assert meant["Maîtrise des outils numériques du quotidien"] == "mediation-numerique"
    assert all(code in _under(DIGITAL) for code in meant.values()), meant
    assert set(values) <= taxonomy.matching("themes", DIGITAL)


def test_the_v0_services_of_the_real_exports_mean_themes_of_digital_inclusion(
    data_dir: Path,
) -> None:
    folder = data_dir / "mediation-numerique" / "cartographie-nationale"
    seen: set[str] = set()
    for name in ("lieux-de-mediation-numerique.cnfs.json",
                 "20231003-bus-france-services-en-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json"):  # fmt: skip
        for actor in read_lieux_json(folder / name).actors:
            seen.update(t for t in actor.themes if t not in taxonomy.codes("themes"))
    assert len(seen) == 10
    assert {s: taxonomy.meaning("themes", s) for s in seen if s.startswith("Accéder")} == {
        "Accéder à du matériel": "equipement-connexion",
        "Accéder à une connexion internet": "equipement-connexion",
    }
    assert all(taxonomy.meaning("themes", s) in _under(DIGITAL) for s in seen)


def test_every_data_inclusion_thematique_means_a_theme() -> None:
    schema = json.loads((SCHEMA_DIR / "data-inclusion-service-1.0.8.schema.json").read_text())
    thematiques = schema["$defs"]["Thematique"]["enum"]
    assert len(thematiques) == 69
    meant = {t: taxonomy.meaning("themes", t) for t in thematiques}
    assert [t for t, code in meant.items() if code is None] == []
    assert meant["numerique--acceder-a-des-services-en-ligne"] == "demarches-en-ligne"
    assert meant["numerique--maitriser-les-fondamentaux-du-numerique"] == "mediation-numerique"
    assert meant["sante--sante-mentale"] == "sante"  # a sub-thematique means its parent
    assert meant["difficultes-financieres--ameliorer-sa-gestion-budgetaire"] == (
        "gestion-financiere"
    )
    assert "sante--sante-mentale" in taxonomy.matching("themes", "sante")
    assert "sante--sante-mentale" not in taxonomy.matching("themes", DIGITAL)


def test_national_labels_imply_themes_and_each_vocabulary_says_its_source() -> None:
    def implied(*labels: str) -> list[str]:
        return taxonomy.implied("themes", "labels-nationaux", labels)

    assert implied("France Services") == ["acces-aux-services-publics", "demarches-en-ligne"]
    assert implied("CNFS") == implied("Conseillers numériques") == ["mediation-numerique"]
    assert implied("aidants connect") == ["demarches-en-ligne"]  # compared folded
    assert implied("La Croix Rouge") == []  # a label implying no service adds nothing
    for vocab in taxonomy.info("themes").vocabularies:
        assert vocab.source and vocab.description and vocab.values, vocab.name


def test_a_code_outside_the_taxonomy_matches_only_itself() -> None:
    assert taxonomy.matching("themes", "my-own-theme") == {"my-own-theme"}
    assert taxonomy.meaning("themes", "my-own-theme") is None
