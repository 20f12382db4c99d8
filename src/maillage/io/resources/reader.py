"""Which reader reads a path: by suffix, by content for JSONL and text, folders walked."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from maillage.io.resources import documents, sets
from maillage.io.resources.model import ResourceFileError, ResourceRecord, Turn
from maillage.io.resources.privacy import mask_emails, mask_value

SKIPPED_NAMES = ("license", "licence", "source.md", "readme", "index.csv", "manifest.csv")
READ_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".odt", ".jsonl", ".txt")
"""The files a folder walk reads; others there (archives, schemas, indexes) are passed by."""
# A beta.gouv.fr copy: its startup fiches are the resources; its organisations and
# incubators are the organisations those fiches name.
SKIPPED_FOLDERS = ("organisations", "incubators")


def read_paths(paths: Iterable[Path], *, default_type: str = "study") -> Iterator[ResourceRecord]:
    """The resources of files and folders (folders walked in name order)."""
    for path in paths:
        yield from read_path(path, default_type=default_type)


def read_path(path: Path, *, default_type: str = "study") -> Iterator[ResourceRecord]:
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.is_dir() and child.name in SKIPPED_FOLDERS:
                continue
            if child.is_file() and _skipped(child):
                continue
            yield from read_path(child, default_type=default_type)
        return
    if not path.exists():
        raise ResourceFileError(str(path), None, None, "fichier introuvable", "file not found")
    for record in _read_file(path, default_type):
        yield masked(record)


def _skipped(path: Path) -> bool:
    name = path.name.lower()
    return name.startswith(SKIPPED_NAMES) or not name.endswith(READ_SUFFIXES)


def _read_file(path: Path, default_type: str) -> Iterator[ResourceRecord]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _jsonl(path)
    elif suffix in (".md", ".markdown"):
        meta, body = documents.front_matter(documents._read_text(path), str(path))
        if sets.is_startup(meta):
            yield sets.startup(meta, body, path)
        else:
            yield documents.record_from_meta(meta, body, str(path), default_type, path.stem)
    elif suffix in (".html", ".htm"):
        yield documents.read_html(path, default_type)
    elif suffix == ".pdf":
        yield documents.read_pdf(path, default_type)
    elif suffix == ".docx":
        yield documents.read_docx(path, default_type)
    elif suffix == ".odt":
        yield documents.read_odt(path, default_type)
    elif suffix == ".txt" and sets.is_transcript(path):
        yield sets.transcript(path)
    else:
        raise ResourceFileError(
            str(path), None, None,
            "format non reconnu (Markdown, HTML, PDF, DOCX, ODT, JSONL, transcription .txt)",
            "unknown format (Markdown, HTML, PDF, DOCX, ODT, JSONL, .txt transcript)",
        )  # fmt: skip


def _jsonl(path: Path) -> Iterator[ResourceRecord]:
    first = next(sets.jsonl_records(path), None)
    if first is None:
        return
    keys = set(first[1])
    if {"pubId", "sections"} <= keys:
        yield from sets.travail(path)
    elif {"id", "subject", "rights"} <= keys:
        yield from sets.service_public(path)
    else:
        for number, row in sets.jsonl_records(path):
            try:
                body = row.pop("body", None) or row.pop("text", None) or ""
                yield documents.record_from_meta(row, str(body), f"{path}, ligne {number}",
                                                 "study", f"{path.stem} {number}")  # fmt: skip
            except ResourceFileError:
                raise
            except (TypeError, ValueError) as exc:
                raise ResourceFileError(str(path), f"ligne {number}", None, str(exc),
                                        str(exc)) from None  # fmt: skip


def masked(record: ResourceRecord) -> ResourceRecord:
    """The record with personal e-mail addresses masked in every text it holds."""
    record.title = mask_emails(record.title)
    record.summary = mask_emails(record.summary) if record.summary else record.summary
    record.body = mask_emails(record.body) if record.body else record.body
    record.transcript = [Turn(t.speaker, mask_emails(t.text)) for t in record.transcript]
    record.extra = mask_value(record.extra)
    record.authors = [mask_emails(a) for a in record.authors]
    return record
