"""Identity resolution on plain actor records: blocking, pair scoring, clustering.

Pure functions on :class:`~maillage.model.records.ActorRecord` lists, no database.
The method (Fellegi-Sunter style record linkage with hand-set, explained weights):

1. **Blocking.** Only records sharing a block are compared: same SIRET, SIREN or RNA,
   same postcode, same commune code, or the same ~500 m grid cell. A block larger than
   ``max_block`` is split by its rarer name words (sorted-neighbourhood style), so a city
   with thousands of actors does not cost n² comparisons.
2. **Scoring.** Names are folded, legal forms (SARL, association, ...), stop words and the
   words of the record's own commune name are dropped, then compared with rapidfuzz
   (``token_set_ratio`` blended with ``token_sort_ratio``). Addresses are compared on
   their street words (abbreviations expanded) and house numbers; coordinates by
   haversine distance. The score is a weighted mean of the available signals
   (name 0.55, address 0.25, distance 0.20), in [0, 1]. A name alone (no address or
   coordinates on one side), or records 5 km apart or more, score at most 0.7: a person
   decides. Two records known by nothing but their name (no address, no coordinates, as
   the research partners are) whose names each hold words the other lacks, or hold
   different numbers, or one of which is longer by more than ``UNIT_WORDS`` words, name
   two organisations (two labs of one institute, a lab and its institute): they score at
   most ``DISTINCT_NAMES_CAP``, below the review threshold (words match when equal,
   spelt alike, one abbreviating the other, or an acronym standing for a run of words).
3. **Identifiers.** An equal SIRET, SIREN (when a side has no SIRET) or RNA is an exact
   match and scores 1 *when the place agrees* (close address or coordinates, or a very
   close name when a side has no address): a commune's SIRET shared by its library and
   its social centre must not merge them (the identifier then adds nothing). Two
   different SIRETs lower the score.
4. **Clustering.** Pairs above the merge threshold are joined greedily, best first, and a
   join is refused when it would put a "not the same" pair in one cluster (constrained
   agglomerative clustering; no chaining across a rejected pair).

The thresholds :data:`MERGE_THRESHOLD` and :data:`REVIEW_THRESHOLD` were chosen on the
``dev`` half of the labelled sample in ``maillage/data/resolution`` and are reported on
the held-out ``test`` half (see that folder's README and :func:`evaluate`).

Reference: I. P. Fellegi and A. B. Sunter, "A Theory for Record Linkage", JASA 64 (1969);
P. Christen, *Data Matching*, Springer (2012), ch. 4 (blocking) and 5 (comparison).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from maillage.model.records import ActorRecord
from maillage.model.text import fold, stop_words

__all__ = [
    "MERGE_THRESHOLD",
    "REVIEW_THRESHOLD",
    "Evaluation",
    "NameIndex",
    "PairScore",
    "blocking_keys",
    "candidate_pairs",
    "choose_thresholds",
    "cluster",
    "compare",
    "distance_m",
    "evaluate",
    "find_matches",
    "normalise_address",
    "normalise_name",
    "score_pair",
]

MERGE_THRESHOLD = 0.8
"""At or above: the same actor, merged without asking (chosen on the dev half)."""
REVIEW_THRESHOLD = 0.6
"""At or above (and below the merge threshold): queued for a person to decide."""

WEIGHTS = {"name": 0.55, "address": 0.25, "distance": 0.20}
NEAR_M = 50.0  # coordinates this close count as the same spot
FAR_M = 1000.0  # beyond this, coordinates say nothing in favour
SAME_PLACE_M = 150.0  # an identifier match needs the place to agree within this
GRID_DEG = 0.005  # ~550 m in latitude
NAME_ONLY_CAP = 0.7  # highest score from a name alone (no address, no coordinates)
APART_M = 5000.0  # records this far apart score at most NAME_ONLY_CAP
SAME_NAME = 0.9  # names this close, in one commune and nothing else known: one organisation
SAME_NAME_HERE = 0.85  # the score of such a pair (above the merge threshold)
HOST_NAMED = 0.8  # name signal of a France services named after its host, at its address
HOST_M = 300.0  # ... within this distance
_FS_WORDS = frozenset(["france", "services", "multisites", "site", "antenne", "bus",
                       "itinerant", "itinerante", "pays", "quartier"])  # fmt: skip
DISTINCT_NAMES_CAP = 0.5  # names alone that name two organisations: not even reviewed
UNIT_WORDS = 3  # a name longer than the other by more words names a unit of it
SPELT_ALIKE = 80  # rapidfuzz ratio at or above which two words are one word misspelt
ROMAN = frozenset(["ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii", "xiii"])

LEGAL_WORDS = frozenset(
    [
        "association",
        "assoc",
        "asso",
        "ass",
        "sarl",
        "sas",
        "sasu",
        "sa",
        "eurl",
        "eirl",
        "sci",
        "scop",
        "scic",
        "sem",
        "spl",
        "gie",
        "cooperative",
        "earl",
        "ets",
        "etablissement",
        "etablissements",
        "cie",
        "cc",  # communauté de communes, d'agglomération, urbaine: legal forms of an EPCI
        "ca",
        "cu",
    ]
)
SYNONYMS = {
    "st": "saint", "ste": "sainte", "service": "services", "fs": "france services",
    "msap": "france services", "bibliotheque": "mediatheque", "cdc": "cc", "ccom": "cc",
    "mdd": "maison departement", "asso": "association", "assoc": "association",
}  # fmt: skip
STREET_WORDS = {
    "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard",
    "boul": "boulevard", "bvd": "boulevard", "r": "rue", "che": "chemin", "ch": "chemin",
    "chem": "chemin", "rte": "route", "pl": "place", "all": "allee", "imp": "impasse",
    "fg": "faubourg", "fbg": "faubourg", "sq": "square", "crs": "cours", "qu": "quai",
    "pass": "passage", "res": "residence", "resid": "residence", "lot": "lotissement",
    "st": "saint", "ste": "sainte", "gal": "general", "gen": "general", "mal": "marechal",
    "pdt": "president", "prof": "professeur", "dr": "docteur",
}  # fmt: skip
PHRASES = (
    (re.compile(r"\b(?:centre|ctre) (?:com|communal) (?:d )?action sociale\b"), "ccas"),
    (re.compile(r"\bcommunaute (?:de )?(?:communes|com)\b"), "cc"),
    (re.compile(r"\bcommunaute urbaine\b"), "cu"),
    (re.compile(r"^(?:mairie|ville|commune)\b(?! annexe| de quartier| de proximite)"), "commune"),
    (re.compile(r"\bcommunaute (?:d )?agglomeration\b"), "ca"),
    (re.compile(r"\bmaison (?:de )?services? (?:au )?publics?\b"), "france services"),
    (re.compile(r"\b(?:espace|maison) france services?\b"), "france services"),
)
MOBILE_WORDS = frozenset(
    ["bus", "itinerant", "itinerante", "itinerance", "mobile", "camion", "van"]
)
_LETTER_RUN = re.compile(r"\b(?:[a-z] ){1,}[a-z]\b")
_NUMBER = re.compile(r"\b(\d{1,5})\s*(bis|ter|quater|[a-d])?\b")
_NOT_NUMBER_BEFORE = re.compile(r"(?:\b(?:bp|cs|tsa|cedex|bat|batiment|etage|lot)\s*)$")


@dataclass(slots=True)
class PairScore:
    """The comparison of two records: a score in [0, 1], why, and the signals used.

    ``left``/``right`` are positions in the compared list (or ids, for the caller).
    ``exact`` names the identifier that matched (``siret``, ``siren``, ``rna``) or is None.
    ``reasons`` are short French sentences shown in the review queue.
    """

    left: int
    right: int
    score: float
    exact: str | None = None
    reasons: list[str] = field(default_factory=list)
    name: float | None = None
    address: float | None = None
    distance: float | None = None


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What scoring needs from one record, computed once."""

    name: str
    words: tuple[str, ...]  # the name's words, those of its commune kept
    local: frozenset[str]  # the words of its commune's name
    number: str | None
    street: str
    lat: float | None
    lon: float | None
    sited: bool  # has an address or coordinates: a place, not only an organisation
    siret: str | None
    siren: str | None
    rna: str | None
    postcode: str | None
    commune: str | None
    mobile: bool
    coslat: float


