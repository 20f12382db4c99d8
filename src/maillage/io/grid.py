"""Evaluation grids kept as versioned data (``data/grids/<code>-<version>.json``).

A grid has dimensions, each with criteria; a criterion names its scale (an ordinal
level, a choice such as yes / no / not applicable, a measurement), its priority (and so
its weight), the kinds of evidence it accepts, the radar axis it counts on and, for the
collective relevance, what the map can suggest (``from_map``). Two shorthands keep the
files short: ``{"include": "rgesn-2024"}`` reads the 78 RGESN 2024 criteria from
``rgesn-2024/criteres_rgesn.json`` (their wording, theme and priority, unchanged), and
``{"matrix": "approaches"}`` makes one criterion per approach of the grid (the seven
approaches of a partnership evaluation, on each of its three objects).

A new version of a grid is a new file; an evaluation keeps the version it answered,
and is always read back with it (:func:`load_grid` with that version).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from maillage.model.errors import InvalidInput, NotFound

RGESN_PRIORITIES = {"Prioritaire": "high", "Recommandé": "recommended", "Modéré": "moderate"}
EVIDENCE_KINDS = ("document", "url", "measurement", "map")


@dataclass(frozen=True, slots=True)
class Choice:
    """One value of a scale: what is stored, its score on 0..1 (None: not applicable)."""

    value: str
    score: float | None
    fr: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True, slots=True)
class Scale:
    """How a criterion is answered: ``ordinal`` levels 0..max, a ``choice``, or a
    ``measurement`` between ``low`` and ``high``."""

    code: str
    kind: str
    choices: tuple[Choice, ...] = ()
    low: float = 0.0
    high: float = 1.0
    unit: str = ""

    def score(self, value: str, *, field_name: str) -> float | None:
        """The score on 0..1 of ``value``. Raises InvalidInput naming ``field_name``."""
        if self.kind == "measurement":
            try:
                number = float(value.replace(",", "."))
            except ValueError:
                number = float("nan")
            if not self.low <= number <= self.high:
                raise InvalidInput(
                    field_name, value, f"un nombre de {self.low:g} à {self.high:g}",
                    f"a number from {self.low:g} to {self.high:g}",
                )  # fmt: skip
            return (number - self.low) / (self.high - self.low)
        for choice in self.choices:
            if choice.value == value:
                return choice.score
        allowed = ", ".join(c.value for c in self.choices)
        raise InvalidInput(field_name, value, f"une valeur parmi {allowed}", f"one of {allowed}")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One question of a grid."""

    code: str
    dimension: str
    axis: str
    fr: str
    en: str
    scale: Scale
    priority: str
    weight: float
    evidence: tuple[str, ...] = EVIDENCE_KINDS
    from_map: str | None = None
    group: str | None = None  # the RGESN theme, the approach
    level_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr

    def choices(self, lang: str) -> list[tuple[str, str]]:
        """(value, label) of each answer this criterion takes (a measurement: none)."""
        out = []
        for c in self.scale.choices:
            own = self.level_labels.get(c.value)
            text = (own.get(lang) or own.get("fr", "")) if own else c.label(lang)
            out.append((c.value, f"{c.value} — {text}" if self.scale.kind == "ordinal" else text))
        return out


@dataclass(frozen=True, slots=True)
class Axis:
    """A radar axis: a criterion, or a group of criteria (the RGESN)."""

    code: str
    dimension: str
    fr: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True, slots=True)
class Dimension:
    code: str
    fr: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True, slots=True)
class Grid:
    """A version of a grid: its dimensions, criteria (in order) and radar axes."""

    code: str
    version: str
    title_fr: str
    title_en: str
    subjects: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    criteria: tuple[Criterion, ...]
    axes: tuple[Axis, ...]
    priorities: Mapping[str, Mapping[str, Any]]
    evidence_kinds: Mapping[str, Mapping[str, str]]
    sources: tuple[str, ...] = ()

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_fr

    def criterion(self, code: str) -> Criterion:
        """The criterion ``code``. Raises InvalidInput."""
        found = self.by_code.get(code)
        if found is None:
            raise InvalidInput("criterion", code, f"un critère de la grille {self.code} "
                               f"v{self.version}", f"a criterion of grid {self.code} "
                               f"v{self.version}")  # fmt: skip
        return found

    @property
    def by_code(self) -> dict[str, Criterion]:
        return {c.code: c for c in self.criteria}

    def priority_label(self, code: str, lang: str) -> str:
        line = self.priorities.get(code, {})
        return str(line.get(lang) or line.get("fr") or code)


def grids_dir() -> Traversable:
    """The grids shipped with maillage."""
    return resources.files("maillage").joinpath("data", "grids")


def _where(directory: Traversable | Path | None) -> Traversable | Path:
    return grids_dir() if directory is None else directory


def versions(code: str, *, directory: Traversable | Path | None = None) -> list[str]:
    """The versions of grid ``code``, oldest first."""
    found = []
    for entry in _where(directory).iterdir():
        name = entry.name
        if name.startswith(code + "-") and name.endswith(".json"):
            version = name[len(code) + 1 : -5]
            if version.isdigit():
                found.append(version)
    return sorted(found, key=int)


def load_grid(
    code: str, version: str | None = None, *, directory: Traversable | Path | None = None
) -> Grid:
    """Grid ``code`` at ``version`` (None: the latest). Raises NotFound, InvalidInput."""
    known = versions(code, directory=directory)
    if not known:
        raise NotFound("grid", code)
    wanted = version or known[-1]
    if wanted not in known:
        raise NotFound("grid", f"{code} v{wanted}")
    return _load(code, wanted, str(_where(directory)))


