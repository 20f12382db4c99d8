"""Files from other territories, as a new user brings them (issue 24): headers in any
case or spacing, projected or swapped coordinates, postcodes inside addresses, several
values in a cell, a SIREN in a SIRET column, compressed files, workbook sheets.

Each test writes a real-looking file for its case and asserts what the user sees: the
records read, their values, and the warnings naming row and field."""

from __future__ import annotations

import json
from pathlib import Path

from maillage.io.data_inclusion import read_data_inclusion
from maillage.io.decp import read_decp
from maillage.io.france_services import read_france_services
from maillage.io.mediation import read_lieux_csv, read_lieux_json
from maillage.io.scdl import read_scdl
from maillage.io.tabular import read_actors
from maillage.model.records import ImportIssue


def warnings_of(issues: list[ImportIssue]) -> list[tuple[int | None, str | None, str]]:
    return [(i.row, i.field, i.message) for i in issues if i.severity == "warning"]


def errors_of(issues: list[ImportIssue]) -> list[tuple[int | None, str | None, str]]:
    return [(i.row, i.field, i.message) for i in issues if i.severity != "warning"]


PLACE = {
    "Id": "lieu-1", "Nom": "Espace numérique de Bailleul", "Adresse": "2 rue du Musée",
    "Code Postal": "59270", "Commune": "Bailleul", "Code_INSEE": "59043",
    "Latitude": 50.7386, "Longitude": 2.7353, "Date_Maj": "2024-03-12",
    "Courriels": "contact@bailleul.fr",
}  # fmt: skip


def test_lieux_json_with_capitalised_keys_is_read(tmp_path: Path) -> None:
    path = tmp_path / "lieux-nord.json"
    second = {**PLACE, "Id": "lieu-2", "Nom": "Médiathèque de Steenvoorde"}
    path.write_text(json.dumps([PLACE, second]), encoding="utf-8")
    result = read_lieux_json(path)
    assert (result.rows, result.accepted, result.rejected_rows) == (2, 2, [])
    place = result.actors[0]
    assert (place.address, place.postcode, place.commune_code) == (
        "2 rue du Musée", "59270", "59043"
    )  # fmt: skip
    assert (place.latitude, place.email) == (50.7386, "contact@bailleul.fr")
    assert (None, "adresse", "colonne « Adresse » lue comme adresse") in warnings_of(result.issues)
    assert not errors_of(result.issues)


def test_lieux_csv_with_spaced_headers_is_read(tmp_path: Path) -> None:
    from maillage.io.mediation import LIEUX_COLUMNS

    header = [c.upper().replace("_", " ") for c in LIEUX_COLUMNS]
    row = {c: "" for c in LIEUX_COLUMNS}
    row.update(id="lieu-1", nom="Espace numérique", pivot="00000000000000",
               adresse="2 rue du Musée", code_postal="59270", commune="Bailleul",
               date_maj="2024-03-12", source="test")  # fmt: skip
    path = tmp_path / "lieux.csv"
    path.write_text(
        ",".join(header) + "\n" + ",".join(row[c] for c in LIEUX_COLUMNS) + "\n", "utf-8"
    )
    result = read_lieux_csv(path)
    assert (result.rows, result.accepted) == (1, 1), errors_of(result.issues)
    assert result.actors[0].postcode == "59270"


def test_data_inclusion_json_with_capitalised_keys_is_read(tmp_path: Path) -> None:
    structure = {
        "ID": "s-1", "Nom": "Centre social La Passerelle", "Source": "dora",
        "Date Maj": "2024-01-15", "SIRET": "21590350100017", "Code Postal": "59000",
        "Commune": "Lille", "Adresse": "1 place Augustin Laurent",
        "Courriel": "passerelle@exemple.fr",
    }  # fmt: skip
    path = tmp_path / "structures.json"
    path.write_text(json.dumps([structure]), encoding="utf-8")
    result = read_data_inclusion(path)
    assert (result.rows, result.accepted) == (1, 1), errors_of(result.issues)
    actor = result.actors[0]
    assert (actor.key, actor.siret, actor.email) == ("s-1", "21590350100017",
                                                     "passerelle@exemple.fr")  # fmt: skip


