"""The resource centre's services on both engines: an audited, undoable import of the
shipped samples and of documents made here, French full-text search with facets and
highlighted passages (the same hits on SQLite and PostgreSQL), exports, and an actor
named in a resource linked in one click."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from builders import make_actor
from maillage.io.resources import ResourceFileError
from maillage.services import actors, history
from maillage.services import resources as service
from maillage.storage.tables import change, resource, resource_mention
from resource_files import make_docx, make_odt, make_pdf, make_webinar


def _samples(data_dir: Path) -> list[Path]:
    folder = data_dir / "resources"
    return [folder / name for name in ("service-public", "travail", "rhapsodie", "parisstories")]


def _marked(page: service.SearchPage) -> str:
    return " ".join(t for h in page.hits for p in h.passages for t, hit in p if hit)


def test_import_counts_each_set_audits_every_resource_and_undoes_as_one_batch(
    db: sa.Engine, data_dir: Path, tmp_path: Path
) -> None:
    made = [make_webinar(tmp_path), make_pdf(tmp_path), make_docx(tmp_path), make_odt(tmp_path)]
    summary = service.import_resources(db=db, paths=[*_samples(data_dir), *made])
    assert summary.created == 12 + 5 + 3 + 2 + 4 and summary.already == 0
    assert summary.by_source == {"service-public.fr": 12, "travail-emploi.gouv.fr": 5,
                                 "UD_French-Rhapsodie": 3, "UD_French-ParisStories": 2,
                                 "": 4}  # fmt: skip
    with db.connect() as conn:
        audited = conn.execute(sa.select(sa.func.count()).select_from(change).where(
            change.c.entity == "resource", change.c.batch_id == summary.batch_id)).scalar()  # fmt: skip
    assert audited == summary.created
    again = service.import_resources(db=db, paths=_samples(data_dir))
    assert again.created == 0 and again.already == 22  # nothing twice
    # the text of each made document is found by search
    for words, title in [("réparent ordinateurs", "Étude sur les fablabs solidaires"),
                         ("conseillers numériques", "Guide des maisons France Services"),
                         ("villages isolés", "Entretien avec une épicerie coopérative"),
                         ("fondation entreprise soutien département", "L'ODD 17 en pratique : co-construire le bien commun")]:  # fmt: skip
        assert [h.title for h in service.search_resources(db=db, query=words).hits] == [title]
    history.undo_batch(db=db, batch_id=summary.batch_id)
    assert service.search_resources(db=db, query="").total == 0
    assert service.search_resources(db=db, query="association").hits == []


def test_a_bad_file_writes_nothing(db: sa.Engine, data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "mauvais.md"
    bad.write_text("---\ntitle: X\nterritories: [DEP:999]\n---\ntexte", encoding="utf-8")
    with pytest.raises(ResourceFileError, match="DEP:999"):
        service.import_resources(db=db, paths=[*_samples(data_dir), bad])
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(resource)).scalar() == 0


def test_search_finds_french_words_in_titles_bodies_and_transcripts_with_facets(
    db: sa.Engine, data_dir: Path, tmp_path: Path
) -> None:
    service.import_resources(db=db, paths=[*_samples(data_dir), make_webinar(tmp_path)])
    # a transcript: the speaker turns are searched, the passage is marked
    page = service.search_resources(db=db, query="Palais Royal")
    assert [h.title for h in page.hits] == ["Rhapsodie D0001 — interview"]
    assert "Palais" in _marked(page) and "Royal" in _marked(page)
    # stemming and accents: "déclarations" finds "déclaration", "Declaration"
    page = service.search_resources(db=db, query="declarations associations")
    assert page.total >= 3 and "déclaration" in _marked(page).lower()
    scores = [h.score for h in page.hits]  # titles holding the words first, then shorter texts
    assert scores == sorted(scores, reverse=True) and "ssociation" in page.hits[0].title
    # facets: counted over every match, narrowing by one value
    by_type = dict(page.facets["type"])
    guides = service.search_resources(db=db, query="declarations associations",
                                      filters={"type": ["guide"]})  # fmt: skip
    assert guides.total == by_type["guide"] and {h.type for h in guides.hits} == {"guide"}
    assert dict(guides.facets["type"]) == {"guide": by_type["guide"]}
    webinar = service.search_resources(db=db, query="coopération", filters={
        "type": ["webinar"], "theme": ["cohesion-territoriale"], "territory": ["DEP:59"],
        "year": ["2020"], "licence": ["CC-BY-4.0"]})  # fmt: skip
    assert [h.type for h in webinar.hits] == ["webinar"]
    assert service.search_resources(db=db, query="coopération",
                                    filters={"year": ["2019"]}).total == 0  # fmt: skip
    everything = service.search_resources(db=db, query="")
    assert everything.total == 23
    assert dict(everything.facets["licence"]) == {"MIT": 12, "Apache-2.0": 5, "CC-BY-SA-4.0": 5,
                                                  "CC-BY-4.0": 1}  # fmt: skip


def test_a_passage_is_shown_once_and_without_markdown_marks(db: sa.Engine, data_dir: Path) -> None:
    """A fiche whose summary opens its body shows that sentence once, not twice; the
    Ministère du Travail fiches' section titles (``## …``) show without their marks."""
    service.import_resources(db=db, paths=_samples(data_dir))
    for query in ("entreprise", "emploi", "association", "apprentis", "bénéficier"):
        for hit in service.search_resources(db=db, query=query).hits:
            shown = [" ".join("".join(t for t, _ in p).split()) for p in hit.passages]
            assert len(set(shown)) == len(shown), (query, hit.title, shown)
            assert not any(p.startswith("#") for p in shown), (query, hit.title, shown)
    page = service.search_resources(db=db, query="qui peut en bénéficier")
    headings = [
        p for h in page.hits for p in h.passages if "".join(t for t, _ in p).startswith("Qui peut")
    ]
    assert headings, "the section title « Qui peut en bénéficier ? » is a passage"


