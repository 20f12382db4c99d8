"""Derive an actor's world and category when its source does not say.

Rules are data (tables below), tried in this order, first match wins:

1. ``legal_form``: INSEE catégorie juridique, longest matching code prefix
   (``reference/domain.md`` section 5.1 and 5.3);
2. ``naf``: activity code prefixes (R&D 72, higher education 85.4);
3. ``typologie``: data·inclusion / lieux de médiation typology codes (``CCAS``, ``ASSO``…);
4. ``rna``: an RNA number is only given to associations;
5. ``name``: keywords in the folded name (``université``, ``association``, ``mairie``…);
6. ``siren``: SIREN numbers of public bodies start with 1 (State) or 2 (local);
7. ``role``: a default the format gives (a SCDL funder, a DECP buyer are public).

The rule used is returned as ``"<kind>:<value>"`` (``"legal_form:9220"``,
``"typologie:CCAS"``, ``"name:université"``) and stored in
``ActorRecord.classification_rule``. Worlds: economic | associative | public | academic.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from maillage.model.records import ActorRecord

__all__ = ["Classification", "apply_classification", "classify", "fold"]

# (INSEE code prefix, world, category). Longest prefix wins (see _LEGAL_FORMS_SORTED).
LEGAL_FORM_RULES: tuple[tuple[str, str, str], ...] = (
    ("1", "economic", "entreprise"),  # entrepreneur individuel
    ("2", "economic", "entreprise"),  # groupement de droit privé sans personnalité morale
    ("4", "public", "établissement public"),  # EPIC and other public bodies under commercial law
    ("5", "economic", "entreprise"),  # sociétés commerciales
    ("5458", "associative", "coopérative"),  # SARL coopérative ouvrière de production (SCOP)
    ("6", "economic", "entreprise"),  # other RCS (GIE, ...)
    ("6317", "associative", "coopérative"),  # société coopérative agricole
    ("7", "public", "établissement public"),
    ("71", "public", "service de l'État"),
    ("72", "public", "collectivité"),
    ("7331", "academic", "école"),  # EPLE
    ("734", "public", "collectivité"),  # communautés, métropoles, syndicats de communes
    ("7357", "public", "collectivité"),  # PETR
    ("7361", "public", "établissement public"),  # CCAS
    ("7381", "public", "établissement public"),  # organisme consulaire
    ("7383", "academic", "université"),  # EPSCP
    ("7384", "academic", "école"),  # autre EP national d'enseignement
    ("7410", "public", "établissement public"),  # GIP
    ("81", "public", "organisme de sécurité sociale"),
    ("82", "associative", "mutuelle"),
    ("8410", "associative", "syndicat"),  # syndicat de salariés
    ("8420", "economic", "syndicat"),  # syndicat patronal
    ("9", "associative", "groupement de droit privé"),
    ("92", "associative", "association"),
    ("9300", "associative", "fondation"),
)
_LEGAL_FORMS_SORTED = sorted(LEGAL_FORM_RULES, key=lambda r: -len(r[0]))

# (NAF code prefix without dot, world, category)
NAF_RULES: tuple[tuple[str, str, str], ...] = (
    ("72", "academic", "laboratoire"),
    ("854", "academic", "école"),
)

_PUBLIC_SERVICE = ("public", "service public de proximité")
_SOCIAL = ("associative", "structure d'action sociale")
_INSERTION = ("associative", "structure d'insertion")
_STATE = ("public", "service de l'État")
_LOCAL = ("public", "collectivité")
_PUBLIC_BODY = ("public", "établissement public")
_ESS = ("economic", "entreprise de l'ESS")

# data·inclusion "typologies de structures" (shared with lieux de médiation ``typologie``).
TYPOLOGY_RULES: dict[str, tuple[str, str]] = {
    "ACI": _INSERTION, "ACIPHC": _INSERTION, "AFPA": _PUBLIC_BODY, "AI": _INSERTION,
    "ASE": _LOCAL, "ASSO": ("associative", "association"),
    "ASSO_CHOMEUR": ("associative", "association"), "AVIP": _SOCIAL,
    "BIB": ("public", "bibliothèque"), "CAARUD": _SOCIAL, "CADA": _SOCIAL,
    "CAF": ("public", "organisme de sécurité sociale"), "CAP_EMPLOI": _INSERTION,
    "CAVA": _SOCIAL, "CC": _LOCAL, "CCAS": _PUBLIC_BODY, "CCONS": _PUBLIC_BODY,
    "CD": _LOCAL, "CDAS": _LOCAL, "CFP": _STATE, "CHRS": _SOCIAL, "CHU": _SOCIAL,
    "CIAS": _PUBLIC_BODY, "CIDFF": _SOCIAL, "CITMET": _PUBLIC_SERVICE, "CMP": _PUBLIC_BODY,
    "CMS": _LOCAL, "CPAM": ("public", "organisme de sécurité sociale"), "CPH": _SOCIAL,
    "CS": ("associative", "centre social"), "CSAPA": _SOCIAL,
    "CSC": ("associative", "centre social"), "DEETS": _STATE, "DEPT": _LOCAL,
    "DIPLP": _STATE, "E2C": _INSERTION, "EA": _ESS, "EATT": _ESS, "EI": _ESS, "EITI": _ESS,
    "EPCI": _LOCAL, "EPIDE": _PUBLIC_BODY, "ES": _SOCIAL, "ESS": _ESS,
    "ETABL_PRI": ("economic", "entreprise"), "ETABL_PUB": _PUBLIC_BODY, "ETAT": _STATE,
    "ETTI": _ESS, "EVS": ("associative", "centre social"),
    "FAIS": ("associative", "réseau/fédération"), "FT": _PUBLIC_BODY, "GEIQ": _INSERTION,
    "HUDA": _SOCIAL, "LA_POSTE": ("economic", "entreprise"), "MDA": _LOCAL, "MDE": _PUBLIC_SERVICE,
    "MDEF": _PUBLIC_SERVICE, "MDPH": _PUBLIC_BODY, "MDS": _LOCAL,
    "MJC": ("associative", "association"), "ML": _INSERTION, "MQ": _PUBLIC_SERVICE,
    "MSA": ("public", "organisme de sécurité sociale"), "MSAP": _PUBLIC_SERVICE,
    "MUNI": _LOCAL, "OACAS": _SOCIAL, "ODC": _SOCIAL, "OF": ("economic", "organisme de formation"),
    "OIL": _SOCIAL, "PAD": _PUBLIC_SERVICE, "PENSION": _SOCIAL,
    "PIJ_BIJ": ("associative", "association"), "PIMMS": ("associative", "association"),
    "PJJ": _STATE, "PLIE": _INSERTION, "PREF": _STATE, "PREVENTION": _SOCIAL, "REG": _LOCAL,
    "RESSOURCERIE": _ESS, "RFS": _PUBLIC_SERVICE, "RS_FJT": _SOCIAL, "SCP": _SOCIAL,
    "SPIP": _STATE, "TIERS_LIEUX": ("associative", "tiers-lieu"),
    "UDAF": ("associative", "association"),
}  # fmt: skip

# (keyword as written in the rule, world, category); matched on folded whole words, in order.
NAME_RULES: tuple[tuple[str, str, str], ...] = (
    ("université", "academic", "université"),
    ("university", "academic", "université"),
    ("laboratoire", "academic", "laboratoire"),
    ("cnrs", "academic", "laboratoire"),
    ("inserm", "academic", "laboratoire"),
    ("inria", "academic", "laboratoire"),
    ("inrae", "academic", "laboratoire"),
    ("umr", "academic", "laboratoire"),
    ("fonds de dotation", "associative", "fonds de dotation"),
    ("fondation", "associative", "fondation"),
    ("mutuelle", "associative", "mutuelle"),
    ("coopérative", "associative", "coopérative"),
    ("scop", "associative", "coopérative"),
    ("scic", "associative", "coopérative"),
    ("fédération", "associative", "réseau/fédération"),
    ("association", "associative", "association"),
    ("amicale", "associative", "association"),
    ("centre social", "associative", "centre social"),
    ("centre socioculturel", "associative", "centre social"),
    ("ccas", "public", "établissement public"),
    ("cias", "public", "établissement public"),
    ("france services", "public", "service public de proximité"),
    ("mairie", "public", "collectivité"),
    ("ville de", "public", "collectivité"),
    ("commune de", "public", "collectivité"),
    ("communauté de communes", "public", "collectivité"),
    ("communauté d'agglomération", "public", "collectivité"),
    ("métropole", "public", "collectivité"),
    ("département", "public", "collectivité"),
    ("conseil départemental", "public", "collectivité"),
    ("région", "public", "collectivité"),
    ("syndicat intercommunal", "public", "collectivité"),
    ("préfecture", "public", "service de l'État"),
    ("ministère", "public", "service de l'État"),
    ("centre hospitalier", "public", "établissement public"),
    ("chu", "public", "établissement public"),
    ("sdis", "public", "établissement public"),
    ("chambre de commerce", "public", "établissement public"),
    ("chambre des métiers", "public", "établissement public"),
    ("médiathèque", "public", "bibliothèque"),
    ("bibliothèque", "public", "bibliothèque"),
    ("école", "academic", "école"),
    ("lycée", "academic", "école"),
    ("institut", "academic", "laboratoire"),
    ("sas", "economic", "entreprise"),
    ("sasu", "economic", "entreprise"),
    ("sarl", "economic", "entreprise"),
    ("eurl", "economic", "entreprise"),
    ("sa", "economic", "entreprise"),
    ("snc", "economic", "entreprise"),
    ("société", "economic", "entreprise"),
    ("entreprise", "economic", "entreprise"),
)


# (SIREN first digit, world, category): INSEE numbers public bodies in 1xx / 2xx.
SIREN_RULES: tuple[tuple[str, str, str], ...] = (
    ("1", "public", "service de l'État"),
    ("2", "public", "collectivité"),
)


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation turned into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9']+", " ", plain).split())


_NAME_PATTERNS = tuple(
    (re.compile(r"(?<![a-z0-9])" + re.escape(fold(k)) + r"(?![a-z0-9])"), k, w, c)
    for k, w, c in NAME_RULES
)


@dataclass(frozen=True, slots=True)
class Classification:
    """A derived world and category, with the rule that gave them."""

    world: str
    category: str
    rule: str


def classify(
    *,
    legal_form: str | None = None,
    naf: str | None = None,
    typologies: Iterable[str] = (),
    name: str | None = None,
    rna: str | None = None,
    siren: str | None = None,
) -> Classification | None:
    """Return the first matching classification (legal form, NAF, typology, RNA, name,
    SIREN prefix), or ``None``."""
    if legal_form:
        for prefix, world, category in _LEGAL_FORMS_SORTED:
            if legal_form.startswith(prefix):
                return Classification(world, category, f"legal_form:{legal_form}")
    if naf:
        code = naf.replace(".", "")
        for prefix, world, category in NAF_RULES:
            if code.startswith(prefix):
                return Classification(world, category, f"naf:{naf}")
    for typology in typologies:
        rule = TYPOLOGY_RULES.get(typology.strip().upper())
        if rule is not None:
            return Classification(rule[0], rule[1], f"typologie:{typology.strip().upper()}")
    if rna:
        return Classification("associative", "association", "rna")
    if name:
        folded = fold(name)
        for pattern, keyword, world, category in _NAME_PATTERNS:
            if pattern.search(folded):
                return Classification(world, category, f"name:{keyword}")
    if siren:
        for prefix, world, category in SIREN_RULES:
            if siren.startswith(prefix):
                return Classification(world, category, f"siren:{prefix}")
    return None


def apply_classification(
    actor: ActorRecord,
    typologies: Iterable[str] = (),
    role: tuple[str, str, str] | None = None,
) -> None:
    """Fill ``world``/``category`` of ``actor`` when missing, recording the rule used.

    A world already given by the source is kept; a category is derived only with it.
    ``role`` is ``(world, category, rule)`` to use when no other rule matches.
    """
    if actor.world is not None:
        return
    siren = actor.siren or (actor.siret[:9] if actor.siret else None)
    found = classify(
        legal_form=actor.legal_form,
        naf=actor.naf,
        typologies=typologies,
        name=actor.name,
        rna=actor.rna,
        siren=siren,
    )
    if found is None and role is not None:
        found = Classification(*role)
    if found is None:
        return
    actor.world = found.world
    if actor.category is None:
        actor.category = found.category
    actor.classification_rule = found.rule
