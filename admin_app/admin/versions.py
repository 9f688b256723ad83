"""A record as it was at one of its versions, rebuilt from its audit entries: the create
entry holds every field it was created with, each update the new value of what changed.
Read only; restore_version.py and restore_deleted.py decide what to do with it."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import Date, DateTime, Numeric

from admin_app.models import AuditEntry


@dataclass
class VersionState:
    """The stored values (as the audit trail writes them) of a record at one version.

    `complete`: the history starts with the record's creation, so a column not in `values`
    was empty. Otherwise (a record created before the trail kept it) only the columns some
    change recorded are known. Secret fields are never in `values`."""

    number: int
    values: dict = field(default_factory=dict)
    complete: bool = False
    entry: AuditEntry | None = None

    def knows(self, key: str) -> bool:
        return key in self.values or self.complete

    def value(self, key: str):
        return self.values.get(key)


def _known_values(changes: dict | None, side: str) -> dict:
    return {key: change.get(side) for key, change in (changes or {}).items()
            if isinstance(change, dict) and not change.get("secret")}


def state_at(entries: list[AuditEntry], number: int) -> VersionState | None:
    """The record at version `number`, from its entries oldest first; None when no entry
    (other than a delete) carries that number."""
    state = VersionState(number)
    for entry in entries:
        if entry.action == "create":
            state.values = _known_values(entry.changes, "new")
            state.complete = True
        elif entry.action == "update":
            state.values.update(_known_values(entry.changes, "new"))
        if entry.version == number and entry.action != "delete":
            state.entry = entry
            return state
    return None


def deleted_state(entry: AuditEntry) -> VersionState:
    """A deleted record as its delete entry holds it: every field it had (the delete
    snapshot leaves out the empty ones), secrets excepted."""
    return VersionState(entry.version or 0, _known_values(entry.changes, "old"), True, entry)


def python_value(column, stored):
    """An audit value (JSON: text for decimals and dates) back into the column's type.
    Raises ValueError for a value the column cannot hold any more."""
    if stored is None:
        return None
    try:
        if isinstance(column.type, DateTime):
            return datetime.fromisoformat(stored)
        if isinstance(column.type, Date):
            return date.fromisoformat(stored)
        if isinstance(column.type, Numeric):
            return Decimal(str(stored))
    except (TypeError, InvalidOperation) as exc:
        raise ValueError(stored) from exc
    return stored


def restorable_versions(entries: list[AuditEntry], current: int | None) -> set[int]:
    """The version numbers a record's history page offers to restore: every earlier one
    an entry carries (a delete entry repeats the number before it)."""
    return {e.version for e in entries
            if e.version is not None and e.action != "delete" and e.version != current}
