"""maillage: map, analyse and grow the ecosystem of actors of French territories."""

__version__ = "0.1.0"
