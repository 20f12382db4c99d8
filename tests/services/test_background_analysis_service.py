"""The background analysis as a service: one deadline per request, not per step; answers
kept on disk in safe formats (JSON and NumPy without pickle), a damaged file computed
again; on both engines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from maillage.services.analysis import model_store
from maillage.services.portal.providers import Analysis, Pending, deadline
from web import demo


def test_a_request_waits_once_for_all_its_questions(db: sa.Engine) -> None:
    built = demo.build(db)
    actor_id = built.named["emmaus"]
    analysis = Analysis(wait=3600)  # a question alone would wait an hour
    with analysis.held():  # nothing can be computed: every question must wait
        with deadline(0), pytest.raises(Pending):  # the request's time is spent
            analysis.territory_measures(db, "DEP:59", "fr")
        with deadline(0):  # every later question of the same request: at once too
            for ask in (analysis.actor_measures, analysis.actor_recommendations):
                with pytest.raises(Pending):
                    ask(db, actor_id, "fr")
            with pytest.raises(Pending):
                analysis.territory_recommendations(db, "DEP:59", "fr")
    done = analysis.wait_done(db)
    assert done.done.is_set() and done.error is None
    with deadline(0):  # computed in the background: answered without waiting
        assert analysis.territory_recommendations(db, "DEP:59", "fr")
        assert analysis.computations == 1
    analysis.close()


def test_answers_are_kept_in_safe_formats_and_a_damaged_file_is_computed_again(
    db: sa.Engine, model_cache: Path
) -> None:
    demo.build(db)
    first = Analysis(store=model_store())
    first.wait_done(db)
    first.close()
    folder = model_cache / "analysis"
    answers = list(folder.glob("*.json.gz"))
    measures = list(folder.glob("*.npz"))
    assert len(answers) == 1 and len(measures) == 1
    with gzip.open(answers[0], "rt", encoding="utf-8") as f:
        stored = json.load(f)
    kinds = {key[0] for key, _, _ in stored["answers"]}
    assert {"tmeasures", "territory", "brokers", "alliances"} <= kinds
    with np.load(measures[0], allow_pickle=False) as z:  # no object arrays: no pickle
        assert len(z["ids"]) == 40 and z["roles"].shape == (40, 5)
    assert list(model_cache.glob("*.npz"))  # the fitted model, beside, not pruned

    answers[0].write_bytes(b"not gzip")  # a damaged file: computed again, replaced
    again = Analysis(store=model_store())
    snap = again.wait_done(db)
    assert snap.error is None and not snap.restored and again.computations == 1
    with gzip.open(answers[0], "rt", encoding="utf-8") as f:
        assert json.load(f)["version"] == snap.version
    again.close()
    restarted = Analysis(store=model_store())
    assert restarted.wait_done(db).restored and restarted.computations == 0
    restarted.close()
