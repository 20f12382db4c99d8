"""Helpers shared by the format tests (imported as a plain module)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def optional_import(name: str) -> ModuleType:
    """Import an optional test dependency: skip without it, but fail when CI=true."""
    if IN_CI:
        return importlib.import_module(name)
    return pytest.importorskip(name)