@cache
def _load(code: str, version: str, where: str) -> Grid:
    base = grids_dir() if where == str(grids_dir()) else Path(where)
    name = f"{code}-{version}.json"
    data = json.loads(base.joinpath(name).read_text(encoding="utf-8"))
    try:
        return _grid(data, base, name)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(
            name, None, f"grille mal formée : {exc!r}", f"malformed grid: {exc!r}"
        ) from None


def _scales(data: Mapping[str, Any]) -> dict[str, Scale]:
    out = {}
    for code, s in data["scales"].items():
        if s["kind"] == "ordinal":
            choices = tuple(
                Choice(str(lv["value"]), lv["value"] / s["max"], lv["fr"], lv["en"])
                for lv in s["levels"]
            )
            out[code] = Scale(code, "ordinal", choices)
        elif s["kind"] == "choice":
            choices = tuple(Choice(c["value"], c["score"], c["fr"], c["en"]) for c in s["values"])
            out[code] = Scale(code, "choice", choices)
        else:
            out[code] = Scale(code, "measurement", (), float(s["min"]), float(s["max"]),
                              s.get("unit", ""))  # fmt: skip
    return out


def _grid(data: Mapping[str, Any], base: Traversable | Path, name: str) -> Grid:
    scales = _scales(data)
    weights = {k: float(v["weight"]) for k, v in data["priorities"].items()}
    criteria: list[Criterion] = []
    axes: dict[str, Axis] = {}
    dimensions = []
    for d in data["dimensions"]:
        dim = Dimension(d["code"], d["fr"], d["en"])
        dimensions.append(dim)
        for entry in d["criteria"]:
            made = list(_expand(entry, dim, data, base, scales, weights))
            criteria += made
            for c in made:
                if c.axis not in axes:
                    axes[c.axis] = _axis(entry, c, dim, data)
    codes = [c.code for c in criteria]
    if len(set(codes)) != len(codes):
        twice = next(c for c in codes if codes.count(c) > 1)
        raise InvalidInput(
            name, twice, "un critère apparaît deux fois", "a criterion appears twice"
        )
    return Grid(
        code=data["code"], version=str(data["version"]), title_fr=data["title"]["fr"],
        title_en=data["title"]["en"], subjects=tuple(data["subjects"]),
        dimensions=tuple(dimensions), criteria=tuple(criteria), axes=tuple(axes.values()),
        priorities=data["priorities"], evidence_kinds=data["evidence_kinds"],
        sources=tuple(data.get("sources", ())),
    )  # fmt: skip


def _axis(entry: Mapping[str, Any], c: Criterion, dim: Dimension, data: Mapping[str, Any]) -> Axis:
    if "axis_fr" in entry:
        return Axis(c.axis, dim.code, entry["axis_fr"], entry["axis_en"])
    if "matrix" in entry:
        approach = next(a for a in data[entry["matrix"]] if a["code"] == c.axis)
        return Axis(c.axis, dim.code, approach["fr"], approach["en"])
    short = {"fr": c.fr.split(" :")[0].split(" (")[0], "en": c.en.split(":")[0].split(" (")[0]}
    return Axis(c.axis, dim.code, entry.get("short_fr", short["fr"]),
                entry.get("short_en", short["en"]))  # fmt: skip


def _expand(
    entry: Mapping[str, Any], dim: Dimension, data: Mapping[str, Any], base: Traversable | Path,
    scales: Mapping[str, Scale], weights: Mapping[str, float],
) -> Sequence[Criterion]:  # fmt: skip
    scale = scales[entry["scale"]]
    evidence = tuple(entry.get("evidence", EVIDENCE_KINDS))
    if "include" in entry:
        rows = json.loads(
            base.joinpath(entry["include"], "criteres_rgesn.json").read_text(encoding="utf-8")
        )
        overrides = entry.get("overrides", {})
        out = []
        for r in rows:
            code = f"rgesn.{r['id']}"
            own = overrides.get(code, {})
            priority = own.get("priority", RGESN_PRIORITIES[r["priorite"]])
            out.append(Criterion(
                code=code, dimension=dim.code, axis=entry["axis"],
                fr=own.get("fr", f"{r['id']} {r['libelle']}"),
                en=own.get("en", f"{r['id']} {r['libelle']}"), scale=scale, priority=priority,
                weight=weights[priority], evidence=evidence, group=r["theme"],
            ))  # fmt: skip
        return out
    if "matrix" in entry:
        return [
            Criterion(
                code=f"{dim.code}.{a['code']}", dimension=dim.code, axis=a["code"],
                fr=f"{a['fr']} — {dim.fr}", en=f"{a['en']} — {dim.en}", scale=scale,
                priority=entry["priority"], weight=weights[entry["priority"]],
                evidence=evidence,
            )
            for a in data[entry["matrix"]]
        ]  # fmt: skip
    return [
        Criterion(
            code=entry["code"], dimension=dim.code, axis=entry.get("axis", entry["code"]),
            fr=entry["fr"], en=entry["en"], scale=scale, priority=entry["priority"],
            weight=weights[entry["priority"]], evidence=evidence,
            from_map=entry.get("from_map"), level_labels=entry.get("levels", {}),
        )
    ]  # fmt: skip
