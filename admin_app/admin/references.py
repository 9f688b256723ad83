"""What stops a delete: rows of other tables that point at a record with ON DELETE RESTRICT.

Checked before deleting so the user is told *what* references the record; SQLite's own
error ("FOREIGN KEY constraint failed") names nothing.
"""

from sqlalchemy import func, inspect, select

from admin_app.extensions import db


def _model_for_table(table):
    for mapper in db.Model.registry.mappers:
        if table in mapper.tables:
            return mapper.class_
    return None


def blocking_references(obj) -> list[tuple[type | None, str, int]]:
    """[(referencing model, table name, row count)] for every restricting reference."""
    mapper = inspect(obj).mapper
    table = mapper.local_table
    # Link tables of many-to-many relationships: SQLAlchemy deletes their rows itself.
    owned_links = {rel.secondary for rel in mapper.relationships if rel.secondary is not None}
    found = []
    for other in db.metadata.sorted_tables:
        if other in owned_links:
            continue
        for fk in other.foreign_keys:
            if fk.column.table is not table:
                continue
            if (fk.ondelete or "").upper() in ("CASCADE", "SET NULL"):
                continue
            value = getattr(obj, mapper.get_property_by_column(fk.column).key)
            count = db.session.scalar(
                select(func.count()).select_from(other).where(fk.parent == value)
            )
            if count:
                found.append((_model_for_table(other), other.name, count))
    return found
