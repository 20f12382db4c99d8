"""The catalogue of measures explained on the portal (``web/data/measures.json``)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from maillage.model.errors import NotFound


@cache
def catalogue() -> tuple[dict[str, Any], ...]:
    """Every measure with its French and English name and explanation, in page order."""
    text = resources.files("maillage.web").joinpath("data", "measures.json").read_text("utf-8")
    return tuple(json.loads(text)["measures"])


def localised(entry: dict[str, Any], lang: str) -> dict[str, Any]:
    """One measure in ``lang``: code, scope, name, summary, how, read, reference."""
    suffix = "en" if lang == "en" else "fr"
    return {
        "code": entry["code"],
        "scope": entry["scope"],
        "name": entry[f"name_{suffix}"],
        "summary": entry[f"summary_{suffix}"],
        "how": entry[f"how_{suffix}"],
        "read": entry[f"read_{suffix}"],
        "reference": entry["reference"],
    }


def measures(lang: str) -> list[dict[str, Any]]:
    """The whole catalogue in ``lang``."""
    return [localised(m, lang) for m in catalogue()]


def measure(code: str, lang: str) -> dict[str, Any]:
    """One measure in ``lang``. Raises NotFound."""
    for entry in catalogue():
        if entry["code"] == code:
            return localised(entry, lang)
    raise NotFound("measure", code)


def explain(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Measure values with their name and plain-language summary (unknown codes kept bare)."""
    known = {m["code"]: localised(m, lang) for m in catalogue()}
    out = []
    for row in rows:
        info = known.get(str(row.get("code")), {})
        out.append(
            {**row, "name": info.get("name", row.get("code")), "summary": info.get("summary")}
        )
    return out
