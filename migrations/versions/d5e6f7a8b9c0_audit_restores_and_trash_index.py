"""Restores on the audit trail, and an index for each list's trash

`restored_version`: on the entry a restore writes, the version it brought back (an earlier
version of the record, or the version a deleted record had when it was deleted). The index
reads a trash page (an entity's delete entries, newest first) and a deleted order's items
(the item delete entries written in the same flush) without scanning the trail.

Revision ID: d5e6f7a8b9c0
Revises: c3d4e5f6a7b8
Create Date: 2026-12-07 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e6f7a8b9c0'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restored_version', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_entries_entity_action_created',
                              ['entity', 'action', 'created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_entity_action_created')
        batch_op.drop_column('restored_version')
