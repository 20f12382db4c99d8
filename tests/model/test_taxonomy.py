"""Taxonomies shipped as data: complete, consistent, and readable in French and English."""

from __future__ import annotations

import re

import pytest

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, NotFound
from maillage.model.text import fold

EXPECTED = {
    "worlds": {"economic", "associative", "public", "academic"},
    "digital_profiles": {"native", "adopter", "traditional", "unknown"},
    "partnership_forms": {
        "mecenat",
        "pratiques_responsables",
        "cooperation_economique",
        "innovation_societale",
    },
    "mecenat_subtypes": {"financier", "en_nature", "logistique", "competences"},
    "link_statuses": {"proposed", "active", "ended"},
    "stances": {"supports", "nuances", "contradicts"},
    "need_statuses": {"observed", "qualified", "addressed"},
    "solution_modalities": {"digital", "proximity_place", "hybrid"},
    "solution_stages": {"initiative", "invention", "innovation", "replication"},
    "user_roles": {"admin", "editor", "moderator", "contributor"},
    "resource_types": {
        "experience_feedback",
        "study",
        "guide",
        "interview",
        "webinar",
        "tool",
        "dataset",
    },
}


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_closed_taxonomies_have_exactly_their_codes(name: str, expected: set[str]) -> None:
    assert taxonomy.codes(name) == expected


def test_every_term_has_unique_code_and_both_labels() -> None:
    assert set(EXPECTED) < set(taxonomy.names())
    for name in taxonomy.names():
        terms = taxonomy.load(name)
        assert terms, name
        assert len({t.code for t in terms}) == len(terms), name
        for entry in terms:
            assert entry.label_fr.strip() and entry.label_en.strip(), (name, entry.code)
            assert len(entry.label_fr) <= 300 and len(entry.code) <= 100
        assert taxonomy.info(name).source, name


def test_worlds_labels() -> None:
    assert taxonomy.label("worlds", "economic") == "Économique"
    assert taxonomy.label("worlds", "associative") == "Associatif / social"
    assert taxonomy.label("worlds", "public", lang="en") == "Public / institutional"


def test_categories_have_a_default_world_and_slug_codes() -> None:
    worlds = taxonomy.codes("worlds")
    by_code = {t.code: t for t in taxonomy.load("categories")}
    for code in (
        "association",
        "fondation",
        "fonds_de_dotation",
        "entreprise",
        "cooperative",
        "mutuelle",
        "collectivite",
        "service_de_l_etat",
        "etablissement_public",
        "universite",
        "laboratoire",
        "ecole",
        "reseau_federation",
        "tiers_lieu",
        "syndicat",
        "entreprise_de_l_ess",
    ):
        assert by_code[code].data["default_world"] in worlds
        assert code == fold(by_code[code].label_fr).replace(" ", "_")
    assert by_code["collectivite"].data["default_world"] == "public"
    assert by_code["universite"].data["default_world"] == "academic"


def test_link_kinds_and_partnership_depth() -> None:
    kinds = {t.code: t for t in taxonomy.load("link_kinds")}
    assert {
        "partnership",
        "funding",
        "public_contract",
        "membership",
        "governance",
        "joint_project",
        "research_collaboration",
        "exchange_of_practice",
    } <= set(kinds)
    assert kinds["funding"].data["directed"] is True
    assert kinds["partnership"].data["directed"] is False
    depth = {t.code: t.data["depth"] for t in taxonomy.load("partnership_forms")}
    assert depth == {
        "mecenat": 1,
        "pratiques_responsables": 1,
        "cooperation_economique": 2,
        "innovation_societale": 3,
    }


def test_seventeen_sdgs_with_169_targets() -> None:
    sdgs = taxonomy.load("sdgs")
    assert [t.code for t in sdgs] == [str(i) for i in range(1, 18)]
    assert sum(t.data["targets"] for t in sdgs) == 169
    assert sdgs[16].label_en == "Partnerships for the goals"
    assert sdgs[3].label_fr == "Éducation de qualité"


def test_seven_hypotheses_in_french_and_english() -> None:
    hypotheses = taxonomy.load("hypotheses")
    assert [h.code for h in hypotheses] == [f"H{i}" for i in range(1, 8)]
    assert all(h.description_fr and h.description_en for h in hypotheses)
    assert "sept ans" in (hypotheses[6].description_fr or "")
    assert hypotheses[1].data["number"] == 2


def test_legal_forms_are_the_documented_ones() -> None:
    forms = {t.code: t for t in taxonomy.load("legal_forms")}
    assert forms["9220"].label_fr == "Association déclarée"
    assert forms["9220"].data["category"] == "association"
    assert forms["7210"].data["world"] == "public"
    assert all(t.data["status"] in ("V", "P", "U") for t in forms.values())
    categories = taxonomy.codes("categories")
    assert all(t.data["category"] in categories for t in forms.values() if t.data["category"])


def test_resolve_accepts_codes_and_labels() -> None:
    assert taxonomy.resolve("categories", "Service de l'État") == "service_de_l_etat"
    assert taxonomy.resolve("categories", "réseau/fédération") == "reseau_federation"
    assert taxonomy.resolve("worlds", "Académique") == "academic"
    assert taxonomy.resolve("worlds", "associatif") == "associative"
    assert taxonomy.resolve("link_kinds", "Public contract") == "public_contract"
    with pytest.raises(InvalidInput, match="valeurs admises"):
        taxonomy.resolve("worlds", "martien", field="world")


def test_unknown_names_and_codes() -> None:
    with pytest.raises(NotFound):
        taxonomy.load("planets")
    with pytest.raises(NotFound):
        taxonomy.term("worlds", "martian")


@pytest.mark.parametrize("name", ["worlds", "link_kinds"])
def test_every_world_and_link_kind_has_a_colour_and_both_labels(name: str) -> None:
    missing = taxonomy.unknown(name)
    assert (missing.code, missing.label_fr, missing.label_en) == (
        "unknown",
        "Non renseigné",
        "Not given",
    )
    for entry in [*taxonomy.load(name), missing]:
        assert entry.label_fr.strip() and entry.label_en.strip(), entry.code
        assert re.fullmatch(r"#[0-9a-f]{6}", entry.colour or ""), entry.code
        # their contrast and distances: tests/web/test_taxonomy_colours.py
    assert set(taxonomy.colours(name)) == taxonomy.codes(name)
    assert taxonomy.colour(name, None) == taxonomy.colour(name, "martian") == missing.colour


def test_worlds_have_their_own_colours_and_names_for_sentences() -> None:
    worlds = [*taxonomy.load("worlds"), taxonomy.unknown("worlds")]
    assert len({w.colour for w in worlds}) == len(worlds)
    assert taxonomy.colour("worlds", "economic") == "#c37800"
    assert [w.short("fr") for w in worlds] == [
        "économique",
        "associatif",
        "public",
        "académique",
        "non renseigné",
    ]
    assert taxonomy.term("worlds", "academic").short("en") == "academic"
    with pytest.raises(InvalidInput):  # "not given" names no world
        taxonomy.resolve("worlds", "Non renseigné")
    with pytest.raises(NotFound):
        taxonomy.unknown("themes")
