"""The record's version on each audit entry

A new nullable column on the audit trail: the version counter of the record after the change
(1 = as created), so a record's history can be numbered and an earlier version restored.
Entries written before it keep NULL: their version is not known.

Revision ID: c3d4e5f6a7b8
Revises: 81290a000078
Create Date: 2026-12-07 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = '81290a000078'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('version')
