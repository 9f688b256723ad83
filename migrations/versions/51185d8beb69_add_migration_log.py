"""add migration_log

The log of applied migration steps (revision, direction, when, by whom, duration,
script checksum), written by migrations/env.py on every step from now on.

Revision ID: 51185d8beb69
Revises: 5e58d3b35130
Create Date: 2026-11-25 15:29:51.007572

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '51185d8beb69'
down_revision = '5e58d3b35130'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('migration_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.String(length=64), nullable=False),
    sa.Column('from_revision', sa.String(length=200), nullable=True),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('message', sa.String(length=255), nullable=True),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.Column('applied_by', sa.String(length=255), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('checksum', sa.String(length=64), nullable=True),
    sa.CheckConstraint("direction IN ('upgrade', 'downgrade', 'stamp')", name=op.f('ck_migration_log_direction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_migration_log'))
    )
    with op.batch_alter_table('migration_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_log_revision'), ['revision'], unique=False)



def downgrade():
    with op.batch_alter_table('migration_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migration_log_revision'))

    op.drop_table('migration_log')
