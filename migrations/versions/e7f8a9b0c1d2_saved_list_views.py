"""Saved list views, and each user's default view and columns per list

Two new tables, nothing existing changes: saved_views (a list's search, filters, sort and
page size under a name, private or shared) and list_preferences (per user and list: the
default view, the columns shown). A user's rows go with the user (ON DELETE CASCADE); a
removed view stops being anyone's default (SET NULL).

Revision ID: e7f8a9b0c1d2
Revises: d5e6f7a8b9c0
Create Date: 2026-12-08 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7f8a9b0c1d2'
down_revision = 'd5e6f7a8b9c0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'saved_views',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('list_endpoint', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('query', sa.Text(), nullable=False),
        sa.Column('shared', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['user.id'],
                                name=op.f('fk_saved_views_owner_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')),
        sa.UniqueConstraint('owner_id', 'list_endpoint', 'name',
                            name='uq_saved_views_owner_list_name'),
    )
    op.create_index(op.f('ix_saved_views_owner_id'), 'saved_views', ['owner_id'])
    op.create_index(op.f('ix_saved_views_list_endpoint'), 'saved_views', ['list_endpoint'])
    op.create_table(
        'list_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('list_endpoint', sa.String(length=64), nullable=False),
        sa.Column('default_view_id', sa.Integer(), nullable=True),
        sa.Column('columns', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['default_view_id'], ['saved_views.id'],
                                name=op.f('fk_list_preferences_default_view_id_saved_views'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_list_preferences_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'list_endpoint', name=op.f('pk_list_preferences')),
    )
    op.create_index(op.f('ix_list_preferences_default_view_id'), 'list_preferences',
                    ['default_view_id'])


def downgrade():
    op.drop_index(op.f('ix_list_preferences_default_view_id'), table_name='list_preferences')
    op.drop_table('list_preferences')
    op.drop_index(op.f('ix_saved_views_list_endpoint'), table_name='saved_views')
    op.drop_index(op.f('ix_saved_views_owner_id'), table_name='saved_views')
    op.drop_table('saved_views')
