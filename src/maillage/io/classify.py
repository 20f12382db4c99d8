"""Derive an actor's world and category when its source does not say.

The rules are data, in the taxonomies (one home): ``legal_forms.json`` gives the world and
category of each INSEE catégorie juridique; ``categories.json`` gives, per category, the
``typologies``, ``source_types``, programme ``labels`` and name words that mean it, and
the category's ``default_world``. They are tried in this order, first match wins:

1. ``legal_form``: INSEE catégorie juridique, longest matching code (``7361`` before
   ``73`` before ``7``);
2. ``naf``: activity code prefixes (R&D 72, higher education 85.4);
3. ``typologie``: lieux de médiation / data·inclusion typology codes (``CCAS``, ``ASSO``…);
4. ``source_type``: a source's own word for the type (ANR ``Laboratoire public``, kept
   in ``extra["raw_type"]``), matched whole;
5. ``rna``: an RNA number is only given to associations;
6. ``name``: words of the folded name, as whole words; the match nearest the start of
   the name wins, the longest at one position ("Association … SARL" is an association,
   "Médiathèque de la ville de …" a library);
7. ``label``: a national programme label that says what the place is (``France Services``
   in ``extra["labels_nationaux"]``);
8. ``siren``: SIREN numbers of public bodies start with 1 (State) or 2 (local);
9. ``role``: a default the format gives (a SCDL funder, a DECP buyer are public).

The rule used is returned as ``"<kind>:<value>"`` (``"legal_form:9220"``,
``"typologie:CCAS"``, ``"name:université"``) and stored in
``ActorRecord.classification_rule``; when the source gave the world and a rule only the
category, the rule reads ``"category <kind>:<value>"``; when the source gave only a
category, its default world is taken (``"category:<code>"``). Worlds: economic | associative |
public | academic. :func:`evaluate` measures the rules on a labelled sample.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput
from maillage.model.records import ActorRecord
from maillage.model.text import fold as fold_name

__all__ = [
    "Classification",
    "Evaluation",
    "LabelledActor",
    "apply_classification",
    "classify",
    "evaluate",
    "fold",
    "read_labelled",
]

# (NAF code prefix without dot, category)
NAF_RULES: tuple[tuple[str, str], ...] = (("72", "laboratoire"), ("854", "ecole"))
SIREN_RULES: tuple[tuple[str, str], ...] = (("1", "service_de_l_etat"), ("2", "collectivite"))
SOURCE_TYPE_KEY = "raw_type"  # the key of ``extra`` a source's own type is kept under
LABELS_KEY = "labels_nationaux"  # the key of ``extra`` the programme labels are kept under
_EDGE = "(?<![a-z0-9]){}(?![a-z0-9])"


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation turned into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9']+", " ", plain).split())


@dataclass(frozen=True, slots=True)
class Classification:
    """A derived world and category (codes of their taxonomies), with the rule that gave
    them."""

    world: str
    category: str | None
    rule: str


@dataclass(frozen=True, slots=True)
class _Rules:
    """The rules of the taxonomies, read once."""

    legal_forms: tuple[tuple[str, str, str | None], ...]  # (code, world, category), longest first
    worlds: Mapping[str, str]  # category -> default world
    typologies: Mapping[str, str]  # code -> category
    source_types: Mapping[str, str]  # folded type -> category
    labels: Mapping[str, tuple[str, str]]  # folded label -> (category, label)
    words: Mapping[str, tuple[_Word, ...]]  # folded words -> their rules
    longest: int  # the most words a rule has


@dataclass(frozen=True, slots=True)
class _Word:
    """One name rule: its category, the word as the taxonomy writes it, and whether it
    must start (``^``) or end (``$``) the name."""

    category: str
    written: str
    first: bool
    last: bool


@cache
def _rules() -> _Rules:
    """Read the rules from ``legal_forms.json`` and ``categories.json``. Raises
    ValueError when one name word or typology is given to two categories."""
    forms = sorted(
        ((t.code, t.data["world"], t.data.get("category"))
         for t in taxonomy.load("legal_forms") if t.data.get("world")),
        key=lambda r: -len(r[0]),
    )  # fmt: skip
    worlds: dict[str, str] = {}
    typologies: dict[str, str] = {}
    source_types: dict[str, str] = {}
    labels: dict[str, tuple[str, str]] = {}
    words: dict[str, tuple[_Word, ...]] = {}
    for term in taxonomy.load("categories"):
        if term.data.get("default_world"):
            worlds[term.code] = term.data["default_world"]
        for code in term.data.get("typologies", ()):
            _add(typologies, code.upper(), term.code, "typologie")
        for kind in term.data.get("source_types", ()):
            _add(source_types, fold(kind), term.code, "source_type")
        for label in term.data.get("labels", ()):
            _add(labels, fold(label), (term.code, label), "label")
        for word in term.data.get("names", ()):
            text = fold_name(word.strip("^$"))
            rule = _Word(term.code, word.strip("^$"), word.startswith("^"), word.endswith("$"))
            if any(w.category != term.code for w in words.get(text, ())):
                raise ValueError(f"categories.json: name « {text} » given to two categories")
            words[text] = (*words.get(text, ()), rule)
    longest = max((len(w.split()) for w in words), default=0)
    return _Rules(tuple(forms), worlds, typologies, source_types, labels, words, longest)


def _add(index: dict[str, Any], key: str, value: Any, kind: str) -> None:
    """Record one rule, refusing a key that two categories claim."""
    known = index.get(key)
    if (
        known is not None
        and known != value
        and (not isinstance(known, tuple) or known[0] != value[0])
    ):
        raise ValueError(f"categories.json: {kind} « {key} » given to two categories")
    index.setdefault(key, value)


def _of(category: str, rule: str) -> Classification | None:
    """The classification of a category found by a rule (its default world)."""
    world = _rules().worlds.get(category)
    return Classification(world, category, rule) if world else None


def classify_name(name: str) -> Classification | None:
    """The category the words of ``name`` give (the match nearest the start, the
    longest there), or None."""
    rules = _rules()
    words = fold_name(name).split()
    count = len(words)
    for start in range(count):
        for size in range(min(rules.longest, count - start), 0, -1):
            for rule in rules.words.get(" ".join(words[start : start + size]), ()):
                if (not rule.first or start == 0) and (not rule.last or start + size == count):
                    return _of(rule.category, f"name:{rule.written}")
    return None


def classify(
    *,
    legal_form: str | None = None,
    naf: str | None = None,
    typologies: Iterable[str] = (),
    name: str | None = None,
    rna: str | None = None,
    siren: str | None = None,
    source_type: str | None = None,
    labels: Iterable[str] = (),
) -> Classification | None:
    """Return the first matching classification (legal form, NAF, typology, source
    type, RNA, name, programme label, SIREN prefix; see the module), or ``None``."""
    rules = _rules()
    if legal_form:
        for code, world, category in rules.legal_forms:
            if legal_form.startswith(code):
                return Classification(world, category, f"legal_form:{legal_form}")
    if naf:
        code = naf.replace(".", "")
        for prefix, category in NAF_RULES:
            if code.startswith(prefix):
                return _of(category, f"naf:{naf}")
    for typology in typologies:
        found = rules.typologies.get(typology.strip().upper())
        if found is not None:
            return _of(found, f"typologie:{typology.strip().upper()}")
    if source_type and (found := rules.source_types.get(fold(source_type))) is not None:
        return _of(found, f"source_type:{source_type}")
    if rna:
        return _of("association", "rna")
    if name and (named := classify_name(name)) is not None:
        return named
    for label in labels:
        if (hit := rules.labels.get(fold(label))) is not None:
            return _of(hit[0], f"label:{hit[1]}")
    if siren:
        for prefix, category in SIREN_RULES:
            if siren.startswith(prefix):
                return _of(category, f"siren:{prefix}")
    return None


def _labels_of(extra: Mapping[str, Any]) -> list[str]:
    """The programme labels kept in ``extra`` (a list, or text split on ``|;,``)."""
    raw = extra.get(LABELS_KEY)
    if isinstance(raw, list):
        return [str(x) for x in raw]
    return [p.strip() for p in re.split(r"[|;,]", str(raw or "")) if p.strip()]


def apply_classification(
    actor: ActorRecord,
    typologies: Iterable[str] = (),
    role: tuple[str, str, str] | None = None,
) -> None:
    """Fill ``world``/``category`` of ``actor`` when missing, recording the rule used.

    A world already given by the source is kept, and only a missing category is
    derived (the rule then reads ``"category <rule>"``); a category given without a world
    gives its default world (``"category:<code>"``). ``role`` is
    ``(world, category, rule)`` to use when no other rule matches.
    """
    if actor.world is not None and actor.category is not None:
        return
    if actor.world is None and (code := _code(actor.category)) is not None:
        world = _rules().worlds.get(code)
        if world is not None:  # the category the source gives says the world
            actor.world, actor.classification_rule = world, f"category:{code}"
            return
    siren = actor.siren or (actor.siret[:9] if actor.siret else None)
    raw_type = actor.extra.get(SOURCE_TYPE_KEY)
    found = classify(
        legal_form=actor.legal_form,
        naf=actor.naf,
        typologies=typologies,
        name=actor.name,
        rna=actor.rna,
        siren=siren,
        source_type=raw_type if isinstance(raw_type, str) else None,
        labels=_labels_of(actor.extra),
    )
    if actor.world is not None:
        if found is not None and found.category is not None:
            actor.category = found.category
            actor.classification_rule = f"category {found.rule}"
        return
    if found is None and role is not None:
        found = Classification(*role)
    if found is None:
        return
    actor.world = found.world
    if actor.category is None:
        actor.category = found.category
    actor.classification_rule = found.rule


# --- evaluation on a labelled sample ----------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelledActor:
    """One actor of a labelled sample: what an import reads of it (``record``, with the
    ``typologies`` and ``role`` its parser passes), and the world and category a person
    gave it (empty: the record does not tell)."""

    record: ActorRecord
    world: str
    category: str | None
    split: str = "all"  # dev | test
    stratum: str = ""
    typologies: tuple[str, ...] = ()
    role: tuple[str, str, str] | None = None
    key: str = ""  # the sample's id of the actor


@dataclass(slots=True)
class Evaluation:
    """Per part of a sample (``all``, ``dev``, ``test``, each stratum): actors, actors
    given a world (category) by the rules, of those the ones a person labelled, and of
    these the right ones; the mistakes."""

    actors: int = 0
    worlds: int = 0
    judged_worlds: int = 0
    right_worlds: int = 0
    categories: int = 0
    judged_categories: int = 0
    right_categories: int = 0
    mistakes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def world_precision(self) -> float:
        """Right worlds among the labelled actors given one (1.0 when none is)."""
        return self.right_worlds / self.judged_worlds if self.judged_worlds else 1.0

    @property
    def category_precision(self) -> float:
        """Right categories among the labelled actors given one (1.0 when none is)."""
        return self.right_categories / self.judged_categories if self.judged_categories else 1.0

    @property
    def world_coverage(self) -> float:
        """Share of the actors given a world."""
        return self.worlds / self.actors if self.actors else 0.0

    @property
    def category_coverage(self) -> float:
        """Share of the actors given a category."""
        return self.categories / self.actors if self.actors else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Counts and ratios, as plain data."""
        return {"actors": self.actors, "worlds": self.worlds,
                "judged_worlds": self.judged_worlds, "right_worlds": self.right_worlds,
                "categories": self.categories, "judged_categories": self.judged_categories,
                "right_categories": self.right_categories,
                "world_precision": round(self.world_precision, 4),
                "category_precision": round(self.category_precision, 4),
                "world_coverage": round(self.world_coverage, 4),
                "category_coverage": round(self.category_coverage, 4),
                "mistakes": self.mistakes}  # fmt: skip


