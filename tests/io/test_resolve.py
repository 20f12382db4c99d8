"""Identity resolution, pure part: normalisation, blocking, scoring, clustering, measure."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.io import resolve
from maillage.io.resolve import PairScore
from maillage.model.records import ActorRecord


def place(name: str, address: str | None = "1 place de la Mairie", postcode: str = "16590",
          **extra: object) -> ActorRecord:  # fmt: skip
    return ActorRecord(name=name, address=address, postcode=postcode, **extra)  # type: ignore[arg-type]


def test_names_lose_legal_forms_stop_words_and_their_commune() -> None:
    assert resolve.normalise_name("ASSOCIATION LA BASTIDE") == "bastide"
    assert resolve.normalise_name("France services de Brie", "Brie") == "france services"
    assert resolve.normalise_name("C.C.A.S", None) == resolve.normalise_name(
        "Centre communal d'action sociale"
    )
    assert resolve.normalise_name("Espace France Service") == "france services"
    # a name made only of its commune keeps its words
    assert resolve.normalise_name("Brie", "Brie") == "brie"


def test_addresses_split_number_and_expand_street_words() -> None:
    assert resolve.normalise_address("5ter Rue Capitaine de Bresson") == (
        "5t", "rue capitaine bresson")  # fmt: skip
    assert resolve.normalise_address("12 Av. Demontzey") == resolve.normalise_address(
        "12 Avenue Demontzey"
    )
    assert resolve.normalise_address("BP 903 Place Barette") == (None, "bp place barette")
    assert resolve.normalise_address(None) == (None, "")


def test_the_same_place_spelt_two_ways_is_merged() -> None:
    pair = resolve.score_pair(
        place("Maison France Services de Neuvéglise", "4 Place Albert", commune_name="Neuvéglise"),
        place(
            "France services Neuvéglise-sur-Truyère",
            "4 place Albert",
            commune_name="Neuvéglise-sur-Truyère",
        ),  # fmt: skip
    )
    assert pair.score >= resolve.MERGE_THRESHOLD
    assert pair.reasons[0].startswith("nom ")


def test_two_structures_in_one_building_are_not_merged() -> None:
    pair = resolve.score_pair(place("Commune de Boisseron", "56 av Frédéric Mistral"),
                              place("France services Boisseron", "56 Avenue Frédéric Mistral"))  # fmt: skip
    assert pair.score < resolve.MERGE_THRESHOLD
    assert "adresse 100 %" in pair.reasons


def test_a_bus_is_not_the_fixed_site_at_its_stop() -> None:
    fixed = place("France services Pimms Médiation Grenoble", "97 galerie de l'Arlequin")
    bus = place("Bus France services Pimms Médiation Grenoble", "97 galerie de l'Arlequin")
    pair = resolve.score_pair(fixed, bus)
    assert pair.score < resolve.MERGE_THRESHOLD
    assert "service itinérant et lieu fixe" in pair.reasons


def test_a_shared_siret_merges_only_where_the_place_agrees() -> None:
    siret = "21050061700019"
    library = place("Médiathèque de Gap", "137 boulevard Georges Pompidou", "05000",
                    siret=siret, latitude=44.559, longitude=6.078)  # fmt: skip
    centre = place("Centre social de Saint-Mens", "18B Bd Bellevue", "05000", siret=siret,
                   latitude=44.571, longitude=6.090)  # fmt: skip
    copy = place("MEDIATHEQUE DE GAP", "137 BD GEORGES POMPIDOU", "05000", siret=siret,
                 latitude=44.559, longitude=6.078)  # fmt: skip
    different_sites = resolve.score_pair(library, centre)
    assert different_sites.exact is None and different_sites.score < resolve.MERGE_THRESHOLD
    assert different_sites.reasons[0] == "même SIRET, lieu différent"
    same = resolve.score_pair(library, copy)
    assert (same.exact, same.score, same.reasons[0]) == ("siret", 1.0, "même SIRET")


def test_different_sirets_lower_the_score() -> None:
    a = place("Croix-Rouge française", "3 rue des Chênes Verts", siret="77567227223928")
    b = place("Croix-Rouge française", "3 rue des Chênes Verts", siret="75170343000098")
    unknown = place("Croix-Rouge française", "3 rue des Chênes Verts")
    assert resolve.score_pair(a, b).score < resolve.score_pair(a, unknown).score
    assert resolve.score_pair(a, b).reasons[0] == "identifiants différents"


def test_a_name_alone_goes_to_review_not_to_merge() -> None:
    pair = resolve.score_pair(place("Maison de quartier des Moulins", None),
                              place("Maison de quartier Moulins", "18 rue d'Arras"))  # fmt: skip
    assert resolve.REVIEW_THRESHOLD <= pair.score < resolve.MERGE_THRESHOLD


def test_blocking_pairs_records_of_one_postcode_siret_or_grid_cell_once() -> None:
    records = [
        place("A", postcode="16590"),
        place("B", postcode="16590", commune_code="16061"),
        place("C", postcode="75011", siret="77567227223928"),
        place("D", postcode="13001", siret="77567227223928"),
        place("E", postcode="13002", latitude=43.3, longitude=5.37),
        place("F", postcode="13003", latitude=43.3001, longitude=5.3701),
        place("G", postcode="69001"),
    ]
    assert sorted(resolve.candidate_pairs(records)) == [(0, 1), (2, 3), (4, 5)]
    assert resolve.compare(records[0], records[6]).reasons == ["aucun bloc commun"]


def test_a_large_block_is_split_by_rare_name_words_but_keeps_true_pairs() -> None:
    records = [place(f"Association numéro {i} quartier{i}", f"{i} rue Haute") for i in range(30)]
    records += [place("Médiathèque Aimé Césaire", "2 rue Basse"),
                place("Mediatheque Aime Cesaire", "2 rue Basse")]  # fmt: skip
    pairs = list(resolve.candidate_pairs(records, max_block=10))
    assert (30, 31) in pairs
    assert len(pairs) < 30 * 31 // 2
    assert resolve.find_matches(records, max_block=10)[0].left == 30


def test_clusters_join_best_pairs_first_and_never_across_a_rejected_pair() -> None:
    pairs = [PairScore(1, 2, 0.95), PairScore(2, 3, 0.9), PairScore(3, 4, 0.5),
             PairScore(5, 6, 0.85)]  # fmt: skip
    assert resolve.cluster(pairs) == [[1, 2, 3], [5, 6]]
    assert resolve.cluster(pairs, cannot_link=[(1, 3)]) == [[1, 2], [5, 6]]
    assert resolve.cluster(pairs, threshold=0.9) == [[1, 2, 3]]


def test_evaluation_counts_and_the_threshold_rule() -> None:
    labelled = [(1.0, True), (0.85, True), (0.78, False), (0.7, True), (0.2, False), (0.0, True)]
    result = resolve.evaluate(labelled, threshold=0.8)
    assert (result.true_positives, result.false_positives, result.false_negatives) == (2, 0, 2)
    assert (result.precision, result.recall) == (1.0, 0.5)
    # merge: first 0.05 step above the best "different" (0.78); review: below the lowest same
    assert resolve.choose_thresholds(labelled) == (0.8, 0.7)


names = st.text(alphabet="abcdeé ÉSAR'-0123", min_size=1, max_size=30)
coordinates = st.one_of(st.none(), st.floats(min_value=43.0, max_value=43.1))


@settings(max_examples=150, deadline=None)
@given(names, names, st.one_of(st.none(), names), st.one_of(st.none(), names), coordinates,
       coordinates)  # fmt: skip
def test_scores_are_symmetric_and_in_range(
    a: str, b: str, addr_a: str | None, addr_b: str | None, lat_a: float | None,
    lat_b: float | None,
) -> None:  # fmt: skip
    left = place(a, addr_a, latitude=lat_a, longitude=None if lat_a is None else 5.0)
    right = place(b, addr_b, latitude=lat_b, longitude=None if lat_b is None else 5.0)
    forward, backward = resolve.score_pair(left, right), resolve.score_pair(right, left)
    assert 0.0 <= forward.score <= 1.0
    assert forward.score == backward.score
    if resolve.normalise_name(a):  # a record with a real name at least reaches review
        assert resolve.score_pair(left, left).score >= resolve.REVIEW_THRESHOLD


def test_one_name_and_siret_kilometres_apart_is_never_merged() -> None:
    # two sites of a département found in the real files: same name, same SIRET, 10 km
    siret = "22400001800016"
    north = place("Maison Landaise de la Solidarité", "198 avenue de la Gare", "40700",
                  siret=siret, latitude=43.6583, longitude=-0.5888)  # fmt: skip
    south = place("Maison Landaise de la Solidarité", "avenue du Tursan - lotissement Le Cap",
                  "40500", siret=siret, latitude=43.7497, longitude=-0.5670)  # fmt: skip
    pair = resolve.score_pair(north, south)
    assert pair.exact is None and pair.score < resolve.MERGE_THRESHOLD
    assert pair.reasons[0] == "même SIRET, lieu différent" and "distance 10 km" in pair.reasons


def organisation(name: str, **extra: object) -> ActorRecord:
    """A record with no address and no coordinates: a contractor, a holder, a partner."""
    return ActorRecord(name=name, **extra)  # type: ignore[arg-type]


def test_two_establishments_of_one_legal_unit_merge_unless_they_are_places() -> None:
    # DECP: COLAS NORD EST under four SIRETs of SIREN 329198337
    a = organisation("COLAS NORD EST", siret="32919833701025")
    b = organisation("COLAS NORD-EST Secteur de Void", siret="32919833700480")
    assert resolve.score_pair(a, b).score == 1.0
    assert resolve.score_pair(a, b).reasons[0] == "même SIREN"
    # two sites of the Croix-Rouge (one SIREN) stay two places
    c = place("Croix-Rouge française", "31 rue Danton", siret="77567227237282")
    d = place("Croix-Rouge française", "10 quai Louis Pasteur", siret="77567227237274")
    assert resolve.score_pair(c, d).score < resolve.MERGE_THRESHOLD
    # and a place is not merged with another establishment of its legal unit
    e = organisation("CROIX ROUGE FRANCAISE", siret="77567227217813")
    assert resolve.score_pair(c, e).score < resolve.MERGE_THRESHOLD


def test_a_place_named_as_its_commune_is_the_commune_its_library_is_not() -> None:
    holder = organisation("Commune de Mornac", siren="211602321", commune_code="16232",
                          commune_name="Mornac")  # fmt: skip
    town_hall = place("Mairie de Mornac", "1 allée des Sports", siret="21160232100013",
                      commune_name="Ruelle-sur-Touvre")  # fmt: skip
    library = place("Médiathèque de Mornac", "2 rue Jean Jaurès", siret="21160232100021",
                    commune_name="Mornac")  # fmt: skip
    assert resolve.score_pair(town_hall, holder).score == 1.0
    assert resolve.score_pair(library, holder).score < resolve.MERGE_THRESHOLD
    agglo = place("COMMUNAUTE D'AGGLOMERATION DE BASTIA", "Port de Toga", siret="24200035400041",
                  commune_name="Bastia")  # fmt: skip
    assert resolve.score_pair(agglo, organisation("CA de Bastia", siren="242000354")).score == 1.0


def test_partners_known_by_name_and_commune_merge_when_named_alike() -> None:
    where = {"commune_code": "79347", "commune_name": "Villiers-en-Bois"}
    a = organisation("Centre détudes biologiques de Chizé", **where)
    b = organisation("Centre dEtudes Biologiques de Chizé", **where)
    assert resolve.score_pair(a, b).score >= resolve.MERGE_THRESHOLD
    # not elsewhere, not when a number tells two units apart, not a lab and its parent
    elsewhere = organisation("Centre dEtudes Biologiques de Chizé", commune_code="79191")
    assert resolve.score_pair(a, elsewhere).score < resolve.MERGE_THRESHOLD
    lens = {"commune_code": "62498", "commune_name": "Lens"}
    university = organisation("UNIVERSITE DARTOIS", **lens)
    lab = organisation("Université dartois - LBHE (EA2465)", **lens)
    assert resolve.score_pair(university, lab).score < resolve.MERGE_THRESHOLD
    paris = {"commune_code": "75056", "commune_name": "Paris"}
    one, two = (
        organisation("Université Paris 1", **paris),
        organisation("Université Paris 2", **paris),
    )
    assert resolve.score_pair(one, two).score < resolve.MERGE_THRESHOLD


def test_a_france_services_named_after_its_host_at_its_address_is_the_host_place() -> None:
    where = {"postcode": "83440", "commune_name": "Fayence"}
    host = place("COMMUNAUTE DE COM DU PAYS DE FAYENCE", "50 Route de l'Aérodrome", **where)
    service = place("France services Pays de Fayence", "50 route de l'Aerodrome", **where)
    assert resolve.score_pair(host, service).score >= resolve.MERGE_THRESHOLD
    # named after its town only: the town hall that hosts it is another structure
    boisseron = {"postcode": "34160", "commune_name": "Boisseron"}
    town = place("Commune de Boisseron", "56 av Frédéric Mistral", **boisseron)
    there = place("France services Boisseron", "56 Avenue Frédéric Mistral", **boisseron)
    assert resolve.score_pair(town, there).score < resolve.MERGE_THRESHOLD


def test_a_lab_named_after_its_delegation_is_not_merged_into_it() -> None:
    marseille = {"commune_code": "13055", "commune_name": "Marseille"}
    delegation = organisation("Centre National de la Recherche Scientifique Délégation Provence "
                              "et Corse", **marseille)  # fmt: skip
    typo = organisation("Centre National de la Recheche Scientifique délégation Provence et "
                        "Corse", **marseille)  # fmt: skip
    lab = organisation("Centre National de la Recherche Scientifique Délégation Provence et "
                       "Corse _ IUSTI", **marseille)  # fmt: skip
    assert resolve.score_pair(delegation, typo).score >= resolve.MERGE_THRESHOLD
    assert resolve.score_pair(delegation, lab).score < resolve.MERGE_THRESHOLD


def test_partners_known_by_name_only_are_reviewed_only_when_one_name_may_be_the_other() -> None:
    # research partners of the demo (ANR file), known by name and commune only
    paris = {"commune_code": "75056", "commune_name": "Paris"}
    review, out = resolve.REVIEW_THRESHOLD, resolve.DISTINCT_NAMES_CAP
    two_labs = (
        organisation("Laboratoire Immunité et Infections", **paris),
        organisation("Laboratoire Immunologie Translationnelle", **paris),
    )
    two_units = (organisation("INSERM U1154", **paris), organisation("INSERM U976", **paris))
    institute_and_unit = (
        organisation("Institut Pasteur Paris", **paris),
        organisation("Unité de Génétique Evolutive Humaine - CNRS URA3012, Institut Pasteur",
                     **paris),
    )  # fmt: skip
    for left, right in (two_labs, two_units, institute_and_unit):
        assert resolve.score_pair(left, right).score <= out < review
    # one name spelt two ways, abbreviated, or written as an acronym still reaches a person
    creteil = {"commune_code": "94011", "commune_name": "Bonneuil-sur-Marne"}
    nantes = {"commune_code": "44162", "commune_name": "Saint-Herblain"}
    for left, right in (
        (organisation("UNIV PARIS-EST CRETEIL VAL DE MARNE", **creteil),
         organisation("Université de PARIS XII - Creteil Val de Marne", **creteil)),
        (organisation("ICO - CENTRE R.GAUDUCHEAU", **nantes),
         organisation("Institut de Cancérologie de l'Ouest - René Gauducheau", **nantes)),
        (organisation("Institut Pasteur", **paris), organisation("INSTITUT PASTEUR (BP)", **paris)),
    ):  # fmt: skip
        assert review <= resolve.score_pair(left, right).score < resolve.MERGE_THRESHOLD
