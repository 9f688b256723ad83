"""The "Lixeira" of a screen: its deleted records, newest first — who deleted each and when,
and what it held — read from the audit trail's delete entries. Searchable by any value the
record held. Restoring one is admin/restore_deleted.py."""

import json

from sqlalchemy import String, cast, exists, select
from sqlalchemy.orm import aliased

from admin_app.extensions import db
from admin_app.models import AuditEntry

PAGE_SIZE = 50


def _pattern(term: str) -> str:
    """LIKE pattern for a value as the audit trail's JSON stores it (non-ASCII letters as
    \\u escapes), its wildcards taken literally."""
    stored = json.dumps(term)[1:-1]
    return "%" + stored.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def deleted_entries(view, search: str = "", page: int = 0) -> tuple[list[AuditEntry], bool]:
    """The page's delete entries of records that are still gone (no later entry: not
    restored since), and whether more follow."""
    later = aliased(AuditEntry)
    query = (select(AuditEntry)
             .where(AuditEntry.entity == view.model.__name__, AuditEntry.action == "delete",
                    ~exists().where(later.entity == AuditEntry.entity,
                                    later.object_id == AuditEntry.object_id,
                                    later.id > AuditEntry.id))
             .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()))
    term = search.strip()
    if term:
        # the PostgreSQL trigram index search_audit_entries_deleted_changes serves this match
        query = query.where(cast(AuditEntry.changes, String).ilike(_pattern(term), escape="!")
                            | (AuditEntry.object_id == term))
    rows = db.session.scalars(query.limit(PAGE_SIZE + 1).offset(page * PAGE_SIZE)).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def deleted_entry(entity: str, object_id: str) -> AuditEntry | None:
    """The entry of a record's last delete, if the record is deleted (its id unused)."""
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(1))
    return entry if entry is not None and entry.action == "delete" else None