def test_france_services_with_capitalised_headers_is_read(tmp_path: Path) -> None:
    path = tmp_path / "liste-fs.csv"
    path.write_text(
        "ID_FS;INSEE_DEP;LIB_FS;ADRESSE;INSEE_COM;CODE POSTAL;LIB_COM;MAIL;H_LUNDI\n"
        "fs-1;59;France services de Wattrelos;1 rue Faidherbe;59650;59150;Wattrelos;"
        "fs@wattrelos.fr;9h-12h\n",
        encoding="utf-8",
    )
    result = read_france_services(path)
    assert (result.rows, result.accepted) == (1, 1), errors_of(result.issues)
    site = result.actors[0]
    assert (site.name, site.postcode, site.commune_code) == (
        "France services de Wattrelos", "59150", "59650"
    )  # fmt: skip
    assert site.territories == ["DEP:59"]
    assert site.extra["horaires"] == {"lundi": "9h-12h"}


def test_scdl_with_lower_case_schema_names_is_read(tmp_path: Path) -> None:
    path = tmp_path / "subventions.csv"
    path.write_text(
        "nomattribuant;idattribuant;dateconvention;referencedecision;nombeneficiaire;"
        "idbeneficiaire;objet;montant;nature;conditionsversement;datesperiodeversement;"
        "notificationue;pourcentagesubvention\n"
        "Ville de Lille;21590350100017;2023-04-01;D-2023-12;Association Les Amis;"
        "03899559300019;Soutien;1500;aide en numéraire;unique;2023-05-01;non;1\n",
        encoding="utf-8",
    )
    result = read_scdl(path)
    assert len(result.links) == 1, errors_of(result.issues)
    assert result.links[0].amount == 1500
    assert (1, "nomAttribuant", "colonne « nomattribuant » lue comme nomAttribuant") in (
        warnings_of(result.issues)
    )


def test_decp_with_capitalised_keys_is_read(tmp_path: Path) -> None:
    contract = {
        "Id": "2023-01", "Acheteur": {"Id": "21590350100017", "Nom": "Ville de Lille"},
        "Titulaires": [{"ID": "03899559300019", "DenominationSociale": "Les Amis"}],
        "Montant": 12000, "DateNotification": "2023-05-02", "Objet": "Ateliers numériques",
    }  # fmt: skip
    path = tmp_path / "decp.json"
    path.write_text(json.dumps({"marches": [contract]}), encoding="utf-8")
    result = read_decp(path)
    assert len(result.links) == 1, errors_of(result.issues)
    link = result.links[0]
    assert (link.source_key, link.target_key, link.amount) == (
        "21590350100017", "03899559300019", 12000
    )  # fmt: skip


def test_generic_table_reads_field_names_in_any_case(tmp_path: Path) -> None:
    path = tmp_path / "acteurs.csv"
    path.write_text("Nom;Source Ref;Code-Postal\nTiers-lieu La Fabrique;TL-7;59000\n", "utf-8")
    result = read_actors(path)
    actor = result.actors[0]
    assert (actor.name, actor.source_ref, actor.postcode) == (
        "Tiers-lieu La Fabrique", "TL-7", "59000"
    )  # fmt: skip


# Compressed files (item 7) and workbook sheets (item 8).

ACTORS_CSV = (
    "nom;siret;code_postal;commune\n"
    "Association Les Amis;03899559300019;59300;Valenciennes\n"
    "Mairie de Lille;21590350100017;59000;Lille\n"
)


