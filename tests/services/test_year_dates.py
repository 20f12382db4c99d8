"""Year-only dates stay years: the ANR network dates its partnerships by a year alone
(``start_year`` 2011); the portal shows 2011 and the exports write 2011, read back as
a year (not 2011-01-01)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from builders import anr_sample
from maillage.io.csvfile import parse_links_csv
from maillage.io.jsonfile import parse_json
from maillage.io.xlsx import parse_xlsx
from maillage.services.exports import export_file
from maillage.services.filters import Filters
from maillage.services.importing import import_file
from maillage.services.portal.pages import actor_page, link_page
from maillage.services.portal.table import link_table
from maillage.storage.tables import link


@pytest.fixture
def anr(db: sa.Engine, data_dir: Path, tmp_path: Path) -> sa.Engine:
    report = import_file(
        db=db, fmt="network", path=anr_sample(data_dir, tmp_path / "anr"), source="anr-partenariats"
    )
    assert report.status == "done"
    return db


def test_a_year_alone_is_stored_with_its_precision_and_shown_as_the_year(anr: sa.Engine) -> None:
    with anr.connect() as conn:
        rows = conn.execute(sa.select(link.c.id, link.c.start_date, link.c.extra)).all()
    assert len(rows) == LINKS
    assert all(r.extra.get("start_date_precision") == "year" for r in rows)
    first = min(rows, key=lambda r: r.id)
    assert first.start_date == dt.date(2020, 1, 1)  # stored as 1 January, for sorting
    page = link_page(db=anr, link_id=first.id)
    assert page["start_date"] == "2020" and page["end_date"] is None
    source = page["source_actor"]["id"]
    shown = {item["start_date"] for item in actor_page(db=anr, actor_id=source)["links"]}
    assert shown and all(len(year) == 4 for year in shown)
    table = link_table(db=anr, filters=Filters(), page=1, per_page=5)
    assert table["rows"][0]["start_date"] == "2021"  # newest first


LINKS = 79  # links between the first 400 ANR actors, dated 2010 to 2021


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_exports_write_the_year_and_read_it_back_as_a_year(
    anr: sa.Engine, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"view.{fmt}"
    export_file(db=anr, fmt=fmt, path=path)
    if fmt == "csv":
        text = (tmp_path / "view-liens.csv").read_text("utf-8")
        assert ",2011," in text and "2011-01-01" not in text
        parsed = parse_links_csv(text).links
    elif fmt == "xlsx":
        parsed = parse_xlsx(path.read_bytes()).links
    else:
        text = path.read_text("utf-8")
        assert '"start_date": "2011"' in text or '"start_date":"2011"' in text
        assert "2011-01-01" not in text
        parsed = parse_json(text).links
    assert len(parsed) == LINKS
    assert all(r.extra.get("start_date_precision") == "year" for r in parsed)
    years = sorted({r.start_date.year for r in parsed if r.start_date})
    assert (years[0], years[-1]) == (2010, 2021)
    assert all(r.start_date == dt.date(r.start_date.year, 1, 1) for r in parsed if r.start_date)
