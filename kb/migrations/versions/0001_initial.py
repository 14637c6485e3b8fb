"""articles, revisions, publication log, facts, synonyms

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.models


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('category', sa.String(length=128), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('draft_revision', sa.Integer(), nullable=False),
    sa.Column('published_revision', sa.Integer(), nullable=True),
    sa.Column('created_at', kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'locale', name='uq_articles_key_locale'),
    sa.UniqueConstraint('locale', 'slug', name='uq_articles_locale_slug')
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_articles_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_articles_key'), ['key'], unique=False)

    op.create_table('facts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('locales', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    log_head = op.create_table('log_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # The publication log's only counter row; every log writer updates it.
    op.bulk_insert(log_head, [{"id": 1, "seq": 0}])
    op.create_table('synonym_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('synonym_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_synonym_sets_locale'), ['locale'], unique=False)

    op.create_table('fact_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fact_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('locales', sa.JSON(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('at', kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['fact_id'], ['facts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('fact_id', 'version', name='uq_fact_versions')
    )
    with op.batch_alter_table('fact_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fact_versions_fact_id'), ['fact_id'], unique=False)

    op.create_table('publication_log',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=128), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('fact_key', sa.String(length=128), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('at', kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('publication_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_log_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_log_at'), ['at'], unique=False)

    op.create_table('revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('front_matter', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', kb.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('article_id', 'number', name='uq_revisions_article_number')
    )
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revisions_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_revisions_content_hash'), ['content_hash'], unique=False)

    op.create_table('revision_facts',
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('fact_key', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['revision_id'], ['revisions.id'], ),
    sa.PrimaryKeyConstraint('revision_id', 'fact_key')
    )
    with op.batch_alter_table('revision_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revision_facts_fact_key'), ['fact_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('revision_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revision_facts_fact_key'))

    op.drop_table('revision_facts')
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revisions_content_hash'))
        batch_op.drop_index(batch_op.f('ix_revisions_article_id'))

    op.drop_table('revisions')
    with op.batch_alter_table('publication_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_log_at'))
        batch_op.drop_index(batch_op.f('ix_publication_log_article_id'))

    op.drop_table('publication_log')
    with op.batch_alter_table('fact_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fact_versions_fact_id'))

    op.drop_table('fact_versions')
    with op.batch_alter_table('synonym_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_synonym_sets_locale'))

    op.drop_table('synonym_sets')
    op.drop_table('log_head')
    op.drop_table('facts')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_articles_key'))
        batch_op.drop_index(batch_op.f('ix_articles_category'))

    op.drop_table('articles')