def test_gzip_csv_is_read_as_its_content(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "acteurs.csv.gz"
    path.write_bytes(gzip.compress(ACTORS_CSV.encode("utf-8")))
    result = read_actors(path)
    assert (result.rows, result.accepted, result.issues) == (2, 2, [])
    assert [a.name for a in result.actors] == ["Association Les Amis", "Mairie de Lille"]


def test_gzip_and_zip_json_read_by_the_format_parsers(tmp_path: Path) -> None:
    import gzip
    import zipfile

    from maillage.io.unreadable import data_suffix

    places = json.dumps([PLACE, {**PLACE, "Id": "lieu-2"}]).encode("utf-8")
    gz = tmp_path / "lieux.json.gz"
    gz.write_bytes(gzip.compress(places))
    archive = tmp_path / "lieux.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("export/lieux.json", places)
        z.writestr("__MACOSX/export/._lieux.json", b"\0\0")
    for path, name in ((gz, "lieux.json.gz"), (archive, "lieux.zip/export/lieux.json")):
        assert data_suffix(path) == ".json"
        result = read_lieux_json(path)
        assert (result.rows, result.accepted) == (2, 2)
        assert {i.file for i in result.issues} == {name}


def test_zip_holding_several_files_names_them_or_reads_the_one_named(tmp_path: Path) -> None:
    import zipfile

    import pytest

    from maillage.io.unreadable import UnreadableFile

    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("acteurs.csv", ACTORS_CSV)
        z.writestr("liens.csv", "source;cible\na;b\n")
    with pytest.raises(UnreadableFile) as refused:
        read_actors(archive)
    assert str(refused.value) == (
        "Fichier illisible « export.zip » : l'archive contient 2 fichiers (acteurs.csv, "
        "liens.csv) : nommez celui à lire (--sheet NOM)"
    )
    result = read_actors(archive, sheet="acteurs.csv")
    assert (result.rows, result.accepted) == (2, 2)


def test_compressed_bombs_are_refused_within_the_limits(tmp_path: Path) -> None:
    import gzip
    import zipfile

    import pytest

    from maillage.io.unreadable import UnreadableFile

    bomb = b"nom\n" + b"a" * (300 << 20)  # 300 MiB of one letter: about 300 KiB packed
    gz = tmp_path / "bombe.csv.gz"
    gz.write_bytes(gzip.compress(bomb, compresslevel=1))
    archive = tmp_path / "bombe.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bombe.csv", bomb)
    for path in (gz, archive):
        with pytest.raises(UnreadableFile, match="une bombe zip"):
            read_actors(path)
    damaged = tmp_path / "coupe.csv.gz"
    damaged.write_bytes(gzip.compress(ACTORS_CSV.encode())[:-12])
    with pytest.raises(UnreadableFile, match="fichier gzip endommagé"):
        read_actors(damaged)


def test_links_of_our_own_workbook_export_are_read_from_its_links_sheet(tmp_path: Path) -> None:
    from maillage.io.tabular import read_links
    from maillage.io.xlsx import write_xlsx
    from maillage.model.records import ActorRecord, LinkRecord

    actors = [ActorRecord(name="A", key="a"), ActorRecord(name="B", key="b"),
              ActorRecord(name="C", key="c")]  # fmt: skip
    links = [LinkRecord(source_key="a", target_key="b", kind="partnership"),
             LinkRecord(source_key="b", target_key="c", kind="funding")]  # fmt: skip
    path = tmp_path / "export.xlsx"
    write_xlsx(path, actors, links)
    result = read_links(path)
    assert (result.rows, result.accepted, result.errors) == (2, 2, [])
    assert [(k.source_key, k.target_key, k.kind) for k in result.links] == [
        ("a", "b", "partnership"), ("b", "c", "funding")
    ]  # fmt: skip
    assert read_actors(path).accepted == 3


