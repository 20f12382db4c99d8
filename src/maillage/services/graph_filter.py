"""The part of the map an analysis looks at, as the edges (CLI, portal) build it.

:class:`GraphFilter` is the input of :func:`maillage.services.analysis.analyse_map`; it is
re-exported here so that the CLI depends on services only (the import-linter contracts
in ``pyproject.toml`` forbid ``maillage.analysis`` from the edges).
"""

from __future__ import annotations

from maillage.analysis.filter import GraphFilter, parse_period

__all__ = ["GraphFilter", "parse_period"]
