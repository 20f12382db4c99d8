"""Compressed files are imported as the file they hold, through the one dispatch."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from maillage.io.unreadable import UnreadableFile
from maillage.services import importing

LIEUX = "20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json.gz"


SHIPPED = Path(__file__).parents[1] / "data" / "mediation-numerique" / "cartographie-nationale"


def test_a_gzipped_and_a_zipped_lieux_file_import_the_same_places(
    sqlite_db: sa.Engine, tmp_path: Path
) -> None:
    gz = SHIPPED / LIEUX  # as published: gzipped JSON
    first = importing.import_file(db=sqlite_db, fmt="lieux", path=gz, source="charente")
    assert first.status == "done" and first.created > 100
    # the same JSON inside a zip, beside a README: read as the one data file it holds
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("LISEZMOI.txt", "export du 11 juillet")
        zipped.writestr("lieux.json", gzip.decompress(gz.read_bytes()))
    again = importing.import_file(db=sqlite_db, fmt="lieux", path=archive, source="charente")
    assert (again.created, again.unchanged) == (0, first.created)


def test_a_zip_of_several_data_files_asks_which(sqlite_db: sa.Engine, tmp_path: Path) -> None:
    archive = tmp_path / "deux.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a.json", "[]")
        zipped.writestr("b.json", "[]")
    with pytest.raises(UnreadableFile, match="--sheet"):
        importing.import_file(db=sqlite_db, fmt="lieux", path=archive)
