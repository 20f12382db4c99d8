"""Fuzzing every importer: generated and mutated files are imported into a migrated
SQLite database through the one dispatch (``import_file``) and through the command
line. Whatever the bytes, the answer is a report or one line of ``InvalidInput``
(``UnreadableFile`` among them), never another exception, and a refused or failed
import writes nothing but its ``import_run`` row.

CI runs a fixed, derandomised number of examples per format (reproducible);
``MAILLAGE_FUZZ_EXAMPLES=5000`` runs that many per format, randomly (see README, Test
budget).
"""

from __future__ import annotations

import io
import itertools
import os
import zipfile
from pathlib import Path

import fuzz_samples
import pytest
import sqlalchemy as sa
import xlsx_bombs as bombs
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from maillage.cli.main import cli
from maillage.io.unreadable import CELL_LIMIT
from maillage.model.errors import InvalidInput
from maillage.services.importing import FORMATS, import_file

EXAMPLES = int(os.environ.get("MAILLAGE_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXAMPLES or 8,
    derandomize=not EXAMPLES,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # a failure is reported as found, not shrunk
    suppress_health_check=list(HealthCheck),
)
SAMPLES = fuzz_samples.samples()
KEPT = {"import_run", "alembic_version"}  # what a refused import may write
_names = itertools.count()

# Bytes a mutation inserts: quotes, separators, BOMs, NUL, broken UTF-8, deep nesting,
# XML entities and doctypes, formulas, huge numbers, lone surrogates, bidi controls.
TOKENS = [
    b'"', b"'", b",", b";", b"\t", b"\n", b"\r", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe",
    b"\xc3", b"\xe9", b"[" * 5000, b"{" * 5000, b'{"a":', b"[1,", b"null", b"NaN",
    b"-1e999", b"9" * 400, b'"\\ud800"', b"<", b"&amp;", b"&x;", b"]]>", b"<!--",
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>', b"=HYPERLINK(1)", b"\xe2\x80\xae",
    b"2024-02-30", b"|||", b"DEP:", b"W123",
]  # fmt: skip


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` after one to four mutations: truncation, byte flips, insertions,
    deletions, duplications, and rarely a cell over the cell limit."""
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "flip", "insert", "delete", "repeat", "huge"]))
        if kind == "cut":
            data = data[:at]
        elif kind == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif kind == "insert":
            token = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=8))
            data = data[:at] + token + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)) :]
        elif kind == "repeat":
            piece = data[at : at + draw(st.integers(1, 200))]
            data = data[:at] + piece * draw(st.integers(2, 50)) + data[at:]
        elif kind == "huge" and draw(st.integers(0, 3)) == 0:
            data = data[:at] + b"x" * (CELL_LIMIT + 1) + data[at:]
    return data


@st.composite
def mutated_zip(draw: st.DrawFn, data: bytes) -> bytes:
    """A workbook with one part mutated, deleted or added, or its raw bytes mutated."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    kind = draw(st.sampled_from(["raw", "part", "part", "delete", "bomb"]))
    if kind == "raw":
        return draw(mutated_bytes(data))
    name = draw(st.sampled_from(sorted(parts)))
    if kind == "delete":
        del parts[name]
    elif kind == "part":
        parts[name] = draw(mutated_bytes(parts[name]))
    else:  # a part that grows too much
        parts[name] = bombs.Part.repeated(parts[name][:0], b" " * (1 << 20), 8, parts[name])  # type: ignore[assignment]
    return bombs.rezip(parts)  # type: ignore[arg-type]


def contents(name: str, data: bytes) -> st.SearchStrategy[bytes]:
    """Files for the sample ``name``: mutations of it, or bytes generated from nothing."""
    mutations = mutated_zip(data) if name.endswith(".xlsx") else mutated_bytes(data)
    generated = st.binary(max_size=600) | st.text(max_size=300).map(str.encode)
    return st.one_of(mutations, mutations, mutations, generated)


@pytest.fixture(scope="module")
def engine(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> sa.Engine:
    """One migrated SQLite database for all the examples of the module."""
    from maillage.storage.engine import make_engine

    target = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    target.write_bytes(sqlite_template.read_bytes())
    return make_engine(f"sqlite:///{target}")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files")


def _counts(db: sa.Engine) -> dict[str, int]:
    names = sorted(set(sa.inspect(db).get_table_names()) - KEPT)
    query = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{n}")' for n in names)
    with db.connect() as conn:
        return dict(zip(names, conn.exec_driver_sql(query).one(), strict=True))


def _write(folder: Path, fmt: str, name: str, content: bytes) -> Path:
    """Write ``content`` as ``name`` in a folder of its own; a network's folder gets the
    other file of the sample unchanged."""
    place = folder / f"{fmt}-{next(_names)}"
    place.mkdir()
    if fmt == "network":
        for other, data in SAMPLES["network"]:
            (place / other).write_bytes(data)
        (place / name).write_bytes(content)
        return place
    (place / name).write_bytes(content)
    return place / name


def _import_once(db: sa.Engine, fmt: str, path: Path) -> str | None:
    """Import ``path``; the one-line refusal, or None for a report. Asserts that nothing
    but the run was written unless the import succeeded."""
    before = _counts(db)
    try:
        report = import_file(db=db, fmt=fmt, path=path)
    except InvalidInput as error:
        message = str(error)
        assert "\n" not in message and len(message) < 2000, message
        assert _counts(db) == before
        return message
    assert report.status in ("done", "failed"), report.status
    if report.status == "failed":
        assert _counts(db) == before
        assert report.issues and all(i.message for i in report.issues)
    return None


@pytest.mark.parametrize(
    ("fmt", "name", "data"),
    [(fmt, name, data) for fmt, files in SAMPLES.items() for name, data in files],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_format_has_a_sample_and_it_imports(
    engine: sa.Engine, folder: Path, fmt: str, name: str, data: bytes
) -> None:
    assert _import_once(engine, fmt, _write(folder, fmt, name, data)) is None
    assert set(SAMPLES) == set(FORMATS)


@pytest.mark.parametrize(
    ("fmt", "name", "data"),
    [(fmt, name, data) for fmt, files in SAMPLES.items() for name, data in files],
    ids=lambda value: value if isinstance(value, str) else "",
)
@FUZZ
@given(st.data())
def test_a_mutated_or_generated_file_is_imported_or_refused_in_one_line(
    engine: sa.Engine, folder: Path, fmt: str, name: str, data: bytes, draw: st.DataObject
) -> None:
    content = draw.draw(contents(name, data), label="content")
    _import_once(engine, fmt, _write(folder, fmt, name, content))


def _deep() -> bytes:
    return b"[" * 100_000 + b"]" * 100_000


def _csv_with_cell(length: int) -> bytes:
    return b"name,key\nA,1\nB," + b"x" * length + b"\nC,3\n"


BOMB = bombs.shared_string_bomb()  # 1 GiB of text in about 1 MB
PLACES = dict(SAMPLES["lieux"])["lieux.json"]
# The cases of issue 21, each through every importer that reads its kind of file:
# (format, file name, content, what the one line says; None: a report, no refusal).
LISTED = [
    *[(fmt, "bom.json", b"\xef\xbb\xbf" + data, None)
      for fmt, data in (("lieux", PLACES), ("data-inclusion", dict(SAMPLES["data-inclusion"])[
          "structures.json"]), ("decp", dict(SAMPLES["decp"])["decp.json"]))],
    *[(fmt, "deep.json", _deep(), "« deep.json » : JSON trop profondément imbriqué")
      for fmt in ("lieux", "data-inclusion", "decp")],
    *[(fmt, "vide.json", b"", "« vide.json » : fichier vide, document JSON attendu")
      for fmt in ("lieux", "data-inclusion", "decp")],
    *[(fmt, "latin.json", '[{"nom": "Créteil"}]'.encode("latin-1"),
       "« latin.json », octet 13 : pas en UTF-8") for fmt in ("lieux", "data-inclusion", "decp")],
    *[(fmt, "items.json", b'[{"nom": "A"}, 3, "x"]',
       "« items.json », élément 2 : objet JSON attendu, pas un nombre")
      for fmt in ("lieux", "data-inclusion")],
    # Found by the fuzzer: a DECP document that is a number, or whose contracts are not
    # an array, was a TypeError.
    *[("decp", "decp.json", content, f"« decp.json » : tableau JSON d'objets attendu, pas {kind}")
      for content, kind in ((b"356000000", "un nombre"), (b'{"marches": "x"}', "un texte"),
                            (b'{"marches": {"marche": 5}}', "un nombre"))],
    ("actors", "long.csv", _csv_with_cell(131_073), None),
    # Found by the fuzzer: an XML declaration naming an unknown encoding, or one that is
    # not a text encoding, was a LookupError or a ValueError (a failed report now).
    *[(fmt, f"reseau.{fmt}", f'<?xml version="1.0" encoding="{encoding}"?><a/>'.encode(), None)
      for fmt in ("gexf", "graphml") for encoding in ("KTF-8", "hex", "idna", "utf-32")],
    ("actors", "huge.csv", _csv_with_cell(CELL_LIMIT + 1),
     "« huge.csv », ligne 3 : cellule de plus de 1\u202f048\u202f576 caractères"),
    *[(fmt, "faux.xlsx", b"name,key\nA,1\n", "« faux.xlsx » : pas un classeur XLSX")
      for fmt in ("actors", "links", "data-inclusion", "kumu", "needs", "indicators")],
    *[(fmt, "bombe.xlsx", BOMB,
       "« bombe.xlsx » : partie « xl/sharedStrings.xml » du classeur : 1\u202f073\u202f741\u202f917 "
       "octets décompressés") for fmt in ("actors", "data-inclusion", "kumu")],
    ("actors", "vide.xlsx", bombs.empty_rows_bomb((1 << 20) + 1, "B"),
     "« vide.xlsx#actors », ligne 1048577 : plus de 1\u202f048\u202f576 lignes"),
    *[(fmt, "guillemet.csv", b'name,key\nA,1\nB,"2\nC,3\n',
       "« guillemet.csv », ligne 3 : guillemet jamais fermé")
      for fmt in ("actors", "links", "lieux", "scdl", "france-services", "needs")],
]  # fmt: skip


@pytest.mark.parametrize(("fmt", "name", "content", "expected"), LISTED,
                         ids=[f"{c[0]}-{c[1]}" for c in LISTED])  # fmt: skip
def test_the_listed_hostile_files_are_refused_in_one_line(
    engine: sa.Engine, folder: Path, fmt: str, name: str, content: bytes, expected: str | None
) -> None:
    message = _import_once(engine, fmt, _write(folder, fmt, name, content))
    if expected is None:
        assert message is None
    else:
        assert message is not None and message.startswith("Fichier illisible")
        assert expected in message


CLI_CASES = [LISTED[3], LISTED[-1], *[c for c in LISTED if c[1] in ("bombe.xlsx", "faux.xlsx")][:2]]


@pytest.mark.parametrize(("fmt", "name", "content", "expected"), CLI_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CLI_CASES])  # fmt: skip
def test_the_command_line_refuses_them_in_one_line(
    engine: sa.Engine, folder: Path, fmt: str, name: str, content: bytes, expected: str
) -> None:
    path = _write(folder, fmt, name, content)
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["import", fmt, str(path), "--db", url])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith("Erreur : Fichier illisible") and expected in lines[0]
