"""The data sets of ``shared/data/resources``: JSONL fiches, oral transcripts, startups.

- service-public.fr "Associations" fiches (``fiches_associations.jsonl``): guides
  (fiches pratiques, questions-réponses, dossiers) and tools (formulaires,
  téléservices, modèles); author DILA.
- Ministère du Travail fiches (``fiches_travail.jsonl``): guides, intro then sections.
- Oral transcripts (``transcripts/<doc>.txt``: a ``# key: value`` header, then one
  line a turn, ``L1: …`` or a bare sentence): interviews with their speaker turns.
- beta.gouv.fr startup fiches (Markdown + YAML with ``incubator`` and ``phases``):
  experience feedback; the sponsors and incubator are the organisations concerned;
  the ``contact`` address is never kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from maillage.io.resources.documents import parse_date, record_from_meta, split_turns
from maillage.io.resources.model import ResourceFileError, ResourceRecord, Turn

SERVICE_PUBLIC_TOOLS = frozenset(
    ["Formulaire", "Téléservice", "Modèle", "Service en ligne et formulaire", "Outil de recherche"]
)
HEADER = re.compile(r"^#\s*([A-Za-z_]+)\s*:\s*(.*)$")


def jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ResourceFileError(str(path), f"ligne {number}", None,
                                        f"JSON illisible : {exc.msg}",
                                        f"unreadable JSON: {exc.msg}") from None  # fmt: skip
            if not isinstance(row, dict):
                raise ResourceFileError(str(path), f"ligne {number}", None,
                                        "un objet JSON est attendu par ligne",
                                        "one JSON object per line is expected")  # fmt: skip
            yield number, row


def _need(row: dict[str, Any], key: str, path: Path, number: int) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ResourceFileError(str(path), f"ligne {number}", key, "valeur manquante",
                                "missing value")  # fmt: skip
    return value.strip()


def service_public(path: Path) -> Iterator[ResourceRecord]:
    for number, row in jsonl_records(path):
        kind = row.get("type") or ""
        yield ResourceRecord(
            type="tool" if kind in SERVICE_PUBLIC_TOOLS else "guide",
            title=_need(row, "title", path, number),
            summary=row.get("description") or None,
            body=row.get("text") or None,
            date=parse_date(row.get("date"), f"{path}, ligne {number}"),
            authors=[row["creator"]] if row.get("creator") else [],
            licence="MIT",  # the package's licence (see the data set's SOURCE.md)
            url=row.get("url"),
            # several subjects come joined: « Fonctionnement d'une association, Fiscalité »
            themes=[t.strip() for t in (row.get("subject") or "").split(", ") if t.strip()],
            organisations=[
                c.strip()
                for c in re.split(r",(?![^(]*\))", row.get("contributor") or "")
                if c.strip()
            ],  # fmt: skip
            source="service-public.fr",
            source_ref=_need(row, "id", path, number),
            extra={"fiche_type": kind, "rights": row.get("rights")},
        )


def travail(path: Path) -> Iterator[ResourceRecord]:
    for number, row in jsonl_records(path):
        parts = [row.get("intro") or ""]
        for section in row.get("sections") or []:
            parts.append(f"## {section.get('title') or ''}\n\n{section.get('text') or ''}")
        yield ResourceRecord(
            type="guide",
            title=_need(row, "title", path, number),
            summary=row.get("description") or None,
            body="\n\n".join(p.strip() for p in parts if p.strip()) or None,
            date=parse_date(row.get("date"), f"{path}, ligne {number}"),
            authors=["Ministère du Travail"],
            licence="Apache-2.0",
            url=row.get("url"),
            themes=["Droit du travail"],
            source="travail-emploi.gouv.fr",
            source_ref=_need(row, "pubId", path, number),
        )


def transcript(path: Path) -> ResourceRecord:
    """One transcript file: its ``# key: value`` header, then its turns."""
    header: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    start = 0
    for start, line in enumerate(lines):  # noqa: B007 - the first line after the header
        match = HEADER.match(line)
        if not match:
            break
        header[match[1]] = match[2].strip()
    else:
        start = len(lines)
    turns: list[Turn] = split_turns("\n".join(lines[start:]))
    if not turns:
        raise ResourceFileError(str(path), None, None, "aucune prise de parole",
                                "no speaker turn")  # fmt: skip
    document = header.get("document") or path.stem
    corpus, _, licence = (header.get("source") or "").partition(" (")
    speakers = list(dict.fromkeys(t.speaker for t in turns if t.speaker))
    year = re.search(r"_(\d{4})_", document)
    return ResourceRecord(
        type="interview",
        title=_title(document, header),
        body=None,
        date=parse_date(year[1], str(path)) if year else None,
        licence=licence.rstrip(")").replace(" ", "-") or None,
        url=header.get("sound_url"),
        speakers=speakers,
        transcript=turns,
        source=corpus.split("/")[-1] or "transcripts",
        source_ref=document,
        extra={k: v for k, v in header.items() if k not in ("document", "source", "sound_url")},
    )


def _title(document: str, header: dict[str, str]) -> str:
    """``ParisStories_2021_nouvelleCollegue`` -> ``ParisStories 2021 — nouvelle collegue``;
    ``Rhap_D0001`` (task interview) -> ``Rhapsodie D0001 — interview``."""
    if document.startswith("Rhap_"):
        what = header.get("task") or header.get("subgenre") or header.get("type") or ""
        return f"Rhapsodie {document[5:]}" + (f" — {what}" if what else "")
    head, _, name = document.rpartition("_")
    if not head or name.isdigit():
        return document.replace("_", " ")
    words = re.sub(r"(?<=[a-zé])(?=[A-Z])", " ", name).lower()
    return f"{head.replace('_', ' ')} — {words}"


def is_transcript(path: Path) -> bool:
    with path.open(encoding="utf-8-sig", errors="replace") as file:
        return file.readline().startswith("# document:")


def is_startup(meta: dict[str, Any]) -> bool:
    return "incubator" in meta and "phases" in meta


def startup(meta: dict[str, Any], body: str, path: Path) -> ResourceRecord:
    """A beta.gouv.fr startup fiche: experience feedback of a public digital service."""
    phases = [p for p in meta.get("phases") or [] if isinstance(p, dict)]
    starts = sorted(str(p["start"]) for p in phases if p.get("start"))
    organisations = [str(s).rsplit("/", 1)[-1] for s in meta.get("sponsors") or []]
    if meta.get("incubator"):
        organisations.append(str(meta["incubator"]))
    extra = {
        "mission": meta.get("mission"),
        "phases": phases,
        "last_phase": phases[-1].get("name") if phases else None,
        "usertypes": meta.get("usertypes") or [],
        "repository": meta.get("repository"),
        "incubator": meta.get("incubator"),
        "sponsors": organisations[:-1] if meta.get("incubator") else organisations,
    }
    record = record_from_meta(
        {"title": meta.get("title"), "summary": meta.get("mission"), "link": meta.get("link"),
         "thematiques": meta.get("thematiques"), "date": starts[0] if starts else None},
        body, str(path), "experience_feedback", path.stem,
    )  # fmt: skip
    record.licence = "CC-BY-NC-SA-4.0"
    record.organisations = list(dict.fromkeys(organisations))
    record.source = "beta.gouv.fr"
    record.source_ref = path.stem
    record.extra = {k: v for k, v in extra.items() if v not in (None, [], "")}
    return record
