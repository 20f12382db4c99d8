"""The public portal: ``create_app(settings)`` (see :mod:`maillage.web.app`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from maillage.settings import Settings


def create_app(settings: Settings, **kwargs: Any) -> FastAPI:
    """Build the portal application (imports FastAPI only when called)."""
    from maillage.web.app import create_app as build

    return build(settings, **kwargs)


__all__ = ["create_app"]