def test_a_fiche_of_several_subjects_has_each_as_a_theme(
    db: sa.Engine, data_dir: Path, tmp_path: Path
) -> None:
    """service-public.fr gives « Fonctionnement d'une association, Secteurs d'activité »
    (34 of its 241 fiches): two themes, each a facet value, not one joined value."""
    shipped = data_dir / "resources" / "service-public" / "fiches_associations.jsonl"
    row = json.loads(shipped.read_text(encoding="utf-8").splitlines()[1])
    row["subject"] = "Fonctionnement d'une association, Secteurs d'activité"
    fiches = tmp_path / "fiches_associations.jsonl"
    fiches.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    service.import_resources(db=db, paths=[fiches])
    themes = dict(service.search_resources(db=db).facets["theme"])
    assert themes == {"Fonctionnement d'une association": 1, "Secteurs d'activité": 1}


def test_the_world_of_the_actors_concerned_is_a_facet_and_a_mention_is_accepted_in_one_click(
    db: sa.Engine, tmp_path: Path
) -> None:
    actor = actors.create_actor(db=db, values=make_actor(name="Tiers-lieu des Hauts",
                                                         world="associative"))  # fmt: skip
    service.import_resources(db=db, paths=[make_webinar(tmp_path)])
    rid = service.search_resources(db=db, query="").hits[0].id
    with db.begin() as conn:  # a proposed mention, as the mention finder writes it
        conn.execute(sa.insert(resource_mention).values(
            resource_id=rid, actor_id=actor["id"], surface="Tiers-lieu des Hauts", start=0,
            score=1.0, status="proposed"))  # fmt: skip
    assert service.search_resources(db=db, query="", filters={"world": ["associative"]}).total == 0
    after = service.accept_mention(db=db, resource_id=rid, actor_id=actor["id"], user="user:7")
    assert after["actors"] == [actor["id"]]
    page = service.search_resources(db=db, query="", filters={"world": ["associative"]})
    assert [h.id for h in page.hits] == [rid] and dict(page.facets["world"]) == {"associative": 1}
    shown = service.get_resource(db=db, resource_id=rid)
    assert shown["mentions"][0]["status"] == "accepted"
    assert shown["actor_names"] == {actor["id"]: "Tiers-lieu des Hauts"}
    with db.connect() as conn:
        who = conn.execute(sa.select(change.c.user).where(change.c.entity == "resource",
                                                          change.c.action == "update")).scalar()  # fmt: skip
    assert who == "user:7"


