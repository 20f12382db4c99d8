"""Documents made by the resource tests: a PDF (fpdf2), a DOCX (python-docx), an ODT
(odfpy) and a Markdown webinar, each with French text and metadata."""

from __future__ import annotations

from pathlib import Path

WEBINAR = """---
title: "L'ODD 17 en pratique : co-construire le bien commun"
type: webinaire
date: 2020-11-26
authors: [Observatoire des partenariats]
speakers: [Claire Martin, Paul Durand]
replay: https://example.org/replay/odd17-5
licence: CC-BY-4.0
themes: [cohesion-territoriale, innovation-sociale]
territories: [DEP:59]
sdgs: [17, "ODD 11"]
contact: claire.martin@example.org
---
Cinquième webinaire du cycle 2020 « L'ODD 17 en pratique ». Pour toute question :
contact@example.org ou claire.martin@example.org.

## Transcription

Claire Martin: Bonjour à toutes et à tous, bienvenue dans ce cinquième webinaire sur les alliances territoriales.
Paul Durand: Merci. Dans notre commune rurale, la médiation numérique passe par la coopération entre associations et collectivités.
Claire Martin: Comment avez-vous financé ces partenariats ?
Paul Durand: Grâce à une fondation d'entreprise et au soutien du département.
"""


def make_webinar(folder: Path) -> Path:
    path = folder / "webinaire-odd17.md"
    path.write_text(WEBINAR, encoding="utf-8")
    return path


def make_pdf(folder: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Étude sur les fablabs solidaires")
    pdf.set_author("Laboratoire des territoires")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "Les fablabs solidaires réparent des ordinateurs pour les familles. "
                         "Écrire à marc.petit@example.org pour le rapport complet.")  # fmt: skip
    path = folder / "etude-fablabs.pdf"
    pdf.output(str(path))
    return path


def make_docx(folder: Path) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = "Guide des maisons France Services"
    document.core_properties.author = "Agence des territoires"
    document.add_heading("Accueillir le public", level=1)
    document.add_paragraph("Les conseillers numériques accompagnent les usagers éloignés.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Horaires"
    table.rows[0].cells[1].text = "du lundi au vendredi"
    path = folder / "guide-france-services.docx"
    document.save(str(path))
    return path


def make_odt(folder: Path) -> Path:
    from odf import dc, text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    document.meta.addElement(dc.Title(text="Entretien avec une épicerie coopérative"))
    document.meta.addElement(dc.Creator(text="Collectif des épiceries"))
    document.text.addElement(text.H(outlinelevel=1, text="Une épicerie en zone rurale"))
    document.text.addElement(
        text.P(text="La coopérative livre les villages isolés chaque semaine.")
    )
    path = folder / "entretien-epicerie.odt"
    document.save(str(path))
    return path
