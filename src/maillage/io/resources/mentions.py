"""Known actors named in a text: the mentions proposed as links resource ↔ actor.

A mention is one of three forms of an actor's name found in the text:

- its full name, words folded (case, accents, punctuation aside), as a phrase: "l'Agence
  nationale de la cohésion des territoires" names "Agence Nationale de la Cohésion des
  Territoires";
- the same phrase with one word changed slightly (rapidfuzz ratio of the phrase at or
  above :data:`FUZZY`, names of three words or more): "Agence National de l'Habitat";
- its acronym, a whole word of at least three characters, written as the actor writes
  it ("Anah") or with two capitals or more ("ANCT", "DGAl" for "DGAL"; never "ce" for
  "CE"), not in a web or e-mail address.

A form that names several known actors is ambiguous and is not proposed; names made of
one common word are not looked for (they would name everything), and a short name is
found only where it is written as a name, with a capital (see :func:`_written_as_name`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from maillage.model.text import fold, stop_words

FUZZY = 92.0
_WORD = re.compile(r"\w+", re.UNICODE)
_ADDRESS = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+|\S+\.(?:fr|gouv|org|com|net|eu)\b\S*")


@dataclass(frozen=True, slots=True)
class Known:
    actor_id: int
    name: str
    acronym: str | None = None


@dataclass(frozen=True, slots=True)
class Mention:
    actor_id: int
    surface: str  # the words as written
    start: int
    end: int
    score: float  # 1.0 exact name or acronym, else the fuzzy ratio / 100
    via: str  # name | fuzzy | acronym


class MentionFinder:
    """The names and acronyms of known actors, ready to be found in texts."""

    def __init__(self, known: Iterable[Known]) -> None:
        phrases: dict[tuple[str, ...], set[int]] = defaultdict(set)
        acronyms: dict[str, set[int]] = defaultdict(set)
        self._written: set[str] = set()
        for k in known:
            words = tuple(fold(k.name).split())
            if _distinctive(words):
                phrases[words].add(k.actor_id)
            acronym = (k.acronym or "").strip()
            if _usable_acronym(acronym):
                acronyms[acronym.upper()].add(k.actor_id)
                self._written.add(acronym)
            elif acronym and " " in acronym and _distinctive(tuple(fold(acronym).split())):
                phrases[tuple(fold(acronym).split())].add(k.actor_id)  # "Agence Bio"
        self._phrases = {p: next(iter(ids)) for p, ids in phrases.items() if len(ids) == 1}
        self._acronyms = {a: next(iter(ids)) for a, ids in acronyms.items() if len(ids) == 1}
        self._by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for phrase in self._phrases:
            self._by_first[phrase[0]].append(phrase)
        # fuzzy candidates by length and by the first three letters of their first word
        # (a changed word is never the first one's start): a text's word meets only its own
        self._near: dict[tuple[int, str], list[tuple[str, ...]]] = defaultdict(list)
        for phrase in self._phrases:
            if len(phrase) >= 3:
                self._near[len(phrase), phrase[0][:3]].append(phrase)
        self._sizes = sorted({size for size, _ in self._near})

    def find(self, text: str) -> list[Mention]:
        """Every mention in ``text``, in text order (overlaps: the longest kept)."""
        addresses = [(m.start(), m.end()) for m in _ADDRESS.finditer(text)]
        tokens = [(m.start(), m.end(), fold(m[0])) for m in _WORD.finditer(text)]
        tokens = [t for t in tokens if t[2]]
        words = [t[2] for t in tokens]
        found: list[Mention] = []
        for i in range(len(tokens)):
            if _inside(tokens[i][0], addresses):
                continue
            best = self._exact(words, i) or self._fuzzy(words, i)
            if best and _written_as_name(text, tokens[i : i + len(best[0])], best[2]):
                phrase, score, via = best
                end = tokens[i + len(phrase) - 1][1]
                start = tokens[i][0]
                found.append(Mention(self._phrases[phrase], text[start:end], start, end,
                                     score, via))  # fmt: skip
                continue
            raw = text[tokens[i][0] : tokens[i][1]]
            upper = raw.upper()
            if upper in self._acronyms and (raw in self._written
                                            or sum(c.isupper() for c in raw) >= 2):  # fmt: skip
                found.append(Mention(self._acronyms[upper], raw, tokens[i][0], tokens[i][1],
                                     1.0, "acronym"))  # fmt: skip
        return _without_overlaps(found)

    def _exact(self, words: list[str], i: int) -> tuple[tuple[str, ...], float, str] | None:
        best = None
        for phrase in self._by_first.get(words[i], ()):
            if tuple(words[i : i + len(phrase)]) == phrase and (
                best is None or len(phrase) > len(best)
            ):
                best = phrase
        return (best, 1.0, "name") if best else None

    def _fuzzy(self, words: list[str], i: int) -> tuple[tuple[str, ...], float, str] | None:
        if words[i] in stop_words():
            return None
        best: tuple[tuple[str, ...], float, str] | None = None
        for size in self._sizes:
            if len(words) - i < size:
                break
            window = " ".join(words[i : i + size])
            for phrase in self._near.get((size, words[i][:3]), ()):
                score = fuzz.ratio(window, " ".join(phrase), score_cutoff=FUZZY)
                if score and (best is None or score > best[1] * 100):
                    best = (phrase, score / 100, "fuzzy")
        return best


def _written_as_name(text: str, tokens: list[tuple[int, int, str]], via: str) -> bool:
    """Words written as a name: one of their meaningful words starts with a capital
    (« Pôle emploi », « ministère de l'Intérieur »), or, in lower case, the exact name of
    three meaningful words or more (« agence nationale des données de voyage »). Shorter
    names in lower case are common nouns (« l'ouverture », « collectivité territoriale »,
    « conseil départemental »), whatever actor bears them as its name; a close name in
    lower case is a common phrase (« chambre de commerce et d'industrie »)."""
    meaningful = [start for start, _, word in tokens if word not in stop_words()]
    if any(text[start].isupper() for start in meaningful):
        return True
    return via == "name" and len(meaningful) >= 3


def _distinctive(words: tuple[str, ...]) -> bool:
    """A name worth looking for: two words or more that are not all stop words."""
    meaningful = [w for w in words if w not in stop_words()]
    return len(words) >= 2 and len(meaningful) >= 1 and len("".join(meaningful)) >= 5


def _usable_acronym(acronym: str) -> bool:
    """An acronym of three characters or more, with a capital (``ANCT``, ``Anah``)."""
    return (
        " " not in acronym
        and len(acronym) >= 3
        and acronym.isalnum()
        and any(c.isupper() for c in acronym)
    )


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= position < b for a, b in spans)


def _without_overlaps(found: list[Mention]) -> list[Mention]:
    kept: list[Mention] = []
    for mention in sorted(found, key=lambda m: (m.start, -(m.end - m.start))):
        if kept and mention.start < kept[-1].end:
            continue
        kept.append(mention)
    return kept
