"""Substring search indexes for the lists' search boxes

A search box finds a text anywhere inside a column (`LIKE '%x%'`), which a B-tree index
cannot serve: on a million rows every search scanned the table. Trigram indexes can:

- SQLite: one FTS5 table per searched table, `search_<table>`, with the trigram tokenizer
  and external content (the rows stay in the table; the index holds only trigrams), kept in
  sync by three triggers (`search_<table>_ai`, `_ad`, `_au`).
- PostgreSQL: the pg_trgm extension and one GIN index per searched column,
  `search_<table>_<column>`, used by `ILIKE '%x%'`.

Everything is named `search_*` so autogenerate and the drift check leave it alone
(`admin_app.extensions.include_object`). `admin_app/search.py` holds the same table list for
the queries. On SQLite, a later batch migration that recreates one of these tables drops its
triggers: recreate them there (tests/test_search.py fails otherwise).

Revision ID: 7d3e5b2c9a14
Revises: 6c2f4a1b8d03
Create Date: 2026-11-25 18:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7d3e5b2c9a14'
down_revision = '6c2f4a1b8d03'
branch_labels = None
depends_on = None

# Frozen copy of admin_app.search.SEARCH_COLUMNS as of this revision.
SEARCH_COLUMNS = {
    "customers": ("name", "document", "email", "city"),
    "suppliers": ("legal_name", "trade_name", "cnpj"),
    "categories": ("name",),
    "products": ("sku", "name"),
    "orders": ("number",),
    "stock_movements": ("reason",),
    "financial_entries": ("description",),
    "user": ("email",),
    "audit_entries": ("object_id",),
}


def _sqlite_statements(table: str, columns: tuple[str, ...]) -> list[str]:
    fts = f"search_{table}"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    insert_new = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});"
    delete_old = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', "
        f"content_rowid='id', tokenize='trigram')",
        f'CREATE TRIGGER {fts}_ai AFTER INSERT ON "{table}" BEGIN {insert_new} END',
        f'CREATE TRIGGER {fts}_ad AFTER DELETE ON "{table}" BEGIN {delete_old} END',
        f'CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON "{table}" '
        f"BEGIN {delete_old} {insert_new} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, columns in SEARCH_COLUMNS.items():
            for statement in _sqlite_statements(table, columns):
                op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, columns in SEARCH_COLUMNS.items():
            for column in columns:
                op.execute(f'CREATE INDEX search_{table}_{column} ON "{table}" '
                           f"USING gin ({column} gin_trgm_ops)")


def downgrade():
    dialect = op.get_bind().dialect.name
    for table, columns in SEARCH_COLUMNS.items():
        if dialect == "sqlite":
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS search_{table}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS search_{table}")
        elif dialect == "postgresql":
            for column in columns:
                op.execute(f"DROP INDEX IF EXISTS search_{table}_{column}")