@lru_cache(maxsize=65536)
def _commune_words(commune_name: str) -> frozenset[str]:
    """Folded words of a commune name (``"MARSEILLE 11"`` -> marseille, 11)."""
    return frozenset(w for w in fold(commune_name).split() if w not in stop_words())


def normalise_name(name: str, commune_name: str | None = None) -> str:
    """Return the comparable form of an organisation name.

    Folded, abbreviations expanded (``st`` -> ``saint``, ``msap`` -> ``france services``),
    stop words, legal-form words and the words of ``commune_name`` removed (kept when
    nothing else would remain). ``normalise_name("ASSOCIATION LA BASTIDE")`` is
    ``"bastide"``.
    """
    text = _LETTER_RUN.sub(lambda m: m[0].replace(" ", ""), fold(name))
    text = " ".join(SYNONYMS.get(w, w) for w in text.split())
    for pattern, replacement in PHRASES:
        text = pattern.sub(replacement, text)
    words = text.split()
    kept = [w for w in words if w not in stop_words() and w not in LEGAL_WORDS]
    if commune_name:
        local = _commune_words(commune_name)
        without = [w for w in kept if w not in local]
        kept = without or kept
    return " ".join(kept or words)


def normalise_address(address: str | None) -> tuple[str | None, str]:
    """Return ``(house number, street words)`` of an address.

    The house number keeps its ``bis``/``ter`` suffix (``"18b"``); a number after ``BP``,
    ``CS`` or ``bâtiment`` is not a house number. Street words are folded with the usual
    abbreviations expanded (``bd`` -> ``boulevard``) and stop words dropped.
    """
    if not address:
        return None, ""
    text = fold(address)
    number = None
    for match in _NUMBER.finditer(text):
        if not _NOT_NUMBER_BEFORE.search(text[: match.start()]):
            number = match[1].lstrip("0") + (match[2] or "")[:1]
            text = text[: match.start()] + " " + text[match.end() :]
            break
    words = [STREET_WORDS.get(w, w) for w in text.split() if not w.isdigit()]
    return number, " ".join(w for w in words if w not in stop_words())


