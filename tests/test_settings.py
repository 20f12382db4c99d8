"""Settings: what a log line or a traceback showing them must not reveal."""

from __future__ import annotations

from maillage.settings import Settings


def test_the_settings_repr_holds_no_database_password() -> None:
    settings = Settings(database_url="postgresql://maillage:s3cret@db.example.org/carte")
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings)
    assert settings.database_url.endswith("/carte")  # the value itself is kept
