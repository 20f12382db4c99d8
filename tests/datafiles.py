"""Where the real open-data files of the tests live: the one owner of that location.

The files ship with the tests in ``tests/data/<source>/`` (each source folder has a
SOURCE.md: origin, licence, attribution, what was trimmed); files above 100 kB are
stored gzipped (``<name>.gz``). The ANR co-partnership network is the package's own copy
(``maillage/data/networks/anr-partenariats``). The readers take the files as their
publishers wrote them, so ``materialise`` writes a plain copy of each under its
published name, in the same folders (``networks/anr-partenariats/`` for ANR); the
``data_dir`` fixture (tests/conftest.py) does it once per test process.
"""

from __future__ import annotations

import gzip
import shutil
from importlib import resources
from pathlib import Path

DATA = Path(__file__).parent / "data"
ANR = "networks/anr-partenariats"


def _anr_files() -> dict[str, bytes]:
    shipped = resources.files("maillage").joinpath("data", *ANR.split("/"))
    return {
        f"{ANR}/{name}": gzip.decompress(shipped.joinpath(f"{name}.gz").read_bytes())
        for name in ("actors.csv", "links.csv")
    }


def materialise(target: Path) -> Path:
    """Write every test data file, plain, under ``target``; return ``target``."""
    for path in DATA.rglob("*"):
        if path.is_dir() or path.suffix == ".md":
            continue
        relative = path.relative_to(DATA)
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".gz":
            out.with_suffix("").write_bytes(gzip.decompress(path.read_bytes()))
        else:
            shutil.copyfile(path, out)
    for relative, content in _anr_files().items():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_bytes(content)
    return target
