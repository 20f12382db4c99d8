"""Reading resources: the shipped samples of the resource sets, documents made here
(Markdown webinar, HTML, PDF, DOCX, ODT), the full sets where ``../shared`` is present,
personal e-mail addresses masked, and bad files refused with file, position and field."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from maillage.io.resources import ResourceFileError, ResourceRecord, read_path, read_paths
from maillage.io.resources.privacy import MASK
from resource_files import make_docx, make_odt, make_pdf, make_webinar

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "resources"


def test_shipped_samples_of_each_set_read_with_their_metadata(data_dir: Path) -> None:
    folder = data_dir / "resources"
    public = list(read_path(folder / "service-public"))
    assert len(public) == 12
    assert Counter(r.type for r in public) == {"guide": 8, "tool": 4}
    first = public[0]
    assert first.source_ref == "F1120" and first.source == "service-public.fr"
    assert first.authors == ["Direction de l'information légale et administrative"]
    assert first.themes and first.date and first.date.year >= 2018
    travail = list(read_path(folder / "travail"))
    assert len(travail) == 5
    assert all(r.type == "guide" and r.licence == "Apache-2.0" for r in travail)
    assert all("## " in (r.body or "") for r in travail)  # the sections, titled
    rhapsodie = {r.source_ref: r for r in read_path(folder / "rhapsodie")}  # LICENSE skipped
    assert sorted(rhapsodie) == ["Rhap_D0001", "Rhap_D2001", "Rhap_M0024"]
    interview = rhapsodie["Rhap_D0001"]
    assert interview.type == "interview" and interview.speakers == ["L1", "L2", "L3"]
    assert interview.transcript[0].speaker == "L1"
    assert interview.transcript[0].text.startswith("est-ce que vous pourriez décrire")
    assert interview.extra["task"] == "interview" and interview.licence == "CC-BY-SA-4.0"
    assert interview.url == "https://rhapsodie.modyco.fr/rp/waves/Rhap-D0001.mp3"
    stories = list(read_path(folder / "parisstories"))
    assert len(stories) == 2
    assert {r.date for r in stories} == {dt.date(2019, 1, 1), dt.date(2021, 1, 1)}


def test_a_markdown_webinar_keeps_replay_speakers_turns_and_hides_personal_addresses(
    tmp_path: Path,
) -> None:
    (webinar,) = read_path(make_webinar(tmp_path))
    assert webinar.type == "webinar" and webinar.date == dt.date(2020, 11, 26)
    assert webinar.replay_url == "https://example.org/replay/odd17-5"
    assert webinar.speakers == ["Claire Martin", "Paul Durand"]
    assert [t.speaker for t in webinar.transcript] == ["Claire Martin", "Paul Durand"] * 2
    assert webinar.transcript[3].text.startswith("Grâce à une fondation")
    assert webinar.sdgs == [11, 17] and webinar.territories == ["DEP:59"]
    assert "contact@example.org" in (webinar.body or "")  # a function's address stays
    assert "claire.martin" not in (webinar.body or "") and MASK in (webinar.body or "")
    assert "contact" not in webinar.extra  # the front matter's personal contact: dropped


def test_html_pdf_docx_and_odt_documents_read_with_their_text(
    tmp_path: Path, data_dir: Path
) -> None:
    html, pdf, docx, odt = read_paths([
        data_dir / "resources" / "documents" / "retour-experience.html",
        make_pdf(tmp_path), make_docx(tmp_path), make_odt(tmp_path),
    ], default_type="study")  # fmt: skip
    assert html.title == "Retour d'expérience : un tiers-lieu numérique en milieu rural"
    assert html.authors == ["Réseau des tiers-lieux"] and html.date == dt.date(2023, 5, 4)
    assert "Ateliers de médiation numérique" in (html.body or "")
    assert "ne pas indexer" not in (html.body or "")  # script dropped
    assert "jeanne.dupont" not in (html.body or "") and "accueil@tiers-lieu" in (html.body or "")
    assert pdf.title == "Étude sur les fablabs solidaires"
    assert "réparent des ordinateurs" in (pdf.body or "")
    assert "marc.petit" not in (pdf.body or "")
    assert docx.title == "Guide des maisons France Services"
    assert docx.authors == ["Agence des territoires"]
    assert "Accueillir le public" in (docx.body or "")
    assert "Horaires | du lundi au vendredi" in (docx.body or "")
    assert odt.title == "Entretien avec une épicerie coopérative"
    assert (odt.body or "").index("Une épicerie") < (odt.body or "").index("La coopérative")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.md", "---\ntitle: [unclosed\n---\nbody", "bad.md, ligne"),
        ("type.md", "---\ntitle: X\ntype: podcast\n---\n", "« type »"),
        ("date.md", "---\ntitle: X\ndate: hier\n---\n", "« date »"),
        ("odd.md", "---\ntitle: X\nsdgs: [18]\n---\n", "« sdgs »"),
        ("bad.jsonl", '{"title": "a", "text": "b"}\n{oops\n', "bad.jsonl, ligne 2"),
        ("x.xyz", "?", "format non reconnu"),
    ],
)
def test_bad_files_are_refused_naming_file_position_and_field(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ResourceFileError) as error:
        list(read_path(path))
    assert expected in str(error.value) and str(path) in str(error.value)


@pytest.fixture(scope="module")
def shared_sets() -> dict[str, list[ResourceRecord]]:
    if not SHARED.exists():
        pytest.skip("needs ../shared/data/resources")
    return {name: list(read_path(SHARED / name)) for name in (
        "service-public-associations", "travail-emploi-fiches", "rhapsodie-oral-transcripts",
        "parisstories-oral-transcripts", "betagouv-startups")}  # fmt: skip


def test_every_shared_set_reads_with_its_exact_count(
    shared_sets: dict[str, list[ResourceRecord]],
) -> None:
    counts = {name: len(records) for name, records in shared_sets.items()}
    assert counts == {
        "service-public-associations": 241,
        "travail-emploi-fiches": 269,
        "rhapsodie-oral-transcripts": 57,
        "parisstories-oral-transcripts": 66,
        "betagouv-startups": 662,
    }


def test_beta_gouv_fiches_never_keep_a_personal_address(
    shared_sets: dict[str, list[ResourceRecord]],
) -> None:
    personal = ("jennifer.stephan@", "louis.laroche@", "eglantine.schmitt@", "manon@maestro")
    startups = shared_sets["betagouv-startups"]
    texts = " ".join(f"{r.title} {r.summary} {r.body} {r.extra}" for r in startups)
    assert not any(p in texts for p in personal)
    assert texts.count(MASK) >= 10
    aidants = next(r for r in startups if r.source_ref == "aidantsconnect")
    assert aidants.type == "experience_feedback" and aidants.licence == "CC-BY-NC-SA-4.0"
    assert aidants.organisations == ["anct"] and aidants.themes == ["Social", "Inclusion numérique"]
    assert aidants.date == dt.date(2019, 3, 13)
    assert "contactaidantsconnect@" not in texts


def test_known_actors_are_found_by_name_close_name_and_acronym_not_in_addresses() -> None:
    from maillage.io.resources.mentions import Known, MentionFinder

    finder = MentionFinder([
        Known(1, "Agence Nationale de la Cohésion des Territoires", "ANCT"),
        Known(2, "Direction interministérielle du numérique", "DINUM"),
        Known(3, "Conseil d'Etat", "CE"),
        Known(4, "Agence nationale de l'habitat", "Anah"),
        Known(5, "Avenir", None),  # one word: names everything, never looked for
    ])  # fmt: skip
    text = ("Avec le soutien de l'agence nationale de la cohésion des territoires (ANCT) et de "
            "la Direction interministérielle du numérique, ce projet suit les règles du "
            "Conseil d’État. Voir https://anct.gouv.fr ou écrire à dinum@example.org ; "
            "l'Anah et l'Agence national de l'habitat financent ; un avenir radieux.")  # fmt: skip
    found = [(m.actor_id, m.surface, m.via) for m in finder.find(text)]
    assert found == [
        (1, "agence nationale de la cohésion des territoires", "name"),
        (1, "ANCT", "acronym"),
        (2, "Direction interministérielle du numérique", "name"),
        (3, "Conseil d’État", "name"),
        (4, "Anah", "acronym"),
        (4, "Agence national de l'habitat", "fuzzy"),
    ]
