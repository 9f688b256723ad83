"""The single writer of the audit trail.

One session listener covers every mapped model, including ones added later: after each
flush it writes, through the same connection and so in the same transaction, one row per
created, updated or deleted object with each changed field's old and new value. A failed
flush or a rollback takes the audit rows with it.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, event, insert, inspect
from sqlalchemy.orm import Session

from .extensions import AppSession
from .models.audit import AuditEntry
from .models.base import utcnow
from .models.signin import SignInBase
from .writer import current_actor

CREATE, UPDATE, DELETE = "create", "update", "delete"
#: Fields recorded as changed but never with their values.
SECRET_FIELDS = frozenset({"password", "tf_totp_secret", "us_totp_secrets", "fs_uniquifier",
                           "mf_recovery_codes", "fs_webauthn_user_handle"})
#: Bookkeeping fields whose changes say nothing to a person.
IGNORED_FIELDS = frozenset({"version", "updated_at", "update_datetime", "created_at",
                            "create_datetime", "last_login_at", "current_login_at",
                            "last_login_ip", "current_login_ip", "login_count"})
SECRET_MARK = "••••••"


def _plain(value):
    """A JSON-safe rendering of a column value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return str(value)


#: session.info keys a writer sets to sign the changes of its transaction: an import's id,
#: and who ran it when that is not the request's user (a worker, the command line).
IMPORT_KEY, ACTOR_KEY = "audit_import_id", "audit_actor"
#: session.info key a restore sets: the version it brings back, written on its entries.
RESTORED_KEY = "audit_restored_version"


def _audited(obj) -> bool:
    """Records people edit; not the audit rows themselves, nor the sign-in bookkeeping
    (sessions, lockouts, the sign-in trail: models/signin.py), which has a trail of its own."""
    return not isinstance(obj, (AuditEntry, SignInBase)) and getattr(obj, "__audited__", True)


def _object_id(obj) -> str:
    """The primary key (available for new objects too: after_flush runs after the INSERT)."""
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return "-".join(str(v) for v in key)


def _stored_columns(mapper):
    """Column attributes backed by a table column (not derived ones such as Order.total),
    without the stored derived ones marked `info={"audit": False}` (Order.items_total)."""
    return [attr for attr in mapper.column_attrs if isinstance(attr.columns[0], Column)
            and attr.columns[0].info.get("audit", True)]


def _update_diff(obj) -> dict:
    state = inspect(obj)
    diff = {}
    for attr in _stored_columns(state.mapper):
        key = attr.key
        if key in IGNORED_FIELDS:
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        diff[key] = _entry(key, old, new)
    for rel in state.mapper.relationships:
        if rel.secondary is None:
            continue  # foreign keys already show the change of a many-to-one
        history = state.attrs[rel.key].history
        if history.added or history.deleted:
            old = sorted(str(v) for v in (history.unchanged + history.deleted))
            new = sorted(str(v) for v in (history.unchanged + history.added))
            diff[rel.key] = {"old": old, "new": new}
    return diff


def _entry(key, old, new) -> dict:
    if key in SECRET_FIELDS:
        return {"old": SECRET_MARK if old else None, "new": SECRET_MARK if new else None,
                "secret": True}
    return {"old": _plain(old), "new": _plain(new)}


def _snapshot(obj, created: bool) -> dict:
    """Every non-empty field of a created (new values) or deleted (old values) object."""
    state = inspect(obj)
    values = {}
    for attr in _stored_columns(state.mapper):
        value = state.dict.get(attr.key)
        if attr.key in IGNORED_FIELDS or value is None:
            continue
        values[attr.key] = _entry(attr.key, None, value) if created else \
            _entry(attr.key, value, None)
    return values


def _rows(session: Session) -> list[dict]:
    user_id, actor = session.info.get(ACTOR_KEY) or current_actor()
    import_id = session.info.get(IMPORT_KEY)
    restored = session.info.get(RESTORED_KEY)
    now = utcnow()
    rows = []

    def add(action, obj, changes):
        rows.append({"created_at": now, "user_id": user_id, "actor": actor, "action": action,
                     "entity": type(obj).__name__, "object_id": _object_id(obj),
                     "changes": changes, "import_id": import_id,
                     "version": inspect(obj).dict.get("version"),
                     "restored_version": restored if action != DELETE else None})

    for obj in session.new:
        if _audited(obj):
            add(CREATE, obj, _snapshot(obj, created=True))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj):
            diff = _update_diff(obj)
            if diff:
                add(UPDATE, obj, diff)
    for obj in session.deleted:
        if _audited(obj):
            add(DELETE, obj, _snapshot(obj, created=False))
    return rows


@event.listens_for(AppSession, "after_flush")
def record_changes(session: Session, flush_context) -> None:
    rows = _rows(session)
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)
