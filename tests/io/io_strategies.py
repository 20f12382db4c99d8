"""Hypothesis strategies for records that every export format can carry.

Text is stripped, non-empty, free of control characters and of the byte patterns the
reader repairs as mojibake; identifiers pass their check digits; floats are finite.
"""

from __future__ import annotations

import datetime as dt
import string

from hypothesis import HealthCheck, Phase, assume, settings
from hypothesis import strategies as st
from stdnum import luhn

from maillage.io.mediation import PLACE_THEME
from maillage.model.records import ActorRecord, LinkRecord

# Shrinking these composite records can take minutes on a shared machine: failures are
# reported as generated (the example is printed), not shrunk.
ROUND_TRIP = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)

ALPHABET = string.ascii_letters + string.digits + " -'.,()/&:!?éèêàçùôîÉÀŒœ’«»\"#@+"
WORLDS = ("economic", "associative", "public", "academic")

text = st.text(alphabet=ALPHABET, min_size=1, max_size=24).map(str.strip).filter(bool)
item = text.map(lambda s: s.replace("|", "").replace(";", "").strip()).filter(bool)
items = st.lists(item, max_size=3)
maybe_text = st.none() | text
keys = st.text(alphabet=string.ascii_letters + string.digits + ":-_", min_size=1, max_size=10)
dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31))
floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
# Values a spreadsheet keeps exactly (15 significant digits): amounts, weights, coordinates.
short_floats = st.integers(-(10**12), 10**12).map(lambda n: n / 100)
latitudes = st.integers(-90_000_000, 90_000_000).map(lambda n: n / 1_000_000)
longitudes = st.integers(-180_000_000, 180_000_000).map(lambda n: n / 1_000_000)


@st.composite
def sirens(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet=string.digits, min_size=8, max_size=8))
    return body + luhn.calc_check_digit(body)


@st.composite
def sirets(draw: st.DrawFn) -> str:
    siren = draw(sirens())
    nic = draw(st.text(alphabet=string.digits, min_size=4, max_size=4))
    siret = siren + nic + luhn.calc_check_digit(siren + nic)
    assume(set(siret) != {"0"})  # the all-zero pivot is a placeholder, not a SIRET
    return siret


rnas = st.text(alphabet=string.digits, min_size=9, max_size=9).map(lambda d: "W" + d)
postcodes = st.text(alphabet=string.digits, min_size=5, max_size=5).filter(
    lambda p: not p.startswith("00")  # no postcode starts with 00
)
departments = st.sampled_from(["01", "13", "2A", "2B", "59", "75", "97", "98"])
commune_codes = st.builds(
    lambda d, n: d + n, departments, st.text(alphabet=string.digits, min_size=3, max_size=3)
)
domains = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=8)
websites = domains.map(lambda d: f"https://www.{d}.fr/page")
emails = st.builds(lambda a, b: f"{a}@{b}.fr", domains, domains)
phones = st.text(alphabet=string.digits, min_size=9, max_size=9).map(lambda d: "+33" + d)
extras = st.dictionaries(item, st.none() | item | st.integers(-5, 5) | st.booleans(), max_size=3)


def actors(
    key: st.SearchStrategy[str | None] = keys, exact: bool = True
) -> st.SearchStrategy[ActorRecord]:
    """Actors with every field that the generic formats carry (``exact``: any double)."""
    return st.builds(
        ActorRecord,
        name=text,
        key=key,
        acronym=maybe_text,
        description=maybe_text,
        world=st.none() | st.sampled_from(WORLDS),
        category=maybe_text,
        digital_profile=st.sampled_from(("native", "adopter", "traditional", "unknown")),
        siren=st.none() | sirens(),
        siret=st.none() | sirets(),
        rna=st.none() | rnas,
        legal_form=st.none() | st.text(alphabet=string.digits, min_size=4, max_size=4),
        naf=maybe_text,
        address=maybe_text,
        postcode=st.none() | postcodes,
        commune_code=st.none() | commune_codes,
        commune_name=maybe_text,
        latitude=st.none() | (st.floats(-90, 90) if exact else latitudes),
        longitude=st.none() | (st.floats(-180, 180) if exact else longitudes),
        website=st.none() | websites,
        email=st.none() | emails,
        phone=st.none() | phones,
        themes=items,
        sdgs=st.lists(st.integers(1, 17), max_size=3),
        territories=items,
        source=maybe_text,
        source_ref=maybe_text,
        classification_rule=maybe_text,
        extra=extras,
    )


