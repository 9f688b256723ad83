"""A trigram index for searching a trash (PostgreSQL)

A trash search (admin/trash.py) matches the text of every delete entry of the entity: at a
million audit entries, thousands of JSON values cast and compared (56 ms). A partial trigram
index on exactly that expression, over delete entries only (creates and updates never touch
it), answers in about 1 ms. Named `search_*` like the lists' search indexes, so autogenerate
and the drift check leave it alone. SQLite reads its delete entries through
ix_audit_entries_entity_action_created (30 ms at a million entries): nothing to do there.

Revision ID: f7a8b9c0d1e2
Revises: e6f7a8b9c0d1
Create Date: 2026-12-07 22:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f7a8b9c0d1e2'
down_revision = 'e6f7a8b9c0d1'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX search_audit_entries_deleted_changes ON audit_entries "
                   "USING gin ((CAST(changes AS VARCHAR)) gin_trgm_ops) WHERE action = 'delete'")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS search_audit_entries_deleted_changes")
