"""SQLite never gives a deleted record's id to a new one

SQLite hands out max(id) + 1, so deleting the newest customer and creating another gave the
new one the deleted one's id: its trash entry vanished (the id is in use again), its history
mixed two records, and it could not be restored with its own id. AUTOINCREMENT (SQLite's
`sqlite_sequence`) never goes back. Each table people delete records from is rebuilt with it
(batch mode; the search triggers the rebuild drops are created again), and its sequence
starts above every id its audit trail has seen. PostgreSQL's sequences never went back:
nothing to do there.

Revision ID: e6f7a8b9c0d1
Revises: d5e6f7a8b9c0
Create Date: 2026-12-07 22:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e6f7a8b9c0d1'
down_revision = 'd5e6f7a8b9c0'
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
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        _rebuild(table, autoincrement=True)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        _rebuild(table, autoincrement=False)