def test_sheet_named_in_any_case_or_by_position(tmp_path: Path) -> None:
    import openpyxl
    import pytest

    from maillage.io.unreadable import UnreadableFile

    workbook = openpyxl.Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "Notes"
    notes.append(["Ce classeur recense les tiers-lieux"])
    places = workbook.create_sheet("Tiers-lieux 2024")
    places.append(["Nom", "Code postal"])
    places.append(["La Fabrique", "59000"])
    path = tmp_path / "tiers-lieux.xlsx"
    workbook.save(path)
    for sheet in ("Tiers-lieux 2024", "tiers lieux 2024", "2"):
        result = read_actors(path, sheet=sheet)
        assert [(a.name, a.postcode) for a in result.actors] == [("La Fabrique", "59000")]
    with pytest.raises(UnreadableFile) as refused:
        read_actors(path, sheet="Lieux")
    assert "pas de feuille « Lieux » (feuilles : Notes, Tiers-lieux 2024)" in str(refused.value)


# Several values in one cell (item 5) and a SIREN in a SIRET column (item 6).


def test_several_emails_phones_and_websites_in_one_cell_are_all_kept(tmp_path: Path) -> None:
    path = tmp_path / "acteurs.csv"
    path.write_text(
        "nom;courriel;téléphone;site web\n"
        'Centre social Nelson Mandela;"accueil@mandela.fr; direction@mandela.fr";'
        "03 20 00 00 00 / 06 12 34 56 78;https://mandela.fr https://blog.mandela.fr\n"
        "Maison de quartier;mq@lille.fr / contact@lille.fr;03 20 11 11 11;\n"
        "Régie de quartier;regie@exemple.fr;;\n",
        encoding="utf-8",
    )
    result = read_actors(path)
    assert (result.rows, result.accepted, result.errors) == (3, 3, [])
    centre, maison, regie = result.actors
    assert (centre.email, centre.phone, centre.website) == (
        "accueil@mandela.fr", "03 20 00 00 00", "https://mandela.fr"
    )  # fmt: skip
    assert centre.extra == {
        "autres_courriels": "direction@mandela.fr", "autres_telephones": "06 12 34 56 78",
        "autres_sites_web": "https://blog.mandela.fr",
    }  # fmt: skip
    assert (maison.email, maison.extra) == ("mq@lille.fr", {"autres_courriels": "contact@lille.fr"})
    assert (regie.email, regie.extra) == ("regie@exemple.fr", {})
    assert (
        3, "email", "2 valeurs dans la cellule : mq@lille.fr gardée, contact@lille.fr dans "
        "extra « autres_courriels »",
    ) in warnings_of(result.issues)  # fmt: skip
    assert {(row, field) for row, field, _ in warnings_of(result.issues)} == {
        (2, "email"), (2, "phone"), (2, "website"), (3, "email")
    }  # fmt: skip


def test_lieux_json_with_two_mails_keeps_both_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "lieux.json"
    place = {**PLACE, "Courriels": "contact@bailleul.fr / mediatheque@bailleul.fr"}
    path.write_text(json.dumps([place]), encoding="utf-8")
    result = read_lieux_json(path)
    actor = result.actors[0]
    assert actor.email == "contact@bailleul.fr"
    assert actor.extra["courriels"] == "contact@bailleul.fr|mediatheque@bailleul.fr"
    assert (1, "courriels", "2 valeurs dans la cellule : contact@bailleul.fr gardée, toutes "
            "dans extra « courriels »") in warnings_of(result.issues)  # fmt: skip


def test_siren_in_a_siret_column_is_read_as_a_siren(tmp_path: Path) -> None:
    path = tmp_path / "acteurs.csv"
    path.write_text(
        "nom;siret\nVille de Lille;215903501\nAssociation Les Amis;03899559300019\n"
        "Société X;123456789\n",
        encoding="utf-8",
    )
    result = read_actors(path)
    assert (result.rows, result.accepted, result.rejected_rows) == (3, 2, [4])
    lille, amis = result.actors
    assert (lille.siren, lille.siret) == ("215903501", None)
    assert amis.siret == "03899559300019"
    assert (2, "siret", "SIREN (9 chiffres) dans une colonne SIRET : lu comme SIREN") in (
        warnings_of(result.issues)
    )
    assert errors_of(result.issues) == [(4, "siret", "un SIRET compte 14 chiffres, pas 9")]


