"""The "Startups d'État" of beta.gouv.fr as digital solutions, for the local demo only.

The fiches (``startups/*.md``, YAML front matter) and their ``manifest.csv`` are shared
under a non-commercial licence (CC BY-NC-SA 4.0): maillage ships none of them and reads
them only where a copy sits beside the repository (``make demo``). ``parse_startups``
turns the manifest rows and the fiches' phases into solution rows: the sponsors become
carriers (by organisation name), the phases dates, the thematiques maillage themes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from maillage.io.reading import Table

THEMES = {
    "écologie": "transition-ecologique", "administratif": "demarches-en-ligne",
    "territoires": "cohesion-territoriale", "collectivités": "acces-aux-services-publics",
    "travail / emploi": "emploi-insertion", "social": "innovation-sociale",
    "formation": "se-former", "jeunesse": "education-jeunesse", "education": "education-jeunesse",
    "santé": "sante", "logement": "logement-hebergement",
    "inclusion numérique": "inclusion-numerique", "démocratie": "engagement-citoyen",
    "transports": "mobilite", "culture": "culture", "agriculture": "alimentation",
    "entreprises": "developpement-economique-local",
}  # fmt: skip
STAGES = {
    "investigation": "initiative", "construction": "invention", "acceleration": "innovation",
    "consolidation": "innovation", "transfere": "replication", "alumni": "replication",
    "success": "replication",
}  # fmt: skip
_PHASE = re.compile(r"^\s*-\s*name:\s*(\S+)\s*\n\s*start:\s*(\d{4}-\d{2}-\d{2})", re.MULTILINE)
_FIELD = re.compile(r"^(\w+):\s*(.+?)\s*$", re.MULTILINE)


def front_matter(text: str) -> dict[str, Any]:
    """The phases (name, start) and the one-line fields of a fiche's front matter."""
    head = text.split("\n---", 1)[0] if text.startswith("---") else ""
    fields = {k: v.strip("'\"") for k, v in _FIELD.findall(head)}
    fields["phases"] = [{"name": n, "start": s} for n, s in _PHASE.findall(head)]
    return fields


def organisation_name(text: str) -> str | None:
    """The ``name`` of an organisation fiche."""
    return front_matter(text).get("name")


def parse_startups(
    table: Table, fiches: Mapping[str, str], organisations: Mapping[str, str]
) -> Iterator[dict[str, Any]]:
    """Solution rows of the manifest ``table``: ``fiches`` maps a row's ``file`` to its
    text, ``organisations`` an organisation code (``anct``) to its name. Carriers are
    given by name (``carrier_names``), to be found or made by the caller."""
    for row in table.rows:
        v = {k: (str(x).strip() if x is not None else "") for k, x in row.values.items()}
        if not v.get("title"):
            continue
        fiche = front_matter(fiches.get(v.get("file", ""), ""))
        sponsors = [s.rsplit("/", 1)[-1] for s in v.get("sponsors", "").split("|") if s]
        themes = sorted({THEMES[t.strip().lower()] for t in v.get("thematiques", "").split("|")
                         if t.strip().lower() in THEMES})  # fmt: skip
        link = v.get("link", "")
        yield {
            "name": v["title"][:500], "description": v.get("mission") or None,
            "kind": "service", "stage": STAGES.get(v.get("last_phase", "")),
            "website": link if link.startswith(("http://", "https://")) and " " not in link
            else None,
            "open_source": True if fiche.get("repository", "").startswith("http") else None,
            "themes": themes, "source": "beta.gouv.fr", "source_ref": v.get("file"),
            "carrier_names": [organisations.get(s, s) for s in sponsors],
            "extra": {"phases": fiche["phases"], "last_phase": v.get("last_phase"),
                      "incubator": v.get("incubator"),
                      "accessibility": fiche.get("accessibility_status")},
        }  # fmt: skip