def evaluate(sample: Sequence[LabelledActor]) -> dict[str, Evaluation]:
    """Classify each actor of ``sample`` as an import does (:func:`apply_classification`
    on a copy of its record) and count against the labels, for ``all``, each split and
    each stratum (keyed ``stratum:<name>``). Coverage counts every actor; precision the
    actors a person could label (an empty label: the record does not tell)."""
    parts: dict[str, Evaluation] = {}
    for item in sample:
        record = ActorRecord(**{f: getattr(item.record, f) for f in _COPIED})
        record.extra = dict(item.record.extra)
        apply_classification(record, typologies=item.typologies, role=item.role)
        for key in dict.fromkeys(("all", item.split, f"stratum:{item.stratum}")):
            _count(parts.setdefault(key, Evaluation()), item, record)
    return dict(sorted(parts.items()))


_COPIED = ("name", "world", "category", "siren", "siret", "rna", "legal_form", "naf", "key")


def _code(category: str | None) -> str | None:
    """The taxonomy code of a category code or label (a role's), None for another text:
    what the import stores."""
    try:
        return taxonomy.resolve("categories", category) if category else None
    except InvalidInput:
        return None


def _count(part: Evaluation, item: LabelledActor, found: ActorRecord) -> None:
    part.actors += 1
    wrong: dict[str, tuple[str, str]] = {}
    if found.world is not None:
        part.worlds += 1
        if item.world:
            part.judged_worlds += 1
            if found.world == item.world:
                part.right_worlds += 1
            else:
                wrong["world"] = (found.world, item.world)
    category = _code(found.category)
    if category is not None:
        part.categories += 1
        if item.category:
            part.judged_categories += 1
            if category == item.category:
                part.right_categories += 1
            else:
                wrong["category"] = (category, item.category)
    if wrong:
        part.mistakes.append({"id": item.key, "name": item.record.name,
                              "rule": found.classification_rule,
                              **{k: f"{a} ≠ {b}" for k, (a, b) in wrong.items()}})  # fmt: skip