# Projected and swapped coordinates (items 2-3), postcodes in addresses (item 4).


def test_lambert93_x_y_are_recognised_by_their_values_and_converted(tmp_path: Path) -> None:
    path = tmp_path / "equipements.csv"
    path.write_text(
        "nom;code_insee;x;y\n"
        "Hôtel de ville de Lille;59350;704046,8;7059337,2\n"
        "Hôtel de ville de Dunkerque;59183;656187,5;7104472,9\n"
        "Hôtel de ville de Lyon;69123;842666,7;6519924,4\n"
        "Sans point;75056;;\n",
        encoding="utf-8",
    )
    result = read_actors(path)
    assert (result.rows, result.accepted, result.errors) == (4, 4, [])
    points = [(round(a.latitude, 4), round(a.longitude, 4)) for a in result.actors[:3]]
    assert points == [(50.631, 3.0571), (51.0344, 2.3768), (45.764, 4.8357)]
    assert warnings_of(result.issues) == [
        (None, "latitude", "coordonnées projetées en Lambert-93 (EPSG:2154) converties en "
         "degrés WGS84 (colonnes x, y) : 3 point(s), à partir de la ligne 2 (système reconnu "
         "aux valeurs)"),
    ]  # fmt: skip


def test_web_mercator_told_from_lambert93_by_the_rows_communes(tmp_path: Path) -> None:
    # (340314, 6556279) is Lille in Web Mercator, and a point of Charente in Lambert-93:
    # the communes of the rows decide.
    path = tmp_path / "lieux.csv"
    path.write_text(
        "nom,code_postal,x,y\n"
        "Mairie de Lille,59000,340314.8,6556279.6\n"
        "Mairie de Dunkerque,59140,264584.2,6627380.9\n"
        "Mairie de Lyon,69001,538307.7,5742610.4\n",
        encoding="utf-8",
    )
    result = read_actors(path)
    assert result.accepted == 3
    assert [(round(a.latitude, 3), round(a.longitude, 3)) for a in result.actors] == [
        (50.631, 3.057), (51.034, 2.377), (45.764, 4.836)
    ]  # fmt: skip
    assert "Web Mercator (EPSG:3857)" in warnings_of(result.issues)[0][2]


def test_projected_system_named_by_the_headers(tmp_path: Path) -> None:
    path = tmp_path / "martinique.csv"
    path.write_text("nom;X_UTM20;Y_UTM20\nMairie de Fort-de-France;707950,0;1615975,3\n", "utf-8")
    result = read_actors(path)
    actor = result.actors[0]
    assert (round(actor.latitude, 4), round(actor.longitude, 4)) == (14.6091, -61.0695)
    assert warnings_of(result.issues)[0][2] == (
        "coordonnées projetées en UTM 20N (Antilles) (EPSG:5490) converties en degrés WGS84 "
        "(colonnes X_UTM20, Y_UTM20) : 1 point(s), à partir de la ligne 2"
    )
    l93 = tmp_path / "l93.csv"
    l93.write_text("nom;X_L93;Y_L93\nMairie de Paris;652469,0;6862035,3\n", "utf-8")
    paris = read_actors(l93).actors[0]
    assert (round(paris.latitude, 4), round(paris.longitude, 4)) == (48.8566, 2.3522)


