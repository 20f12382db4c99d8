"""SQLAlchemy Core tables: the whole domain model of DESIGN.md section 5.

One schema for SQLite and PostgreSQL. Editable entities share the same
bookkeeping columns (``version`` for optimistic concurrency, ``created_at``,
``updated_at``, soft-delete ``deleted_at``); their history lives in ``change``.
The search index tables are dialect-specific and created by the migration
(see :mod:`maillage.storage.search`).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Timestamp = sa.DateTime(timezone=True)
# An actor that counts: not deleted, not merged into another (SQL, for partial indexes).
LIVE_ACTOR = "deleted_at IS NULL AND merged_into_id IS NULL"


def _bookkeeping() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("deleted_at", Timestamp, nullable=True),
    ]


def _provenance() -> list[sa.Column[object]]:
    return [
        sa.Column("source", sa.String(200)),
        sa.Column("source_ref", sa.String(200)),
    ]


# --- taxonomies ------------------------------------------------------------

taxonomy_term = sa.Table(
    "taxonomy_term",
    metadata,
    sa.Column("taxonomy", sa.String(50), primary_key=True),
    sa.Column("code", sa.String(100), primary_key=True),
    sa.Column("label_fr", sa.String(300), nullable=False),
    sa.Column("label_en", sa.String(300), nullable=False),
    sa.Column("data", sa.JSON, nullable=False, default=dict),
)

hypothesis = sa.Table(
    "hypothesis",
    metadata,
    sa.Column("code", sa.String(20), primary_key=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title_fr", sa.Text, nullable=False),
    sa.Column("title_en", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
)

# --- geography -------------------------------------------------------------

territory = sa.Table(
    "territory",
    metadata,
    sa.Column("code", sa.String(20), primary_key=True),  # REG:84, DEP:2A, EPCI:..., COM:75056
    sa.Column("level", sa.String(30), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_folded", sa.String(200), nullable=False, index=True),
    sa.Column("parent_code", sa.String(20), index=True),
    sa.Column("population", sa.Integer),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("geometry", sa.JSON(none_as_null=True)),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
    sa.Column("search_tokens", sa.Text),  # the name's full-text tokens (migration 0002)
)

territory_postcode = sa.Table(
    "territory_postcode",
    metadata,
    sa.Column("postcode", sa.String(5), primary_key=True),
    sa.Column("commune_code", sa.String(20), primary_key=True),
)

territory_member = sa.Table(
    "territory_member",
    metadata,
    sa.Column("parent_code", sa.String(20), primary_key=True),  # EPCI:...
    sa.Column("member_code", sa.String(20), primary_key=True, index=True),  # COM:...
)

indicator = sa.Table(
    "indicator",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("territory_code", sa.String(20), nullable=False, index=True),
    sa.Column("key", sa.String(100), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("year", sa.Integer),
    sa.Column("unit", sa.String(50)),
    *_provenance(),
    *_bookkeeping(),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

maturity = sa.Table(
    "maturity",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("territory_code", sa.String(20), nullable=False, index=True),
    sa.Column("dimension", sa.String(100), nullable=False),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("date", sa.Date),
    *_provenance(),
    *_bookkeeping(),
    sa.CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

# --- actors and links --------------------------------------------------------

actor = sa.Table(
    "actor",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("acronym", sa.String(100)),
    sa.Column("description", sa.Text),
    sa.Column("world", sa.String(20), index=True),
    sa.Column("category", sa.String(50)),
    sa.Column("digital_profile", sa.String(20), nullable=False, server_default="unknown"),
    sa.Column("siren", sa.String(9), index=True),
    sa.Column("siret", sa.String(14), index=True),
    sa.Column("rna", sa.String(10), index=True),
    sa.Column("legal_form", sa.String(4)),
    sa.Column("naf", sa.String(10)),
    sa.Column("address", sa.String(500)),
    sa.Column("postcode", sa.String(5)),
    sa.Column("commune_code", sa.String(5), index=True),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("website", sa.String(500)),
    sa.Column("email", sa.String(300)),
    sa.Column("phone", sa.String(50)),
    sa.Column("quality", sa.Float),
    sa.Column("classification_rule", sa.String(200)),
    sa.Column("merged_into_id", sa.Integer, sa.ForeignKey("actor.id")),
    *_provenance(),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
    *_bookkeeping(),
    # The SIRET or RNA of the structure holding a place, when a record gives its
    # holder's number rather than its own (see migration 0005).
    sa.Column("holder_siret", sa.String(14)),
    sa.Column("holder_rna", sa.String(10)),
    # A SIRET, an RNA number, is held once among live, unmerged actors (a SIREN is
    # shared by the establishments of one legal unit).
    *(
        sa.Index(
            f"uq_actor_{scheme}_live",
            scheme,
            unique=True,
            sqlite_where=sa.text(f"{scheme} IS NOT NULL AND {LIVE_ACTOR}"),
            postgresql_where=sa.text(f"{scheme} IS NOT NULL AND {LIVE_ACTOR}"),
        )
        for scheme in ("siret", "rna")
    ),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

actor_identifier = sa.Table(
    "actor_identifier",
    metadata,
    sa.Column("actor_id", sa.Integer, sa.ForeignKey("actor.id"), primary_key=True),
    # "scheme:value", e.g. "source:anr:1234", "alias:42", "finess:590000000"
    sa.Column("identifier", sa.String(300), primary_key=True, index=True, unique=True),
)

actor_theme = sa.Table(
    "actor_theme",
    metadata,
    sa.Column("actor_id", sa.Integer, sa.ForeignKey("actor.id"), primary_key=True),
    sa.Column("theme", sa.String(100), primary_key=True, index=True),
)

actor_sdg = sa.Table(
    "actor_sdg",
    metadata,
    sa.Column("actor_id", sa.Integer, sa.ForeignKey("actor.id"), primary_key=True),
    sa.Column("sdg", sa.Integer, primary_key=True),
)

actor_territory = sa.Table(
    "actor_territory",
    metadata,
    sa.Column("actor_id", sa.Integer, sa.ForeignKey("actor.id"), primary_key=True),
    sa.Column("territory_code", sa.String(20), primary_key=True, index=True),
)

link = sa.Table(
    "link",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("actor.id"), nullable=False, index=True),
    sa.Column("target_id", sa.Integer, sa.ForeignKey("actor.id"), nullable=False, index=True),
    sa.Column("directed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("kind", sa.String(50), nullable=False, index=True),
    sa.Column("form", sa.String(50)),
    sa.Column("subtype", sa.String(50)),
    sa.Column("weight", sa.Float),
    sa.Column("amount", sa.Float),
    sa.Column("status", sa.String(20), nullable=False, server_default="active"),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("territory_code", sa.String(20)),
    sa.Column("purpose", sa.Text),
    sa.Column("evidence", sa.Text),
    sa.Column("evidence_url", sa.String(1000)),
    sa.Column("confidence", sa.Float),
    *_provenance(),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
    *_bookkeeping(),
    sa.CheckConstraint("source_id <> target_id", name="no_self_link"),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

link_theme = sa.Table(
    "link_theme",
    metadata,
    sa.Column("link_id", sa.Integer, sa.ForeignKey("link.id"), primary_key=True),
    sa.Column("theme", sa.String(100), primary_key=True),
)

# --- needs, solutions --------------------------------------------------------

need = sa.Table(
    "need",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("territory_code", sa.String(20), nullable=False, index=True),
    sa.Column("theme", sa.String(100), nullable=False, index=True),
    sa.Column("publics", sa.JSON, nullable=False, default=list),
    sa.Column("description", sa.Text),
    sa.Column("severity", sa.Integer),
    sa.Column("status", sa.String(20), nullable=False, server_default="observed"),
    sa.Column("date", sa.Date),
    sa.Column("rule", sa.JSON(none_as_null=True)),  # computed needs: the rule and its parameters
    *_provenance(),
    *_bookkeeping(),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

solution = sa.Table(
    "solution",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("modality", sa.String(20)),  # digital | proximity | hybrid
    sa.Column("stage", sa.String(20)),  # initiative | invention | innovation | replication
    sa.Column("website", sa.String(500)),
    sa.Column("kind", sa.String(20)),  # platform | application | service | device
    sa.Column("licence", sa.String(100)),
    sa.Column("open_source", sa.Boolean),
    sa.Column("open_data", sa.Boolean),
    sa.Column("resources", sa.JSON(none_as_null=True)),  # [{title, url}]
    *_provenance(),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
    *_bookkeeping(),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

solution_carrier = sa.Table(
    "solution_carrier",
    metadata,
    sa.Column("solution_id", sa.Integer, sa.ForeignKey("solution.id"), primary_key=True),
    sa.Column("actor_id", sa.Integer, sa.ForeignKey("actor.id"), primary_key=True, index=True),
    sa.Column("role", sa.String(50), nullable=False, server_default="carrier"),
)

solution_territory = sa.Table(
    "solution_territory",
    metadata,
    sa.Column("solution_id", sa.Integer, sa.ForeignKey("solution.id"), primary_key=True),
    sa.Column("territory_code", sa.String(20), primary_key=True, index=True),
)

solution_theme = sa.Table(
    "solution_theme",
    metadata,
    sa.Column("solution_id", sa.Integer, sa.ForeignKey("solution.id"), primary_key=True),
    sa.Column("theme", sa.String(100), primary_key=True),
)

solution_need = sa.Table(
    "solution_need",
    metadata,
    sa.Column("solution_id", sa.Integer, sa.ForeignKey("solution.id"), primary_key=True),
    sa.Column("need_id", sa.Integer, sa.ForeignKey("need.id"), primary_key=True),
)

# --- resource centre and research coding ------------------------------------

resource = sa.Table(
    "resource",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("type", sa.String(50), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("summary", sa.Text),
    sa.Column("body", sa.Text),
    sa.Column("date", sa.Date),
    sa.Column("authors", sa.JSON, nullable=False, default=list),
    sa.Column("licence", sa.String(100)),
    sa.Column("url", sa.String(1000)),
    # A webinar's replay, its speakers; a transcript's speaker turns [{speaker, text}].
    sa.Column("replay_url", sa.String(1000)),
    sa.Column("speakers", sa.JSON, nullable=False, default=list),
    sa.Column("transcript", sa.JSON, nullable=False, default=list),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),  # the file's other metadata
    *_provenance(),
    *_bookkeeping(),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

resource_sdg = sa.Table(
    "resource_sdg",
    metadata,
    sa.Column("resource_id", sa.Integer, sa.ForeignKey("resource.id"), primary_key=True),
    sa.Column("sdg", sa.Integer, primary_key=True),
)

resource_link = sa.Table(
    "resource_link",
    metadata,
    sa.Column("resource_id", sa.Integer, sa.ForeignKey("resource.id"), primary_key=True),
    sa.Column("link_id", sa.Integer, sa.ForeignKey("link.id"), primary_key=True),
)

# Actors found named in a resource's text, proposed as resource_actor rows.
resource_mention = sa.Table(
    "resource_mention",
    metadata,
    sa.Column("resource_id", sa.Integer, sa.ForeignKey("resource.id"), primary_key=True),
    sa.Column("actor_id", sa.Integer, sa.ForeignKey("actor.id"), primary_key=True),
    sa.Column("surface", sa.String(500), nullable=False),  # the words as written
    sa.Column("start", sa.Integer, nullable=False),  # first occurrence in the searchable text
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # proposed | accepted | rejected
)

resource_theme = sa.Table(
    "resource_theme",
    metadata,
    sa.Column("resource_id", sa.Integer, sa.ForeignKey("resource.id"), primary_key=True),
    sa.Column("theme", sa.String(100), primary_key=True),
)

resource_territory = sa.Table(
    "resource_territory",
    metadata,
    sa.Column("resource_id", sa.Integer, sa.ForeignKey("resource.id"), primary_key=True),
    sa.Column("territory_code", sa.String(20), primary_key=True),
)

resource_actor = sa.Table(
    "resource_actor",
    metadata,
    sa.Column("resource_id", sa.Integer, sa.ForeignKey("resource.id"), primary_key=True),
    sa.Column("actor_id", sa.Integer, sa.ForeignKey("actor.id"), primary_key=True),
)

excerpt = sa.Table(
    "excerpt",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("resource_id", sa.Integer, sa.ForeignKey("resource.id"), nullable=False),
    sa.Column("start", sa.Integer),
    sa.Column("end", sa.Integer),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
    *_bookkeeping(),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

excerpt_code = sa.Table(
    "excerpt_code",
    metadata,
    sa.Column("excerpt_id", sa.Integer, sa.ForeignKey("excerpt.id"), primary_key=True),
    sa.Column("hypothesis_code", sa.String(20), sa.ForeignKey("hypothesis.code"), primary_key=True),
    sa.Column("stance", sa.String(20), nullable=False),  # supports | nuances | contradicts
)

excerpt_theme = sa.Table(
    "excerpt_theme",
    metadata,
    sa.Column("excerpt_id", sa.Integer, sa.ForeignKey("excerpt.id"), primary_key=True),
    sa.Column("theme", sa.String(100), primary_key=True),
)

excerpt_link = sa.Table(
    "excerpt_subject",
    metadata,
    sa.Column("excerpt_id", sa.Integer, sa.ForeignKey("excerpt.id"), primary_key=True),
    sa.Column("entity", sa.String(20), primary_key=True),  # actor | link | territory
    sa.Column("entity_ref", sa.String(40), primary_key=True),
)

# --- evaluation of digital solutions ------------------------------------------

evaluation = sa.Table(
    "evaluation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("subject_type", sa.String(20), nullable=False),  # solution | actor | link | alliance
    sa.Column("subject_id", sa.Integer, nullable=False),
    sa.Column("grid", sa.String(40), nullable=False, server_default="csr"),  # csr | partnership
    sa.Column("grid_version", sa.String(20), nullable=False),
    sa.Column("date", sa.Date),
    sa.Column("evaluator", sa.String(200)),
    sa.Column("evaluator_id", sa.Integer, sa.ForeignKey("user_account.id")),
    sa.Column("note", sa.Text),
    sa.Column("aggregates", sa.JSON, nullable=False, default=dict),
    *_bookkeeping(),
    sa.Index("ix_evaluation_subject", "subject_type", "subject_id"),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

evaluation_score = sa.Table(
    "evaluation_score",
    metadata,
    sa.Column("evaluation_id", sa.Integer, sa.ForeignKey("evaluation.id"), primary_key=True),
    sa.Column("criterion", sa.String(100), primary_key=True),
    sa.Column(
        "dimension", sa.String(30), nullable=False
    ),  # economic | social | environmental | collective
    sa.Column("score", sa.Float),  # the answer on 0..1 (None: not applicable)
    sa.Column("value", sa.String(40)),  # as given: yes | no | na, a level, a measurement
    sa.Column("evidence_kind", sa.String(20)),  # document | url | measurement | map
    sa.Column("evidence", sa.Text),
    sa.Column("evidence_url", sa.String(1000)),
    sa.Column("confidence", sa.Float),
)

# --- people, debate, moderation ----------------------------------------------

user = sa.Table(
    "user_account",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(300), nullable=False, unique=True),
    sa.Column("name", sa.String(200)),
    sa.Column("role", sa.String(20), nullable=False, server_default="contributor"),
    sa.Column("password_hash", sa.String(300)),
    *_bookkeeping(),
    # Accounts (migration 0006): see maillage.services.accounts.
    sa.Column("email_verified_at", Timestamp),
    sa.Column("disabled_at", Timestamp),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", Timestamp),
    sa.Column("last_login_at", Timestamp),
    sa.Column("sessions_valid_after", Timestamp),  # sessions opened before: signed out
    # Blocking by a moderator (migration 0008): no more comments nor contributions.
    sa.Column("blocked_at", Timestamp),
    sa.Column("blocked_by", sa.Integer),
    sa.Column("blocked_reason", sa.Text),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

api_token = sa.Table(
    "api_token",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("scope", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256, hex
    sa.Column("prefix", sa.String(12), nullable=False),  # shown to recognise a token
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp),
    sa.Column("last_used_at", Timestamp),
    sa.Column("revoked_at", Timestamp),
)

# One-time links sent by e-mail (verify an address, reset a password): stored hashed.
email_token = sa.Table(
    "email_token",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id"), nullable=False, index=True),
    sa.Column("purpose", sa.String(20), nullable=False),  # verify | reset
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("email", sa.String(300), nullable=False),  # the address it was sent to
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("used_at", Timestamp),
)

comment = sa.Table(
    "comment",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("entity_ref", sa.String(40), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id")),
    sa.Column("author_name", sa.String(200)),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
    *_bookkeeping(),
    # Debate (migration 0008): see maillage.services.comments.
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("comment.id"), index=True),
    sa.Column("stance", sa.String(20)),  # for | against | question
    sa.Column("edited_at", Timestamp),
    sa.Column("hidden_at", Timestamp),
    sa.Column("hidden_by", sa.Integer, sa.ForeignKey("user_account.id")),
    sa.Column("hidden_reason", sa.Text),
    sa.Index("ix_comment_subject", "entity", "entity_ref"),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

# Reports of a comment by signed-in people (one per person per comment).
comment_report = sa.Table(
    "comment_report",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("comment_id", sa.Integer, sa.ForeignKey("comment.id"), nullable=False, index=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id"), nullable=False),
    sa.Column("reason", sa.String(20), nullable=False),  # spam | offensive | off_topic | ...
    sa.Column("details", sa.Text),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("resolved_at", Timestamp),
    sa.Column("resolved_by", sa.Integer, sa.ForeignKey("user_account.id")),
    sa.Column("resolution", sa.String(20)),  # hidden | dismissed
    sa.UniqueConstraint("comment_id", "user_id", name="uq_comment_report_comment_id_user_id"),
)

# Who follows what (an actor, a territory...): told by e-mail of new comments.
follow = sa.Table(
    "follow",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id"), nullable=False),
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("entity_ref", sa.String(40), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("user_id", "entity", "entity_ref", name="uq_follow_user_id"),
    sa.Index("ix_follow_subject", "entity", "entity_ref"),
)

# Each account's e-mail notifications: on or off, and the key of its unsubscribe link.
notification_setting = sa.Table(
    "notification_setting",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id"), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("unsubscribe_key", sa.String(64), nullable=False, unique=True),
    sa.Column("updated_at", Timestamp, nullable=False),
)

proposal = sa.Table(
    "proposal",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("entity_ref", sa.String(40)),
    sa.Column("action", sa.String(20), nullable=False),  # create | update | report
    sa.Column("payload", sa.JSON, nullable=False, default=dict),  # {"values": {...}}
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id")),
    sa.Column("author_name", sa.String(200)),
    sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("moderator_id", sa.Integer, sa.ForeignKey("user_account.id")),
    sa.Column("decided_at", Timestamp),
    sa.Column("reason", sa.Text),
    # Migration 0007: what the proposer says, the evidence, the version of the record
    # proposed against (conflict detection), who decided and the batch of the write.
    sa.Column("message", sa.Text),
    sa.Column("evidence_url", sa.String(1000)),
    sa.Column("base_version", sa.Integer),
    sa.Column("decided_by", sa.String(200)),  # user:N | votes
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batch.id")),
    sa.Column("result_id", sa.Integer),  # the record created or changed
    *_bookkeeping(),
    sa.Index("ix_proposal_status", "status"),
    sa.Index("ix_proposal_user_id", "user_id"),
    sqlite_autoincrement=True,  # an undone creation leaves its id unused (0010)
)

proposal_document = sa.Table(
    "proposal_document",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposal.id"), nullable=False, unique=True),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),  # sniffed, never the client's
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

proposal_vote = sa.Table(
    "proposal_vote",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposal.id"), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id"), nullable=False),
    sa.Column("value", sa.SmallInteger, nullable=False),  # 1 for, -1 against
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("proposal_id", "user_id"),  # one vote per account
)

# Relationship surveys (migration 0009): see maillage.services.surveys.
survey = sa.Table(
    "survey",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("territory_code", sa.String(40)),  # the filter the actors were chosen by
    sa.Column("theme", sa.String(100)),
    sa.Column("closes_at", Timestamp),  # answers accepted until then (None: until closed)
    sa.Column("closed_at", Timestamp),  # closed by hand
    sa.Column("created_by", sa.Integer, sa.ForeignKey("user_account.id"), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

# One invited actor of a survey, with the hash of its personal link.
survey_respondent = sa.Table(
    "survey_respondent",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("survey_id", sa.Integer, sa.ForeignKey("survey.id"), nullable=False),
    sa.Column("actor_id", sa.Integer, sa.ForeignKey("actor.id"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256, hex
    sa.Column("name", sa.String(200)),  # who answers for the actor, as they sign
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("answered_at", Timestamp),
    sa.Column("revoked_at", Timestamp),
    sa.UniqueConstraint("survey_id", "actor_id", name="uq_survey_respondent_survey_id"),
)

# The first kilometre (migration 0014): needs declared with consent by a visitor, kept
# anonymised (no account, no address, no free text, the month only), read only in groups
# of at least five answers: see maillage.services.first_km.
first_km_answer = sa.Table(
    "first_km_answer",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("territory_code", sa.String(20), nullable=False, index=True),  # COM:...
    sa.Column("world", sa.String(20), nullable=False),
    sa.Column("themes", sa.JSON, nullable=False, default=list),
    sa.Column("maturity", sa.SmallInteger, nullable=False),  # 1..4: maturity_levels
    sa.Column("month", sa.String(7), nullable=False),  # YYYY-MM
    sa.CheckConstraint("maturity BETWEEN 1 AND 4", name="maturity_range"),
    sqlite_autoincrement=True,  # audited: an undone answer's id is never given again
)

# One partner declared by a respondent: an actor of the map, or a new one (name, commune).
survey_answer = sa.Table(
    "survey_answer",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "respondent_id",
        sa.Integer,
        sa.ForeignKey("survey_respondent.id"),
        nullable=False,
        index=True,
    ),  # fmt: skip
    sa.Column("partner_id", sa.Integer, sa.ForeignKey("actor.id")),
    sa.Column("partner_name", sa.String(200)),
    sa.Column("partner_commune", sa.String(10)),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("intensity", sa.SmallInteger, nullable=False),  # 1 occasional .. 4 essential
    sa.Column("since_year", sa.Integer),
    sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposal.id")),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

# Qualitative coding (migration 0012): see maillage.services.coding.
# A hierarchical codebook (a code may stand for one of the seven hypotheses or a theme).
code = sa.Table(
    "code",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("guid", sa.String(38), nullable=False, unique=True),  # REFI-QDA identity
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("code.id"), index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("color", sa.String(7)),  # #rrggbb
    sa.Column("hypothesis_code", sa.String(20), sa.ForeignKey("hypothesis.code")),
    sa.Column("theme", sa.String(100)),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sqlite_autoincrement=True,  # an id undone or deleted is never given again
)

# One code applied by one coder to a passage of a resource (character offsets, code
# points), with the passage's stance towards the code's hypothesis and a memo.
coding = sa.Table(
    "coding",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("guid", sa.String(38), nullable=False, unique=True),
    sa.Column("selection_guid", sa.String(38), nullable=False, index=True),
    sa.Column("resource_id", sa.Integer, sa.ForeignKey("resource.id"), nullable=False, index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("quote", sa.Text, nullable=False),
    sa.Column("code_id", sa.Integer, sa.ForeignKey("code.id"), nullable=False, index=True),
    sa.Column("coder", sa.String(200), nullable=False),  # the coder's name
    sa.Column("account_id", sa.Integer, sa.ForeignKey("user_account.id")),
    sa.Column("stance", sa.String(20)),  # supports | nuances | contradicts
    sa.Column("memo", sa.Text),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sqlite_autoincrement=True,  # an id undone or deleted is never given again
)

# A memo on a code, a resource or the whole project (REFI-QDA notes).
memo = sa.Table(
    "memo",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("guid", sa.String(38), nullable=False, unique=True),
    sa.Column("target", sa.String(20), nullable=False),  # code | resource | project
    sa.Column("target_id", sa.Integer),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("user_account.id")),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sqlite_autoincrement=True,  # an id undone or deleted is never given again
)

# --- audit and imports --------------------------------------------------------

batch = sa.Table(
    "batch",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # service | import | merge | undo
    sa.Column("label", sa.String(300)),
    sa.Column("user", sa.String(200), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

change = sa.Table(
    "change",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entity", sa.String(20), nullable=False),
    sa.Column("entity_id", sa.Integer, nullable=False),
    sa.Column("action", sa.String(20), nullable=False),  # create update delete merge restore undo
    sa.Column("before", sa.JSON(none_as_null=True)),
    sa.Column("after", sa.JSON(none_as_null=True)),
    sa.Column("user", sa.String(200), nullable=False),
    sa.Column("source", sa.String(200)),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batch.id"), index=True),
    sa.Column("undoes_id", sa.Integer),
    sa.Column("at", Timestamp, nullable=False),
    sa.Index("ix_change_entity", "entity", "entity_id"),
    # An undo looks for the change undoing each one of its batch: indexed where set only,
    # so that ordinary writes (undoes_id NULL) pay nothing for it.
    sa.Index(
        "ix_change_undoes",
        "undoes_id",
        sqlite_where=sa.text("undoes_id IS NOT NULL"),
        postgresql_where=sa.text("undoes_id IS NOT NULL"),
    ),
)

import_run = sa.Table(
    "import_run",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batch.id")),
    sa.Column("kind", sa.String(30), nullable=False),  # actors | links | lieux | scdl | ...
    sa.Column("source", sa.String(200), nullable=False, index=True),
    sa.Column("file", sa.String(1000)),
    sa.Column("status", sa.String(20), nullable=False),  # done | failed | dry_run
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp),
    sa.Column("counts", sa.JSON, nullable=False, default=dict),
    sa.Column("issues", sa.JSON, nullable=False, default=list),
)

review_decision = sa.Table(
    "review_decision",
    metadata,
    sa.Column("left_id", sa.Integer, sa.ForeignKey("actor.id"), primary_key=True),
    sa.Column("right_id", sa.Integer, sa.ForeignKey("actor.id"), primary_key=True),
    sa.Column("decision", sa.String(20), nullable=False),  # pending | same | different
    sa.Column("score", sa.Float),
    sa.Column("reasons", sa.JSON, nullable=False, default=list),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_at", Timestamp),
)

setting = sa.Table(
    "maillage_setting",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.JSON),
)
