"""Small, valid files of every importable format, the seeds the fuzz test mutates.

Real files (tests/data) are trimmed to a few records; the formats without a shipped
sample (actors, links, graphs, Kumu, needs, indicators) are written by the package's own
writers or by hand.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
from pathlib import Path

import openpyxl

from maillage.io.csvfile import generate_actors_csv, generate_links_csv
from maillage.io.gexf import generate_gexf
from maillage.io.graphml import generate_graphml
from maillage.io.xlsx import generate_xlsx
from maillage.model.records import ActorRecord, LinkRecord

DATA = Path(__file__).parent.parent / "data"

ACTORS = [
    ActorRecord(name="Médiathèque « Les Lilas »", source="s", key="a1", siret="35600000000048",
                world="public", commune_name="Lille", postcode="59000", themes=["inclusion"]),
    ActorRecord(name='Asso "Clic & Co"', source="s", key="a2", world="associative",
                latitude=50.63, longitude=3.06, description="ateliers; numérique"),
    ActorRecord(name="=SUM(1)", source="s", key="a3", email="a@b.fr"),
]  # fmt: skip
LINKS = [
    LinkRecord(source_key="a1", target_key="a2", kind="partnership", source="s", weight=2.5),
    LinkRecord(source_key="a2", target_key="a3", kind="funding", source="s", amount=1000.0),
]


def _text(lines: object) -> bytes:
    return "".join(lines).encode()  # type: ignore[call-overload]


def _first_lines(path: Path, count: int) -> bytes:
    data = path.read_bytes()
    data = gzip.decompress(data) if path.suffix == ".gz" else data
    return b"".join(io.BytesIO(data).readlines()[:count])


def _json_head(path: Path, count: int, key: str | None = None) -> bytes:
    data = path.read_bytes()
    document = json.loads(gzip.decompress(data) if path.suffix == ".gz" else data)
    if key is None:
        return json.dumps(document[:count], ensure_ascii=False).encode()
    return json.dumps({key: document[key][:count]}, ensure_ascii=False).encode()


def _workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _data_inclusion_workbook() -> bytes:
    """The shipped data·inclusion workbook cut to its header and three rows a sheet."""
    data = gzip.decompress((DATA / "data-inclusion/fixtures/dataset.xlsx.gz").read_bytes())
    source = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheets = {
        title: [list(r) for r in itertools.islice(source[title].iter_rows(values_only=True), 6)]
        for title in ("Structures", "Services")
    }
    source.close()
    return _workbook(sheets)


def samples() -> dict[str, list[tuple[str, bytes]]]:
    """Per format of ``FORMATS``: ``(file name, content)`` of valid files. A network is
    given as ``actors.csv`` then ``links.csv`` (the fuzz test mutates one of them)."""
    mednum = DATA / "mediation-numerique"
    bus = "20231003-bus-france-services-en-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json"  # noqa: E501
    actors_csv = _text(generate_actors_csv(ACTORS))
    links_csv = _text(generate_links_csv(LINKS))
    return {
        "actors": [("acteurs.csv", actors_csv), ("acteurs.xlsx", generate_xlsx(ACTORS))],
        "links": [("liens.csv", links_csv)],
        "lieux": [
            ("lieux.json", _json_head(mednum / "cartographie-nationale" / bus, 3)),
            ("lieux.csv", _first_lines(mednum / "schema/exemple-valide.csv", 4)),
        ],
        "data-inclusion": [
            ("structures.json", _json_head(DATA / "data-inclusion/examples-v0/001.json", 3)),
            ("dataset.xlsx", _data_inclusion_workbook()),
        ],
        "scdl": [
            ("subventions.csv", _first_lines(DATA / "scdl-subventions/exemple_valide.csv", 5))
        ],
        "decp": [("decp.json", _json_head(DATA / "decp/data.gouv.fr_pes.json.gz", 3, "marches"))],
        "france-services": [
            ("fs.csv", _first_lines(DATA / "france-services/liste-fs-20240801.csv.gz", 4))
        ],
        "kumu": [
            (
                "kumu.xlsx",
                _workbook(
                    {
                        "Elements": [
                            ["Label", "Type", "Description", "Tags"],
                            ["A", "Association", "x", "a|b"],
                            ["B", "Commune", None, None],
                        ],
                        "Connections": [
                            ["From", "To", "Type", "Strength"],
                            ["A", "B", "partenariat", 2],
                        ],
                    }
                ),
            )
        ],  # fmt: skip
        "gexf": [("reseau.gexf", _text(generate_gexf(ACTORS, LINKS)))],
        "graphml": [("reseau.graphml", _text(generate_graphml(ACTORS, LINKS)))],
        "network": [("actors.csv", actors_csv), ("links.csv", links_csv)],
        "needs": [
            (
                "besoins.csv",
                (
                    "Territoire;Thème;Publics;Gravité;Statut;Date\n"
                    "59;Inclusion numérique;seniors|jeunes;3;observé;12/03/2024\n"
                    "DEP:62;mobilité;;5;;\n"
                ).encode(),
            )
        ],  # fmt: skip
        "indicators": [
            (
                "indicateurs.csv",
                (
                    "territoire;population;taux de pauvreté;année\n59;2600000;18,5;2020\n"
                    "62;1460000;19,1;2020\n"
                ).encode(),
            )
        ],  # fmt: skip
    }
