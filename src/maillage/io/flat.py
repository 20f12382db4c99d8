"""Records as flat rows of text: the shared layout of the CSV, XLSX, GEXF and GraphML exports.

One column per record field (database ids excepted), named as the field. Lists are
joined with ``|``, ``extra`` is a JSON object, dates are ISO 8601, floats are written so
that they read back exactly (``repr``; with a decimal comma in the ``excel-fr``
dialect), booleans are ``true``/``false``. Empty values are empty cells.
:func:`maillage.io.tabular.parse_actor_table` and ``parse_link_table`` read these rows
back to the same records.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from maillage.io.columns import ACTOR_FIELDS, LINK_FIELDS
from maillage.model.fields import date_text
from maillage.model.records import ActorRecord, LinkRecord

__all__ = [
    "ACTORS_SHEET",
    "ACTOR_COLUMNS",
    "LINKS_SHEET",
    "LINK_COLUMNS",
    "actor_row",
    "cell_text",
    "link_row",
    "xml_safe",
]

ACTORS_SHEET = "actors"
LINKS_SHEET = "links"
"""The sheets of the XLSX export (:mod:`maillage.io.xlsx`): a link table read from a
workbook that has a ``links`` sheet reads it (see :func:`maillage.io.tabular.read_links`)."""
ACTOR_COLUMNS: tuple[str, ...] = ACTOR_FIELDS
LINK_COLUMNS: tuple[str, ...] = LINK_FIELDS
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cell_text(value: Any, *, decimal_comma: bool = False) -> str:
    """Write one field value as cell text (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def actor_row(actor: ActorRecord, *, decimal_comma: bool = False) -> dict[str, str]:
    """Return ``{column: text}`` for one actor."""
    return {c: cell_text(getattr(actor, c), decimal_comma=decimal_comma) for c in ACTOR_COLUMNS}


def link_row(link: LinkRecord, *, decimal_comma: bool = False) -> dict[str, str]:
    """Return ``{column: text}`` for one link."""
    row = {c: cell_text(getattr(link, c), decimal_comma=decimal_comma) for c in LINK_COLUMNS}
    for name in ("start_date", "end_date"):  # a year alone is written as the year
        row[name] = date_text(getattr(link, name), link.extra, name) or ""
    return row


def xml_safe(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry (control characters, U+FFFE/FFFF)."""
    return _XML_ILLEGAL.sub("", text)
