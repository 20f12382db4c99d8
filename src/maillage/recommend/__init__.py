"""Alliance recommendations: candidates, features, model, reasons, evaluation.

Takes an :class:`~maillage.analysis.graph.ActorGraph` (or plain records for
:func:`evaluate`), never a database session.
"""

from maillage.recommend.evaluation import evaluate, evaluate_graph
from maillage.recommend.model import LinkModel, fit_model
from maillage.recommend.recommendation import (
    MODES,
    prepare,
    recommend_for_actor,
    recommend_for_territory,
)

__all__ = [
    "MODES",
    "LinkModel",
    "evaluate",
    "evaluate_graph",
    "fit_model",
    "prepare",
    "recommend_for_actor",
    "recommend_for_territory",
]
