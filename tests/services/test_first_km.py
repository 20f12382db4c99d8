"""The first kilometre (issue 22 item 6): what a volunteer of an association in a rural
commune is offered and why; the needs kept only with consent, anonymised, and shown on
the territory only for groups of at least five answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import first_km as corner
from maillage.io.resources import ResourceRecord
from maillage.model.errors import InvalidInput
from maillage.services import actors, first_km
from maillage.services.resources import import_resources, store_records
from maillage.storage.tables import change, first_km_answer

ASKED = {"world": "associative", "themes": [corner.THEME], "maturity": 1}


@pytest.fixture
def avesnois(db: sa.Engine) -> sa.Engine:
    corner.build(db)
    return db


def test_a_rural_association_gets_resources_places_allies_and_webinars_with_reasons(
    avesnois: sa.Engine,
) -> None:
    found = first_km.guide(db=avesnois, where="59740", role="volunteer", today=corner.TODAY,
                           **ASKED)  # fmt: skip
    # 59740 is shared by thirteen communes: the most populated first, the others offered
    assert found["territory"]["name"] == "Solre-le-Château"
    assert len(found["readings"]) == 13
    assert [s["code"] for s in found["scope"]] == ["COM:59572", "DEP:59", "REG:32"]
    # resources on the theme, the one about Nord first; none on culture, no webinar
    assert [(r["title"], r["reason"]) for r in found["resources"]] == [
        ("Guide de l'inclusion numérique en Avesnois",
         "Sur « Inclusion numérique » ; concerne Nord ; guide, utile à votre niveau"),
        ("Étude nationale sur la médiation numérique", "Sur « Inclusion numérique »"),
    ]  # fmt: skip
    # places within reach, the one offering the theme first, with its distance
    first = found["places"][0]
    assert first["name"] == "France Services Solre-le-Château"
    assert first["reason"].startswith("À 0,")
    assert "propose « Inclusion numérique »" in first["reason"]
    assert "Médiathèque d'Avesnes" in [p["name"] for p in found["places"]]
    # allies: other worlds on the theme (or a theme under it) in Nord, nearest first;
    # not the association next door, not the brewery, not Arras; not the France Services
    # already offered as a place within reach
    assert [(a["name"], a["reason"]) for a in found["allies"]] == [
        ("Imprimerie Sambre Avenir",
         "Acteur du monde économique, actif sur « Inclusion numérique », à Maubeuge (15,6 km)"),
        ("Laboratoire des usages numériques",
         "Acteur du monde académique, actif sur « Inclusion numérique », à Lille (90,2 km)"),
    ]  # fmt: skip
    # the next webinars, the one on the theme first; the past one left out
    assert [(w["title"], w["reason"]) for w in found["webinars"]] == [
        ("Webinaire : l'aidant numérique en milieu rural",
         "Prochain webinaire sur « Inclusion numérique », le 2027-01-06"),
        ("Webinaire : culture et ruralité", "Prochain webinaire de l'observatoire, le 2026-12-17"),
    ]  # fmt: skip
    english = first_km.guide(db=avesnois, where="59740", lang="en", today=corner.TODAY, **ASKED)
    assert english["allies"][0]["reason"] == (
        "An actor of the economic world, active on 'Digital inclusion', in Maubeuge (15.6 km)"
    )


def test_a_place_within_reach_is_not_offered_again_as_an_ally(avesnois: sa.Engine) -> None:
    """What the trial saw in the Creuse and the Lozère: the same France Services under
    « Lieux à votre portée » and « Alliés possibles ». Neither it nor its twin from another
    source (same name, same commune) is an ally; an ally that is itself a place to go to
    comes after the carriers and companies."""
    actors.create_actors(db=avesnois, rows=[
        {"name": "FRANCE SERVICES Solre-le-Château", "world": "public",
         "category": "service_de_l_etat", "commune_code": "59572", "themes": [corner.THEME]},
        {"name": "France Services d'Avesnes", "world": "public", "category": "service_de_l_etat",
         "commune_code": "59036", "latitude": 50.1250, "longitude": 3.9280,
         "themes": [corner.THEME], "extra": {"horaires": "Mo-Fr 09:00-17:00"}},
    ], user="test")  # fmt: skip
    found = first_km.guide(db=avesnois, where="59740", today=corner.TODAY, **ASKED)
    places = [p["name"] for p in found["places"]]
    assert "France Services Solre-le-Château" in places and "France Services d'Avesnes" in places
    assert not {p["id"] for p in found["places"]} & {a["id"] for a in found["allies"]}
    assert [a["name"] for a in found["allies"]] == [
        "Imprimerie Sambre Avenir", "Laboratoire des usages numériques"]  # fmt: skip
    # One place offered: the France Services of Avesnes, 12 km away, is not offered as a
    # place; as an ally it comes after the printer, 15.6 km away, not a place to go to.
    one = first_km.guide(db=avesnois, where="59740", today=corner.TODAY, limit=1, **ASKED)
    assert [p["name"] for p in one["places"]] == ["France Services Solre-le-Château"]
    assert [a["name"] for a in one["allies"]] == ["Imprimerie Sambre Avenir"]


def test_answers_outside_the_lists_are_refused(avesnois: sa.Engine) -> None:
    with pytest.raises(InvalidInput, match="world"):
        first_km.guide(db=avesnois, where="59740", **{**ASKED, "world": "martian"})
    with pytest.raises(InvalidInput, match="maturity"):
        first_km.guide(db=avesnois, where="59740", **{**ASKED, "maturity": 5})
    with pytest.raises(InvalidInput, match="themes"):
        first_km.guide(db=avesnois, where="59740", **{**ASKED, "themes": []})


def _answers(db: sa.Engine) -> list[dict[str, object]]:
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(first_km_answer))]


def test_nothing_is_kept_without_consent(avesnois: sa.Engine) -> None:
    kept = first_km.record_needs(db=avesnois, consent=False, where="59740", **ASKED)
    assert kept is None
    assert _answers(avesnois) == []


def test_consented_needs_are_anonymous_and_shown_from_five_answers(avesnois: sa.Engine) -> None:
    for world in ("associative", "associative", "public", "associative"):
        first_km.record_needs(db=avesnois, consent=True, where="59740", today=corner.TODAY,
                              **{**ASKED, "world": world})  # fmt: skip
    stored = _answers(avesnois)
    assert {k for k in stored[0]} == {
        "id",
        "territory_code",
        "world",
        "themes",
        "maturity",
        "month",
    }
    assert (stored[0]["territory_code"], stored[0]["month"]) == ("COM:59572", "2026-12")
    # four answers: nothing shown, on the commune nor on its département
    assert first_km.observed_needs(db=avesnois, code="COM:59572") is None
    assert first_km.observed_needs(db=avesnois, code="DEP:59") is None
    first_km.record_needs(db=avesnois, consent=True, where="Felleries", today=corner.TODAY,
                          **{**ASKED, "themes": [corner.THEME, "mobilite"]})  # fmt: skip
    # five in Nord (four in Solre-le-Château, one in Felleries): the groups of five shown,
    # the smaller ones (the public world, mobility, one commune) never
    assert first_km.observed_needs(db=avesnois, code="DEP:59") == {
        "answers": 5,
        "themes": [("Inclusion numérique", 5)],
        "worlds": [],
        "levels": [("Je découvre", 5)],
    }
    assert first_km.observed_needs(db=avesnois, code="COM:59572") is None
    assert first_km.observed_needs(db=avesnois, code="REG:32", lang="en") == {
        "answers": 5, "themes": [("Digital inclusion", 5)], "worlds": [],
        "levels": [("Discovering", 5)],
    }  # fmt: skip
    with avesnois.connect() as conn:
        audited = conn.execute(
            sa.select(change.c.user, change.c.source).where(change.c.entity == "first_km_answer")
        ).all()
    assert audited == [("visitor", "first kilometre")] * 5


def test_the_four_maturity_levels_are_defined_once_in_french_and_english() -> None:
    french, english = first_km.levels("fr"), first_km.levels("en")
    assert [x["level"] for x in french] == [1, 2, 3, 4]
    assert [x["label"] for x in french] == [
        "Je découvre", "Je me lance", "J'agis avec d'autres", "J'évalue et j'essaime",
    ]  # fmt: skip
    assert english[0]["label"] == "Discovering" and all(x["description"] for x in english)


def test_resources_whose_text_names_the_theme_are_offered_when_none_is_tagged_with_it(
    avesnois: sa.Engine, data_dir: Path
) -> None:
    """The fiches of service-public.fr and of the Ministère du Travail carry their own
    subjects, not the themes of the list: a visitor asking for « Emploi et insertion »
    still gets those that name it, saying so; those tagged with a theme come first."""
    import_resources(db=avesnois, paths=[data_dir / "resources" / "service-public",
                                         data_dir / "resources" / "travail"])  # fmt: skip
    found = first_km.guide(db=avesnois, where="59740", world="associative",
                           themes=["emploi-insertion"], maturity=1, today=corner.TODAY)  # fmt: skip
    assert found["resources"], "no resource offered"
    for offered in found["resources"]:
        assert offered["reason"].startswith("Son texte nomme « Emploi et insertion »")
    assert sorted(r["title"] for r in found["resources"]) == [
        "L'accompagnement des personnes sans emploi pour la création et la reprise d’entreprise",
        "L'aide à l’embauche d’un jeune en Contrat Initiative Emploi (CIE Jeunes)"]  # fmt: skip
    english = first_km.guide(db=avesnois, where="59740", world="associative", lang="en",
                             themes=["emploi-insertion"], maturity=1, today=corner.TODAY)  # fmt: skip
    assert english["resources"][0]["reason"].startswith(
        "Its text names 'Employment and integration'"
    )
    tagged = first_km.guide(db=avesnois, where="59740", today=corner.TODAY, **ASKED)
    assert [r["reason"].startswith("Sur ") for r in tagged["resources"]][:2] == [True, True]


def _resources_for(db: sa.Engine, *themes: str) -> list[dict[str, Any]]:
    """The resources offered to an association of Solre-le-Château (level 1) asking
    ``themes``."""
    found = first_km.guide(db=db, where="59740", world="associative", maturity=1,
                           themes=list(themes), today=corner.TODAY)  # fmt: skip
    return list(found["resources"])


def test_two_themes_asked_take_turns_in_the_resources(avesnois: sa.Engine) -> None:
    """Asked for two themes, the visitor gets resources on both: six guides on « Inclusion
    numérique » do not fill the five places before the one on « Culture » (user trial,
    issue 22)."""
    store_records(db=avesnois, records=[
        ResourceRecord(type="guide", title=f"Fiche pratique numérique n° {n}", themes=[corner.THEME],
                       date=dt.date(2026, 1, n), source_ref=f"num-{n}")
        for n in range(1, 7)
    ], user="test", source="turns-test")  # fmt: skip
    titles = [r["title"] for r in _resources_for(avesnois, corner.THEME, "culture")]
    assert len(titles) == 5
    assert titles[1] == "Guide des saisons culturelles"  # the second place: culture's turn
    assert "Guide de l'inclusion numérique en Avesnois" in titles  # still first on its theme
    alone = _resources_for(avesnois, corner.THEME)
    assert "Guide des saisons culturelles" not in [r["title"] for r in alone]


def test_a_resource_offered_for_naming_a_theme_names_its_words_not_their_stems(
    avesnois: sa.Engine,
) -> None:
    """The search matches stems: « la forme des statuts » matched « Se former », and the
    first kilometre said « Son texte nomme « Se former » » (user trial, issue 22). Only a
    text naming the theme's words is offered that way."""
    store_records(db=avesnois, records=[
        ResourceRecord(type="guide", title="Rédaction des statuts d'une association",
                       body="La forme des statuts est libre ; ils sont rédigés par écrit.",
                       source_ref="statuts"),
        ResourceRecord(type="guide", title="Bénévoles : se former au numérique",
                       body="Des ateliers pour se former, gratuits, chaque mois.",
                       source_ref="former"),
    ], user="test", source="names-test")  # fmt: skip
    assert [(r["title"], r["reason"]) for r in _resources_for(avesnois, "se-former")] == [
        ("Bénévoles : se former au numérique",
         "Son texte nomme « Se former » ; guide, utile à votre niveau"),
    ]  # fmt: skip


def test_a_text_names_a_theme_in_the_singular_or_the_plural(avesnois: sa.Engine) -> None:
    """« une démarche en ligne » names the theme « Démarches en ligne » (the review of the
    rule above: a plural theme word was sought as written)."""
    store_records(db=avesnois, records=[
        ResourceRecord(type="guide", title="Pas à pas : une démarche en ligne",
                       body="Faire une démarche en ligne depuis la médiathèque.",
                       source_ref="demarche"),
    ], user="test", source="singular-test")  # fmt: skip
    found = _resources_for(avesnois, "demarches-en-ligne")
    assert [r["title"] for r in found] == ["Pas à pas : une démarche en ligne"]
    assert found[0]["reason"].startswith("Son texte nomme « Démarches en ligne »")
