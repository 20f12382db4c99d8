"""Settings built once at the edge (CLI flags, environment), never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE = "maillage.sqlite"
LOG_FORMATS = ("text", "json")  # of the server's logs: readable lines, or one JSON per line


def default_database_url() -> str:
    """The database URL from ``MAILLAGE_DATABASE_URL`` or a SQLite file in the cwd."""
    url = os.environ.get("MAILLAGE_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{Path(DEFAULT_DATABASE).resolve()}"


def read_only_requested() -> bool:
    """Whether ``MAILLAGE_READ_ONLY`` asks to open the database read-only (``1``, ``true``,
    ``yes``, ``on``): a SQLite file is then never written, whatever its permissions."""
    return os.environ.get("MAILLAGE_READ_ONLY", "").strip().lower() in ("1", "true", "yes", "on")


def model_cache_dir() -> Path | None:
    """Where fitted recommendation models are kept between runs: ``MAILLAGE_CACHE_DIR``
    (set but empty: nowhere), else ``$XDG_CACHE_HOME/maillage/models``, else
    ``~/.cache/maillage/models``."""
    chosen = os.environ.get("MAILLAGE_CACHE_DIR")
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "maillage" / "models"


def ecoindex_networks_requested() -> tuple[str, ...]:
    """The networks ``MAILLAGE_ECOINDEX_ALLOWED_NETWORKS`` allows an EcoIndex measurement
    to reach although they are not public (comma-separated: ``10.0.0.0/8,127.0.0.1``)."""
    text = os.environ.get("MAILLAGE_ECOINDEX_ALLOWED_NETWORKS", "")
    return tuple(part.strip() for part in text.split(",") if part.strip())


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and plain file paths as database URLs."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    return url


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the application needs to start."""

    # Left out of repr: the URL may hold a password.
    database_url: str = field(default_factory=default_database_url, repr=False)
    language: str = "fr"
    tile_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    read_only: bool = field(default_factory=read_only_requested)
    # Serving behind a reverse proxy (see maillage.web.deployment and README "serve").
    root_path: str = ""  # the path prefix the portal is served under: "/maillage"
    public_url: str | None = None  # the address users reach: absolute links use it
    trusted_hosts: tuple[str, ...] = ()  # empty: localhost, 127.0.0.1, host, public host
    log_format: str = "text"  # or "json": one JSON object per line
    export_max_rows: int = 100_000  # rows of one public export; 0: no cap
    export_rate_limit: str = "30/minute"  # per client address (limits' notation); "": none
    # Where the running version's source code is (AGPL-3.0 section 13): a footer link.
    source_url: str | None = None
    # A BAN-compatible address geocoder (https://api-adresse.data.gouv.fr/search/): street
    # addresses in the citizen's search. None: postcodes, communes and INSEE codes only.
    geocoder_url: str | None = None
    # Accounts (see maillage.services.accounts and maillage.web.security).
    # Signs the session cookies; None: a random key per process (sessions end with it).
    secret_key: str | None = field(default=None, repr=False)
    session_max_age: int = 14 * 24 * 3600  # seconds a sign-in lasts
    login_rate_limit: str = "10/minute;100/hour"  # sign-in attempts per client address
    contribution_rate_limit: str = "60/hour;500/day"  # writes per account (or address)
    mail_rate_limit: str = "5/hour;20/day"  # e-mailed links asked for per client address
    ecoindex_rate_limit: str = "10/hour;30/day"  # EcoIndex measurements per account
    login_max_failures: int = 5  # wrong passwords in a row before the account is locked
    login_lockout_minutes: int = 15
    # E-mail (verification, password reset, notifications); no host: nothing is sent.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str = "maillage <no-reply@localhost>"
    smtp_security: str = "starttls"  # starttls | ssl | none
    # Retention periods (the privacy page states them; `maillage user purge` applies them).
    verify_token_hours: int = 48  # an e-mail verification link
    reset_token_minutes: int = 60  # a password reset link
    unverified_account_days: int = 30  # an account never verified is then deleted
    token_retention_days: int = 90  # expired or revoked API tokens, used links, then erased
    log_retention_days: int = 365  # server access logs (addresses), kept by the operator
    # Contributions (maillage.services.proposals, maillage.services.votes)
    vote_threshold: int = 0  # votes for (or against) that decide a proposal; 0: moderators only
    evidence_max_bytes: int = 5 * 1024 * 1024  # a document given as evidence
    # EcoIndex measurements (maillage.services.ecoindex) load public http(s) addresses only;
    # these networks (CIDR) may be reached although private, loopback or link-local.
    ecoindex_allowed_networks: tuple[str, ...] = field(default_factory=ecoindex_networks_requested)