def distance_m(a: ActorRecord, b: ActorRecord) -> float | None:
    """Great-circle distance in metres between two records (None without coordinates)."""
    return _haversine(a.latitude, a.longitude, b.latitude, b.longitude)


def _haversine(
    lat1: float | None, lon1: float | None, lat2: float | None, lon2: float | None
) -> float | None:
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(h)))


def _prepare(record: ActorRecord) -> _Prepared:
    number, street = normalise_address(record.address)
    siren = record.siren or (record.siret[:9] if record.siret else None)
    return _Prepared(
        name=normalise_name(record.name, record.commune_name),
        words=tuple(normalise_name(record.name).split()),
        local=_commune_words(record.commune_name or ""),
        number=number,
        street=street,
        lat=record.latitude,
        lon=record.longitude,
        sited=bool(street or number) or record.latitude is not None,
        siret=record.siret,
        siren=siren,
        rna=record.rna,
        postcode=record.postcode,
        commune=record.commune_code,
        mobile=not MOBILE_WORDS.isdisjoint(fold(record.name).split()),
        coslat=math.cos(math.radians(record.latitude or 0.0)),
    )


# -- blocking ---------------------------------------------------------------------------


def blocking_keys(record: ActorRecord) -> set[str]:
    """The blocks a record belongs to: identifiers, postcode, commune, grid cell."""
    keys = set()
    siren = record.siren or (record.siret[:9] if record.siret else None)
    for scheme, value in (("siret", record.siret), ("siren", siren), ("rna", record.rna)):
        if value:
            keys.add(f"{scheme}:{value}")
    if record.postcode:
        keys.add(f"cp:{record.postcode}")
    if record.commune_code:
        keys.add(f"com:{record.commune_code}")
    if record.latitude is not None and record.longitude is not None:
        cell_lon = GRID_DEG / max(0.2, math.cos(math.radians(record.latitude)))
        keys.add(f"geo:{round(record.latitude / GRID_DEG)}:{round(record.longitude / cell_lon)}")
    return keys


def candidate_pairs(
    records: Sequence[ActorRecord], *, max_block: int = 400
) -> Iterator[tuple[int, int]]:
    """Yield each pair ``(i, j)``, ``i < j``, of records sharing a block, once.

    A block of more than ``max_block`` records is compared only within its sub-blocks
    of records sharing a name word (words shared by more than ``max_block`` skipped).
    """
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        for key in blocking_keys(record):
            blocks[key].append(index)
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        groups = (
            [members] if len(members) <= max_block else _split_block(records, members, max_block)
        )
        for group in groups:
            for a_pos, i in enumerate(group):
                for j in group[a_pos + 1 :]:
                    pair = (i, j) if i < j else (j, i)
                    if pair not in seen:
                        seen.add(pair)
                        yield pair


