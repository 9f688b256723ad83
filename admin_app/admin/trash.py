"""The "Lixeira" of a screen: its deleted records, newest first — who deleted each and when,
and what it held — read from the audit trail's delete entries. Searchable by any value the
record held. Restoring one is admin/restore_deleted.py."""

import json

from sqlalchemy import String, cast, inspect, select

from admin_app.extensions import db
from admin_app.models import AuditEntry

PAGE_SIZE = 50


def _pattern(term: str) -> str:
    """LIKE pattern for a value as the audit trail's JSON stores it (non-ASCII letters as
    \\u escapes), its wildcards taken literally."""
    stored = json.dumps(term)[1:-1]
    return "%" + stored.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def deleted_entries(view, search: str = "", page: int = 0) -> tuple[list[AuditEntry], bool]:
    """The page's delete entries of records that are still gone, and whether more follow.
    A record whose id is in use again is not in the trash."""
    query = (select(AuditEntry)
             .where(AuditEntry.entity == view.model.__name__, AuditEntry.action == "delete")
             .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()))
    term = search.strip()
    if term:
        query = query.where(cast(AuditEntry.changes, String).ilike(_pattern(term), escape="!")
                            | (AuditEntry.object_id == term))
    rows = db.session.scalars(query.limit(PAGE_SIZE + 1).offset(page * PAGE_SIZE)).all()
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    pk = inspect(view.model).primary_key[0]
    ids = [r.object_id for r in rows if r.object_id.isdigit()]
    back = set(db.session.scalars(select(pk).where(pk.in_([int(i) for i in ids])))) \
        if ids else set()
    return [r for r in rows if not (r.object_id.isdigit() and int(r.object_id) in back)], more


def deleted_entry(entity: str, object_id: str) -> AuditEntry | None:
    """The entry of a record's last delete, if the record is deleted (its id unused)."""
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(1))
    return entry if entry is not None and entry.action == "delete" else None
