"""One plain-language sentence per measure, in French and English.

Shipped with every analysis result (``explanations`` key) and used by the text report.
"""

from __future__ import annotations

EXPLANATIONS: dict[str, dict[str, str]] = {
    "actors": {
        "fr": "Nombre d'acteurs (organisations) dans la partie de la carte analysée.",
        "en": "Number of actors (organisations) in the part of the map analysed.",
    },
    "ties": {
        "fr": "Nombre de paires d'acteurs reliées par au moins un lien.",
        "en": "Number of pairs of actors joined by at least one link.",
    },
    "density": {
        "fr": "Part des liens possibles qui existent : près de 0, les acteurs se connaissent peu.",
        "en": "Share of the possible ties that exist: near 0, actors barely know each other.",
    },
    "components": {
        "fr": "Groupes d'acteurs reliés entre eux par une chaîne de liens, sans pont vers les autres.",
        "en": "Groups of actors joined by chains of links, with no bridge to the others.",
    },
    "degree": {
        "fr": "Nombre de partenaires distincts par acteur : quelques acteurs très reliés, beaucoup peu.",
        "en": "Number of distinct partners per actor: a few highly linked, many with few.",
    },
    "mixing_counts": {
        "fr": "Nombre de liens entre chaque paire de mondes (économique, associatif, public, académique).",
        "en": "Number of ties between each pair of worlds (economic, associative, public, academic).",
    },
    "mixing_density": {
        "fr": "Part des paires possibles entre deux mondes qui sont effectivement reliées.",
        "en": "Share of the possible pairs between two worlds that are actually tied.",
    },
    "mixing_ratio": {
        "fr": "Liens observés divisés par les liens attendus si chacun choisissait ses partenaires au hasard : sous 1, les mondes s'évitent.",
        "en": "Observed ties divided by those expected if partners were chosen at random: below 1, the worlds avoid each other.",
    },
    "ei_index": {
        "fr": "Indice E-I de Krackhardt et Stern : de -1 (liens seulement entre soi) à +1 (liens seulement avec les autres mondes).",
        "en": "Krackhardt-Stern E-I index: from -1 (ties only within a group) to +1 (ties only with other groups).",
    },
    "ei_by_territory": {
        "fr": "Indice E-I des liens touchant les acteurs de chaque territoire : où les mondes se parlent, où ils restent entre eux.",
        "en": "E-I index of the ties touching each territory's actors: where worlds meet and where they keep apart.",
    },
    "digital_mixing": {
        "fr": "Les mêmes mesures entre natifs du numérique et autres acteurs : un indice E-I bas signale un écosystème numérique décroché.",
        "en": "The same measures between digital natives and the others: a low E-I index signals a decoupled digital ecosystem.",
    },
    "assortativity": {
        "fr": "Tendance à se lier à son semblable (monde ou nombre de partenaires) : positif, l'entre-soi domine.",
        "en": "Tendency to tie with similar actors (world or number of partners): positive, like links with like.",
    },
    "betweenness": {
        "fr": "Fréquence à laquelle un acteur se trouve sur le plus court chemin entre deux autres : les passages obligés du réseau.",
        "en": "How often an actor lies on the shortest path between two others: the network's crossing points.",
    },
    "constraint": {
        "fr": "Contrainte de Burt : élevée quand les partenaires d'un acteur se connaissent tous ; basse pour un courtier entre cercles séparés.",
        "en": "Burt's constraint: high when an actor's partners all know each other; low for a broker between separate circles.",
    },
    "effective_size": {
        "fr": "Taille effective de Burt : nombre de partenaires non redondants, qui apportent des contacts différents.",
        "en": "Burt's effective size: number of non-redundant partners, who bring different contacts.",
    },
    "brokerage_roles": {
        "fr": "Rôles de Gould et Fernandez : coordinateur, itinérant (ou consultant), représentant, gardien, passeur selon les mondes des acteurs qu'il relie.",
        "en": "Gould-Fernandez roles: coordinator, itinerant (or consultant), representative, gatekeeper, liaison according to the worlds of the actors joined.",
    },
    "coordinator": {
        "fr": "Coordinateur : relie deux acteurs de son propre monde qui ne se connaissent pas (le nombre compte ces chemins, dans les deux sens).",
        "en": "Coordinator: joins two actors of its own world who do not know each other (the number counts these paths, both ways).",
    },
    "itinerant": {
        "fr": "Itinérant (ou consultant) : relie deux acteurs d'un même autre monde que le sien, qui ne se connaissent pas.",
        "en": "Itinerant (or consultant): joins two actors of one world other than its own, who do not know each other.",
    },
    "representative": {
        "fr": "Représentant : porte la voix de son monde vers un autre ; relie un acteur de son monde à un acteur d'un autre monde.",
        "en": "Representative: speaks for its world to another; joins an actor of its own world to one of another world.",
    },
    "gatekeeper": {
        "fr": "Gardien : ouvre son monde à un autre ; relie un acteur d'un autre monde à un acteur du sien.",
        "en": "Gatekeeper: opens its world to another; joins an actor of another world to one of its own.",
    },
    "liaison": {
        "fr": "Passeur : relie deux acteurs de deux mondes différents, tous deux autres que le sien.",
        "en": "Liaison: joins two actors of two different worlds, both other than its own.",
    },
    "cross_world_brokerage": {
        "fr": "Courtage entre mondes : somme des rôles itinérant, représentant, gardien et passeur ; les chemins entre acteurs non reliés qui passent par cet acteur et touchent un autre monde.",
        "en": "Cross-world brokerage: itinerant, representative, gatekeeper and liaison roles added up; the paths between unlinked actors that go through this actor and touch another world.",
    },
    "communities": {
        "fr": "Groupes d'acteurs plus reliés entre eux qu'avec le reste (algorithme de Leiden), avec leurs mondes et territoires.",
        "en": "Groups of actors more tied among themselves than with the rest (Leiden algorithm), with their worlds and territories.",
    },
    "coverage": {
        "fr": "Pour chaque territoire et thème, les besoins relevés, les lieux du thème les plus proches (distance au centre du territoire), les acteurs du thème qui y agissent (par territoire d'action) et les solutions à portée.",
        "en": "For each territory and theme, the needs recorded, the nearest places of the theme (distance to the territory's centre), the actors of the theme acting there (by territory of action) and the solutions within reach.",
    },
    "white_zones": {
        "fr": "Zones blanches : besoins sans acteur qui y agit, sans solution et sans lieu à portée.",
        "en": "White zones: needs with no actor acting there, no solution and no place within reach.",
    },
    "timeline": {
        "fr": "Par année : nouveaux liens, part de ceux qui relient deux mondes, nouveaux acteurs.",
        "en": "Per year: new ties, share of them joining two worlds, new actors.",
    },
}


def explain(measure: str, lang: str = "fr") -> str:
    """The sentence for ``measure`` in ``lang`` (``fr`` or ``en``); ``KeyError`` if unknown."""
    entry = EXPLANATIONS[measure]
    return entry.get(lang, entry["fr"])