def _split_block(
    records: Sequence[ActorRecord], members: list[int], max_block: int
) -> list[list[int]]:
    """Sub-blocks of a large block: the members sharing one name word, for each word
    shared by 2 to ``max_block`` of them (a word more frequent than that says little)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i in members:
        for word in set(normalise_name(records[i].name).split()):
            groups[word].append(i)
    return [g for g in groups.values() if 1 < len(g) <= max_block]


# -- scoring ----------------------------------------------------------------------------


def score_pair(left: ActorRecord, right: ActorRecord) -> PairScore:
    """Compare two records; see the module docstring for the rule."""
    pair = _score(_prepare(left), _prepare(right), 0, 1)
    assert pair is not None  # with no threshold every pair is returned
    return pair


def _pair_names(a: _Prepared, b: _Prepared) -> tuple[str, str]:
    """The two names to compare: without the words of either record's commune (a place
    in Mornac named "Mairie de Mornac" is the commune of Mornac), unless that empties one."""
    if a.local == b.local:
        return a.name, b.name
    local = a.local | b.local
    left = [w for w in a.words if w not in local]
    right = [w for w in b.words if w not in local]
    if not left or not right:
        return a.name, b.name
    return " ".join(left), " ".join(right)


def _name_similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return (0.6 * fuzz.token_set_ratio(a, b) + 0.4 * fuzz.token_sort_ratio(a, b)) / 100.0


class NameIndex:
    """Names of actors to find an actor named in a file (a link's end written as a
    name): the same comparable name (:func:`normalise_name`) is a match, a close one
    (the name similarity of :func:`score_pair`) only a candidate for a person to check.

    ``add`` the names with an id each, then ``find``: ``(ids with the same comparable
    name, [(id, similarity)] of the closest others at or above ``threshold``)``.
    """

    def __init__(self) -> None:
        self._ids: list[int] = []
        self._names: list[str] = []
        self._by_name: dict[str, list[int]] = defaultdict(list)

    def add(self, actor_id: int, name: str) -> None:
        normal = normalise_name(name)
        self._by_name[normal].append(actor_id)
        self._ids.append(actor_id)
        self._names.append(normal)

    def find(
        self, name: str, *, threshold: float = REVIEW_THRESHOLD, limit: int = 5
    ) -> tuple[list[int], list[tuple[int, float]]]:
        normal = normalise_name(name)
        same = list(dict.fromkeys(self._by_name.get(normal, ())))
        if same:
            return same, []
        # token_set_ratio bounds the blended similarity from above: it picks, in C,
        # the few names worth scoring exactly
        rough = process.extract(normal, self._names, scorer=fuzz.token_set_ratio,
                                limit=4 * limit, score_cutoff=100 * threshold)  # fmt: skip
        scored = [(self._ids[i], round(_name_similarity(normal, self._names[i]), 2))
                  for _, _, i in rough]  # fmt: skip
        close = sorted((p for p in scored if p[1] >= threshold), key=lambda p: -p[1])
        return [], close[:limit]


def _address_similarity(a: _Prepared, b: _Prepared) -> float | None:
    if not a.street or not b.street:
        return None
    similarity = fuzz.token_set_ratio(a.street, b.street) / 100.0
    if a.number and b.number and a.number != b.number:
        return similarity * 0.4
    if (a.number is None) != (b.number is None):
        return similarity * 0.9
    return similarity


def _distance_similarity(metres: float) -> float:
    if metres <= NEAR_M:
        return 1.0
    if metres >= FAR_M:
        return 0.0
    return 1.0 - math.log(metres / NEAR_M) / math.log(FAR_M / NEAR_M)


def _exact(a: _Prepared, b: _Prepared) -> tuple[str | None, bool]:
    """The identifier both records share, and whether their identifiers conflict.

    Two SIRETs of one SIREN are two establishments of one legal unit: the same actor
    when neither record is a place (no address, no coordinates: a contractor or a
    funder, known by its legal unit), two sites otherwise (the SIRETs conflict)."""
    if a.siret and b.siret:
        if a.siret == b.siret:
            return "siret", False
        if a.siren == b.siren and not (a.sited or b.sited):
            return "siren", False
        return None, True
    if a.siren and b.siren and a.siren == b.siren:
        return "siren", False
    if a.rna and b.rna:
        return ("rna", False) if a.rna == b.rna else (None, True)
    return None, False


def _metres(a: _Prepared, b: _Prepared) -> float | None:
    """Equirectangular distance: within 0.1 % of haversine at the few-km scale that
    matters here, and cheaper (the cosines are computed once per record)."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    x = math.radians(b.lon - a.lon) * (a.coslat + b.coslat) / 2
    y = math.radians(b.lat - a.lat)
    return 6_371_000.0 * math.hypot(x, y)


