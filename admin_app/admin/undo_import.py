"""Undo an import as a whole: the records it created are deleted, the ones it changed get
their values from before it back — in one transaction, through the session (rules and
audit trail hold), and only when none of its records changed since. Otherwise the refusal
names the records that did, and nothing changes."""

from dataclasses import dataclass

from sqlalchemy import func, inspect, select

from admin_app.audit import SECRET_FIELDS
from admin_app.extensions import db
from admin_app.models import AuditEntry
from admin_app.models.transfer import APPLIED, UNDONE, ImportRun

from .history import record_entries
from .references import blocking_references
from .restore_save import save_restore
from .restore_text import RestoreRefused
from .versions import python_value, state_at

#: How many records a refusal names (then "and N more").
NAMED = 10
CHUNK = 500


@dataclass
class UndoneImport:
    run: ImportRun
    deleted: int = 0
    reverted: int = 0


def import_entries(run: ImportRun) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.import_id == run.id)
                              .order_by(AuditEntry.id)).all()


def _changed_since(entries: list[AuditEntry]) -> list[AuditEntry]:
    """The import's entries whose record has a later entry (someone changed it since)."""
    later = []
    by_entity: dict[str, dict[str, AuditEntry]] = {}
    for entry in entries:
        by_entity.setdefault(entry.entity, {})[entry.object_id] = entry
    for entity, mine in by_entity.items():
        ids = list(mine)
        for start in range(0, len(ids), CHUNK):
            rows = db.session.execute(
                select(AuditEntry.object_id, func.max(AuditEntry.id))
                .where(AuditEntry.entity == entity,
                       AuditEntry.object_id.in_(ids[start:start + CHUNK]))
                .group_by(AuditEntry.object_id))
            later += [mine[object_id] for object_id, newest in rows
                      if newest != mine[object_id].id]
    return later


def _names(model, entries: list[AuditEntry]) -> str:
    shown = []
    for entry in entries[:NAMED]:
        record = db.session.get(model, int(entry.object_id)) if entry.object_id.isdigit() \
            else None
        shown.append(f"{record} (#{entry.object_id})" if record is not None
                     else f"#{entry.object_id}")
    more = len(entries) - NAMED
    return ", ".join(shown) + (f" (+{more})" if more > 0 else "")


def _value_before(model, entry: AuditEntry, key: str, change: dict):
    """The value a field had before the import changed it. The entry's "old" side is
    trusted unless empty (an attribute set without being loaded records no old value):
    then the record's history before the import says."""
    column = inspect(model).columns[key]
    if change.get("old") is not None:
        return python_value(column, change["old"])
    before = [e for e in record_entries(entry.entity, entry.object_id) if e.id < entry.id]
    state = state_at(before, before[-1].version) if before and before[-1].version else None
    if state is None or not state.knows(key):
        raise RestoreRefused("IMPORT_UNKNOWN_BEFORE", record=f"#{entry.object_id}", field=key)
    return python_value(column, state.value(key))


def _undo_plan(model, run: ImportRun, entries: list[AuditEntry]) -> list[tuple]:
    """[(record, None)] to delete what the import created, [(record, {key: value before})]
    to give back what it changed."""
    columns = inspect(model).columns
    plan = []
    for entry in entries:
        record = db.session.get(model, int(entry.object_id))
        if record is None:
            continue
        if entry.action == "create":
            if blocking_references(record):
                raise RestoreRefused("IMPORT_RECORD_IN_USE", id=run.id, record=record)
            plan.append((record, None))
        elif entry.action == "update":
            plan.append((record, {key: _value_before(model, entry, key, change)
                                  for key, change in (entry.changes or {}).items()
                                  if key not in SECRET_FIELDS and key in columns}))
    return plan


def undo_import(view, run: ImportRun) -> UndoneImport:
    """Undo `run` (an import into `view`'s list). Raises RestoreRefused."""
    if run.status != APPLIED:
        raise RestoreRefused("IMPORT_NOT_APPLIED", id=run.id)
    model = view.model
    entries = [e for e in import_entries(run) if e.entity == model.__name__]
    changed = _changed_since(entries)
    if changed:
        raise RestoreRefused("IMPORT_CHANGED_SINCE", id=run.id, count=len(changed),
                             records=_names(model, changed))
    plan = _undo_plan(model, run, entries)
    result = UndoneImport(run)

    def write():
        for record, values in plan:
            if values is None:
                db.session.delete(record)
                result.deleted += 1
                continue
            for key, value in values.items():
                setattr(record, key, value)
            result.reverted += 1
        run.status = UNDONE

    save_restore(view, run, None, write)
    return result
