"""The database as it is now, for the tests to compare with what a page said: the session's
cache expired first, or the committed rows read on a connection of their own."""

from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import AuditEntry


def fresh(model, **where):
    db.session.expire_all()
    query = select(model).filter_by(**where) if where else select(model)
    return db.session.scalars(query).unique().all()


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, read on a connection of its own (what is committed)."""
    with db.engine.connect() as conn:
        return {table.name: sorted((tuple(map(repr, row)) for row in conn.execute(table.select())))
                for table in db.metadata.sorted_tables}


def entries(entity: str | None = None, action: str | None = None) -> list[AuditEntry]:
    """The committed audit entries (oldest first), optionally of one entity / action."""
    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if action:
        query = query.where(AuditEntry.action == action)
    return db.session.scalars(query).unique().all()
