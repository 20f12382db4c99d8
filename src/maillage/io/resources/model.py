"""The parsed form of one resource, and the error of an unreadable file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from maillage.model.errors import MaillageError

TYPES = (
    "experience_feedback",
    "study",
    "guide",
    "interview",
    "webinar",
    "tool",
    "dataset",
)
"""The resource types (taxonomy ``resource_types``)."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker turn of a transcript (``speaker`` None: not said)."""

    speaker: str | None
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "text": self.text}


@dataclass(slots=True)
class ResourceRecord:
    """A resource as read from a file, before it is stored."""

    type: str
    title: str
    summary: str | None = None
    body: str | None = None
    date: dt.date | None = None
    authors: list[str] = field(default_factory=list)
    licence: str | None = None
    url: str | None = None
    replay_url: str | None = None
    speakers: list[str] = field(default_factory=list)
    transcript: list[Turn] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    territories: list[str] = field(default_factory=list)
    sdgs: list[int] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)  # named as concerned (sponsors…)
    source: str | None = None
    source_ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ResourceFileError(MaillageError, ValueError):
    """A resource file that cannot be read: the file, the position and the field."""

    def __init__(self, path: str, position: str | None, field_name: str | None, problem: str,
                 problem_en: str) -> None:  # fmt: skip
        where = path + (f", {position}" if position else "")
        what_fr = f" (champ « {field_name} »)" if field_name else ""
        what_en = f" (field '{field_name}')" if field_name else ""
        super().__init__(f"{where}{what_fr} : {problem}", f"{where}{what_en}: {problem_en}")
        self.path = path
        self.position = position
        self.field = field_name