def test_swapped_latitude_and_longitude_are_put_back(tmp_path: Path) -> None:
    path = tmp_path / "lieux.csv"
    path.write_text(
        "nom;code_insee;latitude;longitude\n"
        "Mairie de Paris;75056;2.3522;48.8566\n"
        "Mairie de Lille;59350;3.0571;50.6310\n"
        "Mairie de Cayenne;97302;4.9372;-52.326\n"
        "Mairie de Lyon;69123;45.764;4.8357\n"
        "Point impossible;69123;95.2;4.8\n",
        encoding="utf-8",
    )
    result = read_actors(path)
    assert (result.rows, result.accepted, result.rejected_rows) == (5, 4, [6])
    assert [(a.latitude, a.longitude) for a in result.actors] == [
        (48.8566, 2.3522), (50.631, 3.0571), (4.9372, -52.326), (45.764, 4.8357)
    ]  # fmt: skip
    assert warnings_of(result.issues) == [
        (2, "latitude", "latitude et longitude inversées : lues comme 48.8566, 2.3522"),
        (3, "latitude", "latitude et longitude inversées : lues comme 50.631, 3.0571"),
    ]
    assert errors_of(result.issues) == [
        (6, "latitude", "coordonnée hors limites (-90 à 90 degrés)")
    ]


def test_postcode_and_commune_read_from_the_address(tmp_path: Path) -> None:
    path = tmp_path / "acteurs.csv"
    path.write_text(
        "nom;adresse;code_postal\n"
        "Centre social;12 rue Nationale 59000 Lille;\n"
        "Mission locale;Place du Marché, 62100 CALAIS CEDEX;\n"
        "Régie;3 rue du Port, 59140 Dunkerque;59140\n"
        "Association;Rue sans code;\n",
        encoding="utf-8",
    )
    result = read_actors(path)
    assert result.accepted == 4
    assert [(a.postcode, a.commune_name) for a in result.actors] == [
        ("59000", "Lille"), ("62100", "CALAIS"), ("59140", None), (None, None)
    ]  # fmt: skip
    assert warnings_of(result.issues) == [
        (2, "postcode", "code postal 59000 et commune « Lille » lus dans l'adresse"),
        (3, "postcode", "code postal 62100 et commune « CALAIS » lus dans l'adresse"),
    ]
    no_column = tmp_path / "sans-code.csv"
    no_column.write_text("nom;adresse\nTiers-lieu;5 place Rihour 59800 Lille\n", "utf-8")
    assert read_actors(no_column).actors[0].postcode == "59800"


def test_commune_column_takes_insee_codes_and_names(tmp_path: Path) -> None:
    path = tmp_path / "acteurs.csv"
    path.write_text(
        "nom;commune\nCentre social;Lille\nMairie annexe;59183\nMaison de santé;2A004\n"
        "Épicerie solidaire;Roubaix\n",
        encoding="utf-8",
    )
    result = read_actors(path)
    assert (result.accepted, result.issues) == (4, [])
    assert [(a.commune_name, a.commune_code) for a in result.actors] == [
        ("Lille", None), (None, "59183"), (None, "2A004"), ("Roubaix", None)
    ]  # fmt: skip
    codes = tmp_path / "codes.csv"
    codes.write_text("nom;code_insee\nCentre social;59350\nMairie annexe;Dunkerque\n", "utf-8")
    result = read_actors(codes)
    assert [(a.commune_name, a.commune_code) for a in result.actors] == [
        (None, "59350"), ("Dunkerque", None)
    ]  # fmt: skip


def test_lieux_json_with_swapped_coordinates_keeps_its_places(tmp_path: Path) -> None:
    path = tmp_path / "lieux.json"
    swapped = {**PLACE, "Latitude": 2.7353, "Longitude": 50.7386}
    path.write_text(json.dumps([swapped]), encoding="utf-8")
    result = read_lieux_json(path)
    assert result.accepted == 1
    place = result.actors[0]
    assert (place.latitude, place.longitude) == (50.7386, 2.7353)
    assert (1, "latitude", "latitude et longitude inversées : lues comme 50.7386, 2.7353") in (
        warnings_of(result.issues)
    )
