"""Merge path: a file imported under one source, then the same file under another.

The second import finds every actor by its SIRET and merges into it: the stored
actor keeps its values, gains the new source's key, themes and what it lacked, and
every merge is audited with the state before and after. This bench times that
second import at several sizes and reports time and peak memory per row, which
must stay flat (linear time, bounded memory); the reference is the first import
of the same file (the bulk create path) in the same run.

Time is CPU time of this process (``time.process_time``: the machine is shared);
peak memory is the process's maximum resident set size, measured in a fresh
child process per size so that one size's peak does not hide the next.

    .venv/bin/python bench/merge.py [--sizes 10000,30000,100000,300000]
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from maillage.cli.imports import Options, run_import

sys.path.insert(0, str(Path(__file__).parent))
# The generated file and fresh databases of the import bench (a module named "import").
_import_bench = importlib.import_module("import")
communes, fresh_db, write_csv = (
    _import_bench.communes, _import_bench.fresh_db, _import_bench.write_csv
)  # fmt: skip


def phase(name: str, rows: int, folder: Path) -> dict[str, float]:
    """One import of the ``rows``-actor file: ``create`` (source ``a``, into a fresh
    database) or ``merge`` (the same file again, source ``b``)."""
    url = f"sqlite:///{folder / f'merge{rows}.sqlite'}"
    csv_path = folder / f"acteurs{rows}.csv"
    if name == "create":
        url = fresh_db(folder, f"merge{rows}.sqlite")
        write_csv(csv_path, rows, communes(url))
    source = "a" if name == "create" else "b"
    start = time.process_time()
    report = run_import("actors", csv_path, Options(url, source, (), False, False, None, True))
    elapsed = time.process_time() - start
    count = report.created if name == "create" else report.merged
    assert (report.status, count) == ("done", rows), report.to_dict()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
    return {"seconds": elapsed, "peak_mib": peak}


def run_phase(name: str, rows: int, folder: str) -> dict[str, float]:
    """:func:`phase` in a fresh process, so that its peak memory is its own."""
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--one", str(rows), "--folder", folder],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,30000,100000,300000")
    parser.add_argument("--phase", help=argparse.SUPPRESS)  # child process
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.one, Path(args.folder))))
        return
    print(f"{'rows':>8} {'create s':>9} {'merge s':>8} {'merge µs/row':>13} "
          f"{'merge/create':>13} {'create MiB':>11} {'merge MiB':>10} {'KiB/row':>8}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for size in map(int, args.sizes.split(",")):
            created = run_phase("create", size, tmp)
            merged = run_phase("merge", size, tmp)
            print(f"{size:>8} {created['seconds']:>9.2f} {merged['seconds']:>8.2f} "
                  f"{merged['seconds'] / size * 1e6:>13.0f} "
                  f"{merged['seconds'] / created['seconds']:>12.2f}x "
                  f"{created['peak_mib']:>11.0f} {merged['peak_mib']:>10.0f} "
                  f"{merged['peak_mib'] * 1024 / size:>8.1f}")  # fmt: skip
            Path(tmp, f"merge{size}.sqlite").unlink()
    print("merge: the second import of the same file under another source (every actor")
    print("merged into by SIRET); create: the first (the bulk create path), as reference.")
    print("target: 300k rows merged in under 60 s and 1.5 GB; µs/row and KiB/row flat")


if __name__ == "__main__":
    main()