def _combine(name: float, address: float | None, metres: float | None) -> float:
    """Weighted mean of the available signals, with the caps of the module docstring."""
    total, weight = WEIGHTS["name"] * name, WEIGHTS["name"]
    if address is not None:
        total, weight = total + WEIGHTS["address"] * address, weight + WEIGHTS["address"]
    if metres is not None:
        near = _distance_similarity(metres)
        total, weight = total + WEIGHTS["distance"] * near, weight + WEIGHTS["distance"]
    score = total / weight
    if (address is None and metres is None) or (metres is not None and metres >= APART_M):
        score = min(score, NAME_ONLY_CAP)  # a name alone, or kilometres apart: a person decides
    return score


def _best_case(a: _Prepared, b: _Prepared, name: float) -> float:
    """The highest score the pair could reach with this name similarity."""
    has_address = bool(a.street and b.street)
    has_place = a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
    return _combine(name, 1.0 if has_address else None, 0.0 if has_place else None)


def _score(a: _Prepared, b: _Prepared, i: int, j: int, threshold: float = 0.0) -> PairScore | None:
    """Score a pair; None when it cannot reach ``threshold`` (reasons built only then)."""
    exact, conflict = _exact(a, b)
    name = _name_similarity(*_pair_names(a, b))
    if not exact and _best_case(a, b, name) < threshold:
        return None
    address = _address_similarity(a, b)
    metres = _metres(a, b)
    if _host_named(a, b, address, metres):
        name = max(name, HOST_NAMED)
    score = _combine(name, address, metres)
    if _same_name_here(a, b, name, address, metres):
        score = SAME_NAME_HERE
    elif address is None and metres is None and _distinct_names(a, b):
        score = min(score, DISTINCT_NAMES_CAP)
    if exact:
        score = 1.0 if _legal_unit(a, b) else _exact_score(score, name, address, metres)
    elif conflict:
        score *= 0.85
    mobile = a.mobile != b.mobile
    if mobile:
        score *= 0.8
    rounded = round(score, 4)
    if rounded < threshold:
        return None
    agreed = exact if exact and score == 1.0 else None
    reasons = _reasons(exact, agreed, conflict, mobile, name, address, metres)
    return PairScore(i, j, rounded, agreed, reasons, name, address, metres)


def _reasons(
    exact: str | None,
    agreed: str | None,
    conflict: bool,
    mobile: bool,
    name: float,
    address: float | None,
    metres: float | None,
) -> list[str]:
    """The French sentences shown in the review queue, strongest first."""
    reasons = []
    if exact:
        reasons.append(f"même {exact.upper()}" + ("" if agreed else ", lieu différent"))
    elif conflict:
        reasons.append("identifiants différents")
    reasons.append(f"nom {round(name * 100)} %")
    if address is not None:
        reasons.append(f"adresse {round(address * 100)} %")
    if metres is not None:
        reasons.append(f"distance {_show_metres(metres)}")
    if mobile:
        reasons.append("service itinérant et lieu fixe")
    return reasons


def _same_name_here(
    a: _Prepared, b: _Prepared, name: float, address: float | None, metres: float | None
) -> bool:
    """Two organisations known only by their name and commune (no address, no
    coordinates, as the research partners are), named alike in the same commune: as
    many words, spelt alike in any order (typos, accents, legal forms), with the same
    numbers (Paris 1 is not Paris 2). A name with a word more names a unit of the other
    (a lab of a délégation, a centre of an institute): a person decides."""
    if not (address is None and metres is None and not (a.sited or b.sited)):
        return False
    if a.commune is None or a.commune != b.commune or name < SAME_NAME:
        return False
    left, right = _pair_names(a, b)
    return (
        len(left.split()) == len(right.split())
        and fuzz.token_sort_ratio(left, right) >= 100 * SAME_NAME
        and _numbers(left) == _numbers(right)
    )


