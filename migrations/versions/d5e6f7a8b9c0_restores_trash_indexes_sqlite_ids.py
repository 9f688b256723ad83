"""Restores on the audit trail, indexed trash pages, SQLite ids never reused

- `audit_entries.restored_version`: on the entry a restore writes, the version it brought
  back (an earlier version of the record, or the version a deleted record had when deleted).
- `ix_audit_entries_entity_action_created`: a trash page (an entity's delete entries, newest
  first) and a deleted order's items (the item delete entries of the same flush) without
  scanning the trail. PostgreSQL also gets `search_audit_entries_deleted_changes`, a partial
  trigram index on the text of delete entries, for searching a trash (56 ms -> 1 ms at a
  million entries; named `search_*` so autogenerate and the drift check leave it alone).
- SQLite handed out max(id) + 1, so deleting the newest customer and creating another gave
  the new one the deleted one's id: its trash entry vanished, its history mixed two records
  and it could not come back with its own id. AUTOINCREMENT (`sqlite_sequence`) never goes
  back: each table people delete records from is rebuilt with it (batch mode; the search
  triggers the rebuild drops are created again) and its sequence starts above every id its
  audit trail has seen. PostgreSQL's sequences never went back.

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

# Frozen as of this revision: table -> (audited entity, searched columns).
TABLES = {
    "customers": ("Customer", ("name", "document", "email", "city")),
    "suppliers": ("Supplier", ("legal_name", "trade_name", "cnpj")),
    "categories": ("Category", ("name",)),
    "products": ("Product", ("sku", "name")),
    "orders": ("Order", ("number",)),
    "order_items": ("OrderItem", ()),
    "financial_entries": ("FinancialEntry", ("description",)),
    "user": ("User", ("email",)),
    "role": ("Role", ()),
}


def _search_triggers(table: str, columns: tuple[str, ...]) -> list[str]:
    """The triggers of 7d3e5b2c9a14 that keep `search_<table>` in step with the table."""
    fts = f"search_{table}"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    insert_new = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});"
    delete_old = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    return [
        f'CREATE TRIGGER {fts}_ai AFTER INSERT ON "{table}" BEGIN {insert_new} END',
        f'CREATE TRIGGER {fts}_ad AFTER DELETE ON "{table}" BEGIN {delete_old} END',
        f'CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON "{table}" '
        f"BEGIN {delete_old} {insert_new} END",
    ]


def _rebuild(table: str, autoincrement: bool) -> None:
    entity, columns = TABLES[table]
    with op.batch_alter_table(table, recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass
    if columns:
        for statement in _search_triggers(table, columns):
            op.execute(statement)
    if autoincrement:
        op.execute(
            f"INSERT INTO sqlite_sequence(name, seq) SELECT '{table}', max("
            f"  coalesce((SELECT max(id) FROM \"{table}\"), 0),"
            f"  coalesce((SELECT max(CAST(object_id AS INTEGER)) FROM audit_entries"
            f"            WHERE entity = '{entity}'), 0))"
            f" WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{table}')")
        op.execute(
            f"UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT max(CAST(object_id AS"
            f" INTEGER)) FROM audit_entries WHERE entity = '{entity}'), 0))"
            f" WHERE name = '{table}'")


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restored_version', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_entries_entity_action_created',
                              ['entity', 'action', 'created_at', 'id'], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE INDEX search_audit_entries_deleted_changes ON audit_entries "
                   "USING gin ((CAST(changes AS VARCHAR)) gin_trgm_ops) WHERE action = 'delete'")
    elif dialect == "sqlite":
        for table in TABLES:
            _rebuild(table, autoincrement=True)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS search_audit_entries_deleted_changes")
    elif dialect == "sqlite":
        for table in TABLES:
            _rebuild(table, autoincrement=False)
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_entity_action_created')
        batch_op.drop_column('restored_version')
