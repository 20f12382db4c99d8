"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 15:14:28.556765
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Generated from maillage.storage.tables, then frozen.
    op.create_table('actor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('acronym', sa.String(length=100), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('world', sa.String(length=20), nullable=True),
    sa.Column('category', sa.String(length=50), nullable=True),
    sa.Column('digital_profile', sa.String(length=20), server_default='unknown', nullable=False),
    sa.Column('siren', sa.String(length=9), nullable=True),
    sa.Column('siret', sa.String(length=14), nullable=True),
    sa.Column('rna', sa.String(length=10), nullable=True),
    sa.Column('legal_form', sa.String(length=4), nullable=True),
    sa.Column('naf', sa.String(length=10), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('postcode', sa.String(length=5), nullable=True),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=300), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('quality', sa.Float(), nullable=True),
    sa.Column('classification_rule', sa.String(length=200), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('source_ref', sa.String(length=200), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merged_into_id'], ['actor.id'], name=op.f('fk_actor_merged_into_id_actor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actor'))
    )
    with op.batch_alter_table('actor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actor_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_actor_rna'), ['rna'], unique=False)
        batch_op.create_index(batch_op.f('ix_actor_siren'), ['siren'], unique=False)
        batch_op.create_index(batch_op.f('ix_actor_siret'), ['siret'], unique=False)
        batch_op.create_index(batch_op.f('ix_actor_world'), ['world'], unique=False)

    op.create_table('batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=True),
    sa.Column('user', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch'))
    )
    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('grid_version', sa.String(length=20), nullable=False),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('evaluator', sa.String(length=200), nullable=True),
    sa.Column('aggregates', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation'))
    )
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('hypothesis',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title_fr', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_hypothesis'))
    )
    op.create_table('indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_code', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=50), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('source_ref', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator'))
    )
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_territory_code'), ['territory_code'], unique=False)

    op.create_table('maillage_setting',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_maillage_setting'))
    )
    op.create_table('maturity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_code', sa.String(length=20), nullable=False),
    sa.Column('dimension', sa.String(length=100), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('source_ref', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('level BETWEEN 1 AND 4', name=op.f('ck_maturity_level_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maturity'))
    )
    with op.batch_alter_table('maturity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maturity_territory_code'), ['territory_code'], unique=False)

    op.create_table('need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_code', sa.String(length=20), nullable=False),
    sa.Column('theme', sa.String(length=100), nullable=False),
    sa.Column('publics', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('severity', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='observed', nullable=False),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('rule', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('source_ref', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need'))
    )
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_territory_code'), ['territory_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_theme'), ['theme'], unique=False)

    op.create_table('resource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=50), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('licence', sa.String(length=100), nullable=True),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('source_ref', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource'))
    )
    op.create_table('solution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('modality', sa.String(length=20), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('source_ref', sa.String(length=200), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solution'))
    )
    op.create_table('taxonomy_term',
    sa.Column('taxonomy', sa.String(length=50), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('label_fr', sa.String(length=300), nullable=False),
    sa.Column('label_en', sa.String(length=300), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('taxonomy', 'code', name=op.f('pk_taxonomy_term'))
    )
    op.create_table('territory',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_folded', sa.String(length=200), nullable=False),
    sa.Column('parent_code', sa.String(length=20), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('geometry', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_territory'))
    )
    with op.batch_alter_table('territory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_territory_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_territory_name_folded'), ['name_folded'], unique=False)
        batch_op.create_index(batch_op.f('ix_territory_parent_code'), ['parent_code'], unique=False)

    op.create_table('territory_member',
    sa.Column('parent_code', sa.String(length=20), nullable=False),
    sa.Column('member_code', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('parent_code', 'member_code', name=op.f('pk_territory_member'))
    )
    with op.batch_alter_table('territory_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_territory_member_member_code'), ['member_code'], unique=False)

    op.create_table('territory_postcode',
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('commune_code', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('postcode', 'commune_code', name=op.f('pk_territory_postcode'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=300), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=20), server_default='contributor', nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    op.create_table('actor_identifier',
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actor.id'], name=op.f('fk_actor_identifier_actor_id_actor')),
    sa.PrimaryKeyConstraint('actor_id', 'identifier', name=op.f('pk_actor_identifier'))
    )
    with op.batch_alter_table('actor_identifier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actor_identifier_identifier'), ['identifier'], unique=False)

    op.create_table('actor_sdg',
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('sdg', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actor.id'], name=op.f('fk_actor_sdg_actor_id_actor')),
    sa.PrimaryKeyConstraint('actor_id', 'sdg', name=op.f('pk_actor_sdg'))
    )
    op.create_table('actor_territory',
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('territory_code', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actor.id'], name=op.f('fk_actor_territory_actor_id_actor')),
    sa.PrimaryKeyConstraint('actor_id', 'territory_code', name=op.f('pk_actor_territory'))
    )
    with op.batch_alter_table('actor_territory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actor_territory_territory_code'), ['territory_code'], unique=False)

    op.create_table('actor_theme',
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actor.id'], name=op.f('fk_actor_theme_actor_id_actor')),
    sa.PrimaryKeyConstraint('actor_id', 'theme', name=op.f('pk_actor_theme'))
    )
    with op.batch_alter_table('actor_theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actor_theme_theme'), ['theme'], unique=False)

    op.create_table('change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('before', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('after', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('user', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('undoes_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_change_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change'))
    )
    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_change_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('entity_ref', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_comment_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_subject', ['entity', 'entity_ref'], unique=False)

    op.create_table('evaluation_score',
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.String(length=100), nullable=False),
    sa.Column('dimension', sa.String(length=30), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_evaluation_score_evaluation_id_evaluation')),
    sa.PrimaryKeyConstraint('evaluation_id', 'criterion', name=op.f('pk_evaluation_score'))
    )
    op.create_table('excerpt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=True),
    sa.Column('end', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_excerpt_resource_id_resource')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_excerpt'))
    )
    op.create_table('import_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('file', sa.String(length=1000), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('issues', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_import_run_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_run'))
    )
    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_run_source'), ['source'], unique=False)

    op.create_table('link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('directed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('form', sa.String(length=50), nullable=True),
    sa.Column('subtype', sa.String(length=50), nullable=True),
    sa.Column('weight', sa.Float(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('territory_code', sa.String(length=20), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('evidence_url', sa.String(length=1000), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('source_ref', sa.String(length=200), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('source_id <> target_id', name=op.f('ck_link_no_self_link')),
    sa.ForeignKeyConstraint(['source_id'], ['actor.id'], name=op.f('fk_link_source_id_actor')),
    sa.ForeignKeyConstraint(['target_id'], ['actor.id'], name=op.f('fk_link_target_id_actor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link'))
    )
    with op.batch_alter_table('link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_link_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_link_target_id'), ['target_id'], unique=False)

    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('entity_ref', sa.String(length=40), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['moderator_id'], ['user_account.id'], name=op.f('fk_proposal_moderator_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_proposal_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal'))
    )
    op.create_table('resource_actor',
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actor.id'], name=op.f('fk_resource_actor_actor_id_actor')),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_resource_actor_resource_id_resource')),
    sa.PrimaryKeyConstraint('resource_id', 'actor_id', name=op.f('pk_resource_actor'))
    )
    op.create_table('resource_territory',
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('territory_code', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_resource_territory_resource_id_resource')),
    sa.PrimaryKeyConstraint('resource_id', 'territory_code', name=op.f('pk_resource_territory'))
    )
    op.create_table('resource_theme',
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_resource_theme_resource_id_resource')),
    sa.PrimaryKeyConstraint('resource_id', 'theme', name=op.f('pk_resource_theme'))
    )
    op.create_table('review_decision',
    sa.Column('left_id', sa.Integer(), nullable=False),
    sa.Column('right_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['left_id'], ['actor.id'], name=op.f('fk_review_decision_left_id_actor')),
    sa.ForeignKeyConstraint(['right_id'], ['actor.id'], name=op.f('fk_review_decision_right_id_actor')),
    sa.PrimaryKeyConstraint('left_id', 'right_id', name=op.f('pk_review_decision'))
    )
    op.create_table('solution_carrier',
    sa.Column('solution_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=50), server_default='carrier', nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actor.id'], name=op.f('fk_solution_carrier_actor_id_actor')),
    sa.ForeignKeyConstraint(['solution_id'], ['solution.id'], name=op.f('fk_solution_carrier_solution_id_solution')),
    sa.PrimaryKeyConstraint('solution_id', 'actor_id', name=op.f('pk_solution_carrier'))
    )
    with op.batch_alter_table('solution_carrier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_solution_carrier_actor_id'), ['actor_id'], unique=False)

    op.create_table('solution_need',
    sa.Column('solution_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_solution_need_need_id_need')),
    sa.ForeignKeyConstraint(['solution_id'], ['solution.id'], name=op.f('fk_solution_need_solution_id_solution')),
    sa.PrimaryKeyConstraint('solution_id', 'need_id', name=op.f('pk_solution_need'))
    )
    op.create_table('solution_territory',
    sa.Column('solution_id', sa.Integer(), nullable=False),
    sa.Column('territory_code', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['solution_id'], ['solution.id'], name=op.f('fk_solution_territory_solution_id_solution')),
    sa.PrimaryKeyConstraint('solution_id', 'territory_code', name=op.f('pk_solution_territory'))
    )
    with op.batch_alter_table('solution_territory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_solution_territory_territory_code'), ['territory_code'], unique=False)

    op.create_table('solution_theme',
    sa.Column('solution_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['solution_id'], ['solution.id'], name=op.f('fk_solution_theme_solution_id_solution')),
    sa.PrimaryKeyConstraint('solution_id', 'theme', name=op.f('pk_solution_theme'))
    )
    op.create_table('excerpt_code',
    sa.Column('excerpt_id', sa.Integer(), nullable=False),
    sa.Column('hypothesis_code', sa.String(length=20), nullable=False),
    sa.Column('stance', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['excerpt_id'], ['excerpt.id'], name=op.f('fk_excerpt_code_excerpt_id_excerpt')),
    sa.ForeignKeyConstraint(['hypothesis_code'], ['hypothesis.code'], name=op.f('fk_excerpt_code_hypothesis_code_hypothesis')),
    sa.PrimaryKeyConstraint('excerpt_id', 'hypothesis_code', name=op.f('pk_excerpt_code'))
    )
    op.create_table('excerpt_subject',
    sa.Column('excerpt_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('entity_ref', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['excerpt_id'], ['excerpt.id'], name=op.f('fk_excerpt_subject_excerpt_id_excerpt')),
    sa.PrimaryKeyConstraint('excerpt_id', 'entity', 'entity_ref', name=op.f('pk_excerpt_subject'))
    )
    op.create_table('excerpt_theme',
    sa.Column('excerpt_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['excerpt_id'], ['excerpt.id'], name=op.f('fk_excerpt_theme_excerpt_id_excerpt')),
    sa.PrimaryKeyConstraint('excerpt_id', 'theme', name=op.f('pk_excerpt_theme'))
    )
    op.create_table('link_theme',
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['link.id'], name=op.f('fk_link_theme_link_id_link')),
    sa.PrimaryKeyConstraint('link_id', 'theme', name=op.f('pk_link_theme'))
    )
    _create_search_index()


def downgrade() -> None:
    _drop_search_index()
    # Generated from maillage.storage.tables, then frozen.
    op.drop_table('link_theme')
    op.drop_table('excerpt_theme')
    op.drop_table('excerpt_subject')
    op.drop_table('excerpt_code')
    op.drop_table('solution_theme')
    with op.batch_alter_table('solution_territory', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_solution_territory_territory_code'))

    op.drop_table('solution_territory')
    op.drop_table('solution_need')
    with op.batch_alter_table('solution_carrier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_solution_carrier_actor_id'))

    op.drop_table('solution_carrier')
    op.drop_table('review_decision')
    op.drop_table('resource_theme')
    op.drop_table('resource_territory')
    op.drop_table('resource_actor')
    op.drop_table('proposal')
    with op.batch_alter_table('link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_target_id'))
        batch_op.drop_index(batch_op.f('ix_link_source_id'))
        batch_op.drop_index(batch_op.f('ix_link_kind'))

    op.drop_table('link')
    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_run_source'))

    op.drop_table('import_run')
    op.drop_table('excerpt')
    op.drop_table('evaluation_score')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_subject')

    op.drop_table('comment')
    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.drop_index('ix_change_entity')
        batch_op.drop_index(batch_op.f('ix_change_batch_id'))

    op.drop_table('change')
    with op.batch_alter_table('actor_theme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actor_theme_theme'))

    op.drop_table('actor_theme')
    with op.batch_alter_table('actor_territory', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actor_territory_territory_code'))

    op.drop_table('actor_territory')
    op.drop_table('actor_sdg')
    with op.batch_alter_table('actor_identifier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actor_identifier_identifier'))

    op.drop_table('actor_identifier')
    op.drop_table('user_account')
    op.drop_table('territory_postcode')
    with op.batch_alter_table('territory_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_territory_member_member_code'))

    op.drop_table('territory_member')
    with op.batch_alter_table('territory', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_territory_parent_code'))
        batch_op.drop_index(batch_op.f('ix_territory_name_folded'))
        batch_op.drop_index(batch_op.f('ix_territory_level'))

    op.drop_table('territory')
    op.drop_table('taxonomy_term')
    op.drop_table('solution')
    op.drop_table('resource')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_theme'))
        batch_op.drop_index(batch_op.f('ix_need_territory_code'))

    op.drop_table('need')
    with op.batch_alter_table('maturity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maturity_territory_code'))

    op.drop_table('maturity')
    op.drop_table('maillage_setting')
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_territory_code'))

    op.drop_table('indicator')
    op.drop_table('hypothesis')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index('ix_evaluation_subject')

    op.drop_table('evaluation')
    op.drop_table('batch')
    with op.batch_alter_table('actor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actor_world'))
        batch_op.drop_index(batch_op.f('ix_actor_siret'))
        batch_op.drop_index(batch_op.f('ix_actor_siren'))
        batch_op.drop_index(batch_op.f('ix_actor_rna'))
        batch_op.drop_index(batch_op.f('ix_actor_commune_code'))

    op.drop_table('actor')


def _create_search_index() -> None:
    """French full-text index on actors: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

    Both index the same pre-folded, pre-stemmed tokens (maillage.model.text).
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE actor_fts USING fts5("
            "tokens, tokenize='unicode61 remove_diacritics 2', detail=none)"
        )
    else:
        op.execute(
            "CREATE TABLE actor_search ("
            " actor_id integer PRIMARY KEY REFERENCES actor(id),"
            " tokens text NOT NULL,"
            " tsv tsvector GENERATED ALWAYS AS (to_tsvector('french', tokens)) STORED)"
        )
        op.execute("CREATE INDEX ix_actor_search_tsv ON actor_search USING gin (tsv)")


def _drop_search_index() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE actor_fts")
    else:
        op.execute("DROP TABLE actor_search")