def links(ends: list[str], exact: bool = True) -> st.SearchStrategy[LinkRecord]:
    """Links between two distinct keys of ``ends``."""
    number = floats if exact else short_floats
    pair = st.lists(st.sampled_from(ends), min_size=2, max_size=2, unique=True)
    return pair.flatmap(
        lambda p: st.builds(
            LinkRecord,
            source_key=st.just(p[0]),
            target_key=st.just(p[1]),
            kind=item,
            form=maybe_text,
            subtype=maybe_text,
            directed=st.booleans(),
            weight=st.none() | number,
            amount=st.none() | number,
            status=st.sampled_from(("proposed", "active", "ended")),
            start_date=st.none() | dates,
            end_date=st.none() | dates,
            territory=maybe_text,
            themes=items,
            purpose=maybe_text,
            evidence=maybe_text,
            evidence_url=maybe_text,
            confidence=st.none() | number,
            source=maybe_text,
            source_ref=maybe_text,
            extra=extras,
        )
    )


@st.composite
def graphs(
    draw: st.DrawFn, max_actors: int = 6, exact: bool = True
) -> tuple[list[ActorRecord], list[LinkRecord]]:
    """Actors with unique keys and links between them."""
    key_list = draw(st.lists(keys, min_size=2, max_size=max_actors, unique=True))
    actor_list = [draw(actors(st.just(k), exact)) for k in key_list]
    link_list = draw(st.lists(links(key_list, exact), max_size=6))
    return actor_list, link_list


SERVICES = (
    "Aide aux démarches administratives",
    "Maîtrise des outils numériques du quotidien",
    "Insertion professionnelle via le numérique",
    "Utilisation sécurisée du numérique",
    "Parentalité et éducation avec le numérique",
    "Loisirs et créations numériques",
    "Compréhension du monde numérique",
    "Accès internet et matériel informatique",
    "Acquisition de matériel informatique à prix solidaire",
)
TYPOLOGIES = ("ASSO", "CCAS", "TIERS_LIEUX", "BIB", "RFS", "MUNI")


@st.composite
def lieux(draw: st.DrawFn, key: str) -> ActorRecord:
    """A place as ``parse_lieux_csv`` returns it (classification applied, siren set)."""
    from maillage.io.classify import apply_classification

    siret = draw(st.none() | sirets())
    # 1 January 1970 (or the day before, in UTC-x) is a Unix time 0 the lieux reader
    # drops as a default, with a warning: not a date a round trip keeps.
    updated = draw(dates.filter(lambda d: d not in (dt.date(1970, 1, 1), dt.date(1969, 12, 31))))
    extra: dict[str, object] = {"date_maj": updated.isoformat()}
    typologies = draw(st.lists(st.sampled_from(TYPOLOGIES), max_size=2, unique=True))
    if typologies:
        extra["typologie"] = "|".join(typologies)
    for name, strategy in (
        ("horaires", st.just("Mo-Fr 09:00-12:00")),
        ("frais_a_charge", st.sampled_from(("Gratuit", "Payant"))),
        ("itinerance", st.sampled_from(("Fixe", "Itinérant"))),
        ("complement_adresse", text),
        ("presentation_resume", text),
    ):
        if draw(st.booleans()):
            extra[name] = draw(strategy)
    actor = ActorRecord(
        name=draw(text),
        key=key,
        source_ref=key,
        source="lieux-mediation-numerique",
        siret=siret,
        siren=siret[:9] if siret else None,
        rna=None if siret else draw(st.none() | rnas),
        address=draw(text),
        postcode=draw(postcodes),
        commune_name=draw(text),
        commune_code=draw(st.none() | commune_codes),
        latitude=draw(st.none() | st.floats(-90, 90)),
        longitude=draw(st.none() | st.floats(-180, 180)),
        phone=draw(st.none() | phones),
        email=draw(st.none() | emails),
        website=draw(st.none() | websites),
        description=draw(maybe_text),
        # a place read back always carries the taxonomy theme of digital inclusion
        themes=[*draw(st.lists(st.sampled_from(SERVICES), max_size=3, unique=True)), PLACE_THEME],
        extra=extra,
    )
    apply_classification(actor, typologies=typologies)
    return actor


@st.composite
def lieux_lists(draw: st.DrawFn) -> list[ActorRecord]:
    key_list = draw(st.lists(keys, min_size=1, max_size=5, unique=True))
    return [draw(lieux(k)) for k in key_list]
