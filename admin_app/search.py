"""Substring search that an index serves, on SQLite and PostgreSQL.

A list's search box finds a term anywhere inside a column. `LIKE '%term%'` cannot use a
B-tree index, so on a million rows each search read the whole table (twice: page and count).
Migration 7d3e5b2c9a14 builds trigram indexes for the columns below: on SQLite an FTS5 table
`search_<table>` (trigram tokenizer, kept in sync by triggers), on PostgreSQL a pg_trgm GIN
index per column, which `ILIKE` uses. Terms shorter than three characters have no trigram
and fall back to a plain (scanning) LIKE.
"""

from sqlalchemy import ColumnElement, Table, literal_column, or_, select, table

from admin_app.extensions import SEARCH_PREFIX

#: Columns with a substring index, per table (kept equal to the migration's frozen copy;
#: tests/test_search.py checks every list's search columns are here).
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
TRIGRAM = 3


def _table_name(source) -> str:
    """The real table's name, also through an alias (a joined column in a list search)."""
    while not isinstance(source, Table) and hasattr(source, "element"):
        source = source.element
    return getattr(source, "name", "")


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_query(columns: list[str], term: str) -> str:
    """An FTS5 query for `term` as a literal substring of any of `columns`."""
    return "{" + " ".join(columns) + "} : \"" + term.replace('"', '""') + '"'


def matches(columns, term: str, dialect: str) -> ColumnElement[bool]:
    """`term` occurs in any of `columns` (case-insensitive), through the index when there is
    one. Columns may come from different tables (a joined `customer.name`)."""
    clauses = []
    by_table: dict = {}
    for column in columns:
        column = column.__clause_element__() if hasattr(column, "__clause_element__") else column
        indexed = column.key in SEARCH_COLUMNS.get(_table_name(column.table), ())
        if dialect == "sqlite" and indexed and len(term) >= TRIGRAM:
            by_table.setdefault(column.table, []).append(column.key)
        elif dialect == "sqlite":
            clauses.append(column.like(f"%{_escape_like(term)}%", escape="\\"))
        else:
            clauses.append(column.ilike(f"%{_escape_like(term)}%", escape="\\"))
    for source, keys in by_table.items():
        fts = table(f"{SEARCH_PREFIX}{_table_name(source)}")
        rowids = select(literal_column("rowid")).select_from(fts).where(
            literal_column(fts.name).op("MATCH")(_fts_query(keys, term)))
        clauses.append(source.c.id.in_(rowids))
    return or_(*clauses)