def _distinct_names(a: _Prepared, b: _Prepared) -> bool:
    """Two organisations known only by their name and commune whose names name two
    bodies, not one spelt two ways: different numbers (Inserm U1154 and U976), words on
    both sides that the other lacks (more than one each, or with fewer than two words in
    common: "Laboratoire Ampère" and "Laboratoire MATEIS"), or one name longer by more
    than :data:`UNIT_WORDS` words (an institute and one of its labs). Measured on the
    labelled samples (``maillage review evaluate``): on the demo it keeps out of the
    review queue the lab-against-lab pairs of the research partners of one city."""
    if a.sited or b.sited:
        return False
    left, right = (n.split() for n in _pair_names(a, b))
    numbers = _numbers(" ".join(left)), _numbers(" ".join(right))
    if numbers[0] and numbers[1] and numbers[0] != numbers[1]:
        return True
    only_left, only_right, common = _word_differences(left, right)
    if only_left and only_right and (only_left + only_right > 2 or common < 2):
        return True
    return max(only_left, only_right) > UNIT_WORDS


def _word_differences(left: list[str], right: list[str]) -> tuple[int, int, int]:
    """Words of ``left`` not found in ``right``, words of ``right`` not found in
    ``left``, and words of ``left`` found in ``right`` (distinct words each)."""
    left_acronyms, right_acronyms = _acronyms(left, right), _acronyms(right, left)
    found_left = {w for w in left if w in left_acronyms or _word_in(w, right)}
    found_right = {w for w in right if w in right_acronyms or _word_in(w, left)}
    found_left |= {w for w in left if w in right_acronyms}
    found_right |= {w for w in right if w in left_acronyms}
    return len(set(left) - found_left), len(set(right) - found_right), len(found_left)


def _acronyms(words: list[str], other: list[str]) -> set[str]:
    """Words of ``words`` that are the initials of a run of words of ``other`` (ICO for
    Institut de Cancérologie de l'Ouest), with the words of those runs."""
    found = set()
    for word in words:
        if not 2 <= len(word) <= 6:
            continue
        for start in range(len(other) - len(word) + 1):
            run = other[start : start + len(word)]
            if "".join(w[0] for w in run) == word:
                found.add(word)
                found.update(run)
    return found


def _word_in(word: str, others: list[str]) -> bool:
    """The word is one of ``others``, spelt alike, abbreviated or abbreviating (three
    letters or more: univ, universite), or an initial of one of them."""
    for other in others:
        if word == other or fuzz.ratio(word, other) >= SPELT_ALIKE:
            return True
        shorter, longer = sorted((word, other), key=len)
        if longer.startswith(shorter) and (len(shorter) >= 3 or len(shorter) == 1):
            return True
    return False


def _numbers(name: str) -> frozenset[str]:
    return frozenset(w for w in name.split() if w in ROMAN or any(c.isdigit() for c in w))


def _host_named(a: _Prepared, b: _Prepared, address: float | None, metres: float | None) -> bool:
    """A France services at the address of another structure whose name it repeats
    (France services Pays de Fayence at the communauté de communes du Pays de Fayence):
    the host's place, as the national map lists it. The words of the communes do not
    count: a France services named after its town is not its town hall."""
    if address is None or address < 0.95 or (metres is not None and metres > HOST_M):
        return False
    if not (a.local and b.local):  # without the communes, a town's name cannot be told apart
        return False
    fs_a, fs_b = _is_france_services(a.words), _is_france_services(b.words)
    if fs_a == fs_b:
        return False
    service, host = (a, b) if fs_a else (b, a)
    own = set(service.words) - _FS_WORDS - service.local - host.local
    return bool(own & set(host.words))


def _is_france_services(words: tuple[str, ...]) -> bool:
    return words[:2] == ("france", "services")


def _exact_score(score: float, name: float, address: float | None, metres: float | None) -> float:
    """An identifier match is exact when the place agrees; else it adds nothing (one
    SIRET is often shared by several sites of a commune or a département)."""
    place = (address is not None and address >= 0.8) or (
        metres is not None and metres <= SAME_PLACE_M and (address is None or address >= 0.5)
    )
    if place or (address is None and metres is None and name >= 0.9):
        return 1.0
    return score


def _legal_unit(a: _Prepared, b: _Prepared) -> bool:
    """Neither record is a place: an equal SIREN is one legal unit, whatever the names
    (a contractor's establishments, a holder and the same body as a buyer)."""
    return not (a.sited or b.sited)