@pytest.mark.postgres
def test_both_engines_find_the_same_resources(
    both_engines: dict[str, sa.Engine], data_dir: Path, tmp_path: Path
) -> None:
    webinar = make_webinar(tmp_path)
    for engine in both_engines.values():
        service.import_resources(db=engine, paths=[*_samples(data_dir), webinar])
    queries = [("association", {}), ("déclarations", {"type": ["guide"]}), ("métro", {}),
               ("contrat de travail", {}), ("salariés", {}), ("assemblée générale", {}),
               ("coopération rurale", {}), ("", {"type": ["interview"]}), ("formulaire", {}),
               ("travail", {"licence": ["Apache-2.0"]}), ("bénévoles", {}), ("voiture", {}),
               ("dons", {"licence": ["MIT"]}), ("mairie", {})]  # fmt: skip
    totals = []
    for text, filters in queries:
        pages = {name: service.search_resources(db=e, query=text, filters=filters, limit=100)
                 for name, e in both_engines.items()}  # fmt: skip
        sqlite, postgres = pages["sqlite"], pages["postgresql"]
        assert sqlite.total == postgres.total, text
        assert [h.id for h in sqlite.hits] == [h.id for h in postgres.hits], text
        assert sqlite.facets == postgres.facets, text
        totals.append(sqlite.total)
    assert sum(1 for t in totals if t) == len(queries) - 1 and sum(totals) > 40, totals


def test_export_rows_hold_every_field(db: sa.Engine, tmp_path: Path) -> None:
    service.import_resources(db=db, paths=[make_webinar(tmp_path)])
    (row,) = service.export_resources(db=db)
    assert set(row) == set(service.EXPORT_COLUMNS)
    assert row["type"] == "webinar" and row["speakers"] == "Claire Martin | Paul Durand"
    assert row["sdgs"] == "11 | 17" and row["turns"] == 4
    assert row["replay_url"] == "https://example.org/replay/odd17-5"


def test_actors_named_in_a_resource_are_proposed_once(db: sa.Engine, tmp_path: Path) -> None:
    anct = actors.create_actor(db=db, values=make_actor(
        name="Agence Nationale de la Cohésion des Territoires", acronym="ANCT", world="public"))  # fmt: skip
    other = actors.create_actor(db=db, values=make_actor(name="Fédération des centres sociaux"))
    page = tmp_path / "retour.md"
    page.write_text("---\ntitle: Retour d'expérience\ntype: experience_feedback\n---\n"
                    "Soutenu par l'ANCT, puis par l'Agence nationale de la cohésion des "
                    "territoires ; ce projet n'a pas d'autre partenaire.", encoding="utf-8")  # fmt: skip
    service.import_resources(db=db, paths=[page])
    assert service.find_mentions(db=db) == {"resources": 1, "proposed": 1}
    assert service.find_mentions(db=db) == {"resources": 1, "proposed": 0}  # not twice
    rid = service.search_resources(db=db, query="").hits[0].id
    (mention,) = service.get_resource(db=db, resource_id=rid)["mentions"]
    assert (mention["actor_id"], mention["surface"], mention["status"]) == (anct["id"], "ANCT",
                                                                            "proposed")  # fmt: skip
    assert other["id"] != mention["actor_id"]
