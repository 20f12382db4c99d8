"""How good the classification of actors is: its rules measured on a labelled sample.

The rules are those of :mod:`maillage.io.classify` (data of the ``legal_forms`` and
``categories`` taxonomies); the sample is a CSV of real actors with the world and
category a person gave them (``tests/data/classification/actors.csv`` and its README).
"""

from __future__ import annotations

from pathlib import Path

from maillage.io.classify import Evaluation, evaluate, read_labelled

__all__ = ["evaluate_classification"]


def evaluate_classification(*, path: str | Path) -> dict[str, Evaluation]:
    """Classify every actor of the sample at ``path`` as an import does and count
    against its labels: per part (``all``, ``dev``, ``test``, ``stratum:<name>``), the
    precision of worlds and categories on the labelled actors and their coverage.
    Raises InvalidInput for a label that is not a taxonomy code, OSError for a file
    that cannot be read."""
    return evaluate(read_labelled(path))