def _show_metres(metres: float) -> str:
    return f"{round(metres)} m" if metres < 10_000 else f"{round(metres / 1000)} km"


def find_matches(
    records: Sequence[ActorRecord], *, threshold: float = REVIEW_THRESHOLD, max_block: int = 400
) -> list[PairScore]:
    """Score every blocked pair of ``records``; return those at or above ``threshold``.

    Positions in the result are indexes in ``records``; best scores first.
    """
    prepared = [_prepare(r) for r in records]
    found = []
    for i, j in candidate_pairs(records, max_block=max_block):
        pair = _score(prepared[i], prepared[j], i, j, threshold)
        if pair is not None:
            found.append(pair)
    found.sort(key=lambda p: (-p.score, p.left, p.right))
    return found


# -- clustering -------------------------------------------------------------------------


def cluster(
    pairs: Iterable[PairScore],
    *,
    threshold: float = MERGE_THRESHOLD,
    cannot_link: Iterable[tuple[int, int]] = (),
) -> list[list[int]]:
    """Group records linked by pairs at or above ``threshold``, best pairs first.

    Two groups are joined only if no ``cannot_link`` pair (a "not the same" decision)
    would end up inside the joined group. Returns the groups of two or more members,
    each sorted, the list sorted by first member.
    """
    parent: dict[int, int] = {}
    members: dict[int, set[int]] = {}
    forbidden: dict[int, set[int]] = defaultdict(set)
    for x, y in cannot_link:
        forbidden[x].add(y)
        forbidden[y].add(x)

    def root(x: int) -> int:
        parent.setdefault(x, x)
        members.setdefault(x, {x})
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in sorted(pairs, key=lambda p: (-p.score, p.left, p.right)):
        if pair.score < threshold:
            continue
        ra, rb = root(pair.left), root(pair.right)
        if ra == rb or any(forbidden[m] & members[rb] for m in members[ra]):
            continue
        small, big = (ra, rb) if len(members[ra]) < len(members[rb]) else (rb, ra)
        parent[small] = big
        members[big] |= members.pop(small)
    groups = [sorted(m) for r, m in members.items() if parent[r] == r and len(m) > 1]
    return sorted(groups)


# -- evaluation -------------------------------------------------------------------------


@dataclass(slots=True)
class Evaluation:
    """Precision and recall of "same" predictions against labelled pairs."""

    threshold: float
    pairs: int = 0
    positives: int = 0
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.positives if self.positives else 1.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "threshold": self.threshold,
            "pairs": self.pairs,
            "positives": self.positives,
            "negatives": self.pairs - self.positives,
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
        }


def compare(left: ActorRecord, right: ActorRecord) -> PairScore:
    """Score a pair as the resolver would: 0 when the records share no block."""
    if not blocking_keys(left) & blocking_keys(right):
        return PairScore(0, 1, 0.0, reasons=["aucun bloc commun"])
    return score_pair(left, right)


def evaluate(
    labelled: Iterable[tuple[float, bool]], *, threshold: float = MERGE_THRESHOLD
) -> Evaluation:
    """Count predictions (``score >= threshold``) against labels ``(score, same)``."""
    result = Evaluation(threshold=threshold)
    for score, same in labelled:
        result.pairs += 1
        predicted = score >= threshold
        result.positives += same
        result.true_positives += predicted and same
        result.false_positives += predicted and not same
        result.false_negatives += same and not predicted
    return result


def choose_thresholds(labelled: Sequence[tuple[float, bool]]) -> tuple[float, float]:
    """The rule that picked the shipped thresholds on the dev half: ``(merge, review)``.

    Merge: the first multiple of 0.05 strictly above the highest score of a "different"
    pair, so that no such pair would be merged (on a population with far more negatives
    than the sample, merges must stay safe). Review: the lowest score of a "same" pair,
    rounded down to a multiple of 0.05, so that every same pair reaches a person at least.
    Pairs scored 0 (no common block) are left out of both.
    """
    different = [s for s, same in labelled if not same and s > 0]
    merge = min(1.0, (math.floor(round(max(different, default=0.0) / 0.05, 6)) + 1) * 0.05)
    lowest_same = min((s for s, same in labelled if same and s > 0), default=merge)
    return round(merge, 2), round(math.floor(round(lowest_same / 0.05, 6)) * 0.05, 2)