def read_labelled(path: str | Path) -> list[LabelledActor]:
    """The labelled actors of a sample file (``tests/data/classification/actors.csv``:
    its columns are described in the README beside it). Raises InvalidInput naming the
    row and column of a world or category that is not a taxonomy code."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [_labelled(row, number, str(path)) for number, row in enumerate(rows, start=2)]


def _labelled(row: Mapping[str, str], number: int, file: str) -> LabelledActor:
    for column, name in (("world", "worlds"), ("category", "categories"),
                         ("given_world", "worlds")):  # fmt: skip
        if row.get(column) and row[column] not in taxonomy.codes(name):
            raise InvalidInput(column, row[column], f"{file}, ligne {number} : code inconnu",
                               f"{file}, row {number}: unknown code")  # fmt: skip
    extra: dict[str, Any] = {}
    if row.get("raw_type"):
        extra[SOURCE_TYPE_KEY] = row["raw_type"]
    if row.get("labels"):
        extra[LABELS_KEY] = row["labels"]
    record = ActorRecord(name=row["name"], siret=row.get("siret") or None,
                         siren=row.get("siren") or None, rna=row.get("rna") or None,
                         legal_form=row.get("legal_form") or None, naf=row.get("naf") or None,
                         world=row.get("given_world") or None,
                         category=row.get("given_category") or None, extra=extra)  # fmt: skip
    parts = (row.get("role") or "").split("|")
    role = (parts[0], parts[1], parts[2]) if len(parts) == 3 else None
    return LabelledActor(record, row.get("world", ""), row.get("category") or None,
                         split=row.get("split") or "all", stratum=row.get("stratum") or "",
                         typologies=tuple(t for t in row.get("typologies", "").split("|") if t),
                         role=role,
                         key=row.get("id", ""))  # fmt: skip
