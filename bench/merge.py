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


def one_size(rows: int, folder: Path) -> dict[str, float]:
    """Import ``rows`` actors under source ``a``, then the same file under ``b``."""
    url = fresh_db(folder, f"merge{rows}.sqlite")
    csv_path = folder / f"acteurs{rows}.csv"
    write_csv(csv_path, rows, communes(url))
    start = time.process_time()
    first = run_import("actors", csv_path, Options(url, "a", (), False, False, None, True))
    created = time.process_time() - start
    assert (first.status, first.created) == ("done", rows), first.to_dict()
    start = time.process_time()
    second = run_import("actors", csv_path, Options(url, "b", (), False, False, None, True))
    merged = time.process_time() - start
    assert (second.status, second.merged) == ("done", rows), second.to_dict()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
    return {"rows": rows, "create_s": created, "merge_s": merged, "peak_mib": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,30000,100000,300000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, Path(args.folder))))
        return
    print(f"{'rows':>8} {'create s':>9} {'merge s':>8} {'merge µs/row':>13} "
          f"{'merge/create':>13} {'peak MiB':>9} {'KiB/row':>8}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for size in map(int, args.sizes.split(",")):
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(size), "--folder", tmp],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{size:>8} {r['create_s']:>9.2f} {r['merge_s']:>8.2f} "
                  f"{r['merge_s'] / size * 1e6:>13.0f} {r['merge_s'] / r['create_s']:>12.2f}x "
                  f"{r['peak_mib']:>9.0f} {r['peak_mib'] * 1024 / size:>8.1f}")  # fmt: skip
            Path(tmp, f"merge{size}.sqlite").unlink()
    print("target: 300k rows merged in under 60 s and 1.5 GB; µs/row and KiB/row flat")


if __name__ == "__main__":
    main()
