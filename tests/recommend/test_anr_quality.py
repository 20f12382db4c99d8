"""Quality on real data: ANR project partnerships, temporal split at 2019 (issue 4).

The network (20,427 actors, 121,675 ties: the package's copy) is imported through the CLI
as a user would, then ``maillage recommend evaluate`` trains on the ties formed before
2019 and ranks the new ones. That fit takes about a minute, so it is made once, by the
module's fixture, for every test here; the module runs in ``make test-extended``
(``extended`` marker; CI leaves it out to stay under ten minutes), which hands a whole
module to one xdist worker. The fast selection and ranking tests stay in ``make test``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from maillage.cli.main import cli
from maillage.recommend.model import CLASSICS

pytestmark = pytest.mark.extended
ANR = "networks/anr-partenariats"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def anr(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Exit codes of the four commands, and the evaluation's last line (one fit)."""
    folder = data_dir / ANR
    work = tmp_path_factory.mktemp("anr")
    url = f"sqlite:///{work / 'anr.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MAILLAGE_CACHE_DIR", str(work / "model-cache"))
        codes = [
            run("db", "upgrade", "--db", url)[0],
            run("import", "actors", str(folder / "actors.csv"), "--db", url, "--json")[0],
            run("import", "links", str(folder / "links.csv"), "--db", url, "--json")[0],
        ]
        code, out = run("recommend", "evaluate", "--db", url, "--split-year", "2019",
                        "--seed", "0", "--json")  # fmt: skip
    yield {"codes": [*codes, code], "result": json.loads(out.strip().splitlines()[-1])}


def test_anr_imported_through_the_cli_splits_at_2019(anr: dict[str, Any]) -> None:
    assert anr["codes"] == [0, 0, 0, 0]
    result = anr["result"]
    assert (result["train_links"], result["test_links"]) == (90_629, 10_009)


def test_anr_split_2019_auc(anr: dict[str, Any]) -> None:
    result = anr["result"]
    assert result["adamic_adar"]["auc"] == pytest.approx(0.751, abs=0.005)
    assert result["preferential_attachment"]["auc"] == pytest.approx(0.900, abs=0.005)
    assert result["model"]["auc"] >= 0.96  # 0.9635 reached: a regression floor
    assert result["model"]["mrr"] > result["adamic_adar"]["mrr"]


# Figures reached through the CLI import (seed 0): precision@L 0.0972 against 0.0575 for
# Adamic-Adar (1.69x), AUC 0.9635 (Adamic-Adar 0.752, preferential attachment 0.900).
# Why the 2x target is not met (measured, seed 0, on records built from the CSV files with
# their département): the model reaches precision@L 0.0997
# against 0.0575 for Adamic-Adar (1.73x), AUC 0.963, with Leiden stopped after ten
# passes (a cost bound: on a map without clear communities, passes until stable took
# 70 s of a 100k-actor fit); passes until stable give 0.102 (1.78x), two passes 0.099.
# It was 0.088 (1.53x) with three snapshots and no affinity features. On an inner
# split (ties before 2019 only, split 2016) five snapshots give 1.47x, three 1.46x. Measured with a scratch version of the new
# features: five snapshots alone give 0.093, with the words shared by the names 0.095,
# with Leiden communities too 0.101, with the partners' recent activity 0.099-0.103.
# Tried without gain: spectral embeddings of the normalised adjacency (32 or 64
# eigenvectors, dot products at powers 1-3 and cosine), degree-normalised L3 paths,
# communities of the last four years' ties, territory and name profiles of the
# partners, snapshot-normalised degree and activity, 120 trees, 20 negatives per
# positive; six snapshots (the sixth with one year of history) fall back to 0.092.
# The ceiling is near: trees trained on the test window itself (labels 2019-2022, an
# oracle no honest model has) reach 0.118 (2.06x) with the former features. Knowing
# each actor's number of new ties after 2019 (another oracle) would lift the model
# further, but that number is hardly predictable from the past (a node-level Poisson
# model ranks actors by it with Spearman 0.43, and lowers precision@L when added).
# Screened later on the same training rows (LightGBM as a stand-in learner, precision of
# the near pool, two seeds): the learner is not the limit (LightGBM with 15 to 63 leaves
# and 200 to 600 trees, 10 or 30 negatives per positive: 0.097-0.100; six bagged fits
# 0.100; rank objectives 0.05-0.06); nor are these features, none above 0.1016 against
# 0.0998: same city, local clustering, paths whose two ties share a year, the strongest
# path, each end's share of recent ties that closed a triangle, ties of a partner
# whose name resembles the other end (renamed organisations), the recent activity of the
# common partners, each end's rank among the other's candidates, each end's mean tie
# strength. Far pairs never reach the top L (among the 6,000 most tied actors, 16.7 M
# pairs hold 2,493 test ties, none ranked in). Snapshots with one- or two-year label
# windows closer to 2019 lower it (0.092-0.096): the label horizon must match.
# Uniform near negatives instead of drawn by paths give 0.090-0.094, negatives drawn
# by the square of the common partners 0.095-0.099, a penalty on each end's rank in the
# final ranking at most 0.1015. Later, also without gain: each end's share of partners in
# the other end's world (0.101), years since the pair first came within two steps (0.100),
# for the bridging precision a model trained on cross-world pairs only (0.024-0.027 against
# 0.028 for Adamic-Adar: 31 to 36 hits out of 1,293, within noise). Why 2x needs the
# future: 1,604 of the model's top L pairs have an end that forms no tie at all from 2019
# on; an oracle that knows those actors and drops their pairs reaches only 0.112 (1.94x),
# Adamic-Adar with the same oracle 0.097.
def test_anr_precision_at_l_holds_the_ratio_reached(anr: dict[str, Any]) -> None:
    """Issue 4's target is twice Adamic-Adar's precision@L, not reached: the ratio reached
    (1.69x, see above) is a regression floor, to be raised when the model gains."""
    model, adamic_adar = anr["result"]["model"], anr["result"]["adamic_adar"]
    ratio = model["precision_at_l"] / adamic_adar["precision_at_l"]
    assert ratio >= 1.65, f"precision@L {model['precision_at_l']:.4f}: {ratio:.2f}x Adamic-Adar"


def test_anr_bridging_mode_does_not_lose_to_adamic_adar(anr: dict[str, Any]) -> None:
    """Issue 24: the bridging mode's cross-world precision@L is not below Adamic-Adar's
    (its form is Adamic-Adar unless a form beats it on the inner split beyond chance;
    1,293 cross-world test ties) and each actor's top 10 holds a real new partner at
    least as often as with the best classic."""
    result = anr["result"]
    bridging = result["bridging"]
    assert bridging["model_precision_at_l"] >= bridging["adamic_adar_precision_at_l"]
    best = max(result[name]["hits_at_10"] for name in CLASSICS)
    assert result["model"]["hits_at_10"] >= best
