"""Sign-in lockouts, server-side sessions and the sign-in trail

New tables only (no existing row is touched): failed sign-ins per e-mail typed, the
sessions each user has open (a session cookie is valid only while its row is), and the
trail of sign-ins, failures, lockouts, logouts and second-factor changes; the last
authenticator-app time step each user signed in with (a code is accepted once).

Revision ID: 5758f507f274
Revises: a0c6e8f2d4b5
Create Date: 2026-12-03 18:58:33.585997

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5758f507f274'
down_revision = 'a0c6e8f2d4b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_lockouts',
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_login_lockouts'))
    )
    with op.batch_alter_table('login_lockouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_lockouts_locked_until'), ['locked_until'], unique=False)

    op.create_table('sign_in_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.Column('actor', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_sign_in_events_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_events'))
    )
    with op.batch_alter_table('sign_in_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_events_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_events_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_events_user_id'), ['user_id'], unique=False)

    op.create_table('user_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('ended_reason', sa.String(length=20), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_sessions_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('totp_counters',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_counter', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_totp_counters_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_totp_counters'))
    )


def downgrade():
    op.drop_table('totp_counters')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
    with op.batch_alter_table('sign_in_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_events_user_id'))
        batch_op.drop_index(batch_op.f('ix_sign_in_events_kind'))
        batch_op.drop_index(batch_op.f('ix_sign_in_events_email'))
        batch_op.drop_index(batch_op.f('ix_sign_in_events_created_at'))

    op.drop_table('sign_in_events')
    with op.batch_alter_table('login_lockouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_lockouts_locked_until'))

    op.drop_table('login_lockouts')
