"""Lockout per e-mail (ASVS 2.2.1): after `GESTAO_LOGIN_MAX_FAILURES` failed sign-ins within
`WINDOW`, that e-mail is refused for `GESTAO_LOGIN_LOCK_MINUTES`, right password or not.

Counted per e-mail typed, known or not, so an unknown address locks exactly like a known
one. The counter lives in the database (rows locked FOR UPDATE on PostgreSQL), so every
worker and host shares it.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from admin_app.extensions import db
from admin_app.models.base import utcnow
from admin_app.models.signin import LOCKED, UNLOCKED, LoginLockout

from . import trail

WINDOW = timedelta(minutes=15)
EMAIL_LENGTH = 255


def normalise(email) -> str:
    return str(email or "").strip().lower()[:EMAIL_LENGTH]


def lock_duration() -> timedelta:
    return timedelta(minutes=current_app.config["GESTAO_LOGIN_LOCK_MINUTES"])


def locked_until(email: str) -> datetime | None:
    """When the lock on this e-mail ends, or None when it is not locked now."""
    row = db.session.get(LoginLockout, normalise(email))
    if row is not None and row.locked_until is not None and row.locked_until > utcnow():
        return row.locked_until
    return None


def record_failure(email: str, user=None) -> bool:
    """Count one failed sign-in; True when this failure locked the e-mail. Commits."""
    email = normalise(email)
    for attempt in range(2):
        try:
            locked = _count(email)
            if locked:
                trail.record(LOCKED, email, user)
            db.session.commit()
            return locked
        except IntegrityError:  # another worker created the row first: count on it
            db.session.rollback()
            if attempt:
                raise
    return False


def _count(email: str) -> bool:
    now = utcnow()
    row = db.session.get(LoginLockout, email, with_for_update=True)
    if row is None:
        row = LoginLockout(email=email, failures=0, window_started_at=now)
        db.session.add(row)
    lock_over = row.locked_until is not None and row.locked_until <= now
    if lock_over or row.window_started_at <= now - WINDOW:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= current_app.config["GESTAO_LOGIN_MAX_FAILURES"] \
            and row.locked_until is None:
        row.locked_until = now + lock_duration()
        db.session.flush()
        return True
    db.session.flush()
    return False


def clear(email: str) -> None:
    """A successful sign-in starts the count afresh (the caller commits)."""
    row = db.session.get(LoginLockout, normalise(email))
    if row is not None:
        db.session.delete(row)


def unlock(email: str, actor: str | None, user=None) -> bool:
    """Lift the lock and reset the count; False when the e-mail was not locked. Commits."""
    was_locked = locked_until(email) is not None
    row = db.session.get(LoginLockout, normalise(email))
    if row is not None:
        db.session.delete(row)
    if was_locked:
        trail.record(UNLOCKED, normalise(email), user, actor=actor)
    db.session.commit()
    return was_locked


def locked_emails(emails) -> dict[str, datetime]:
    """e-mail -> locked until, for those of `emails` locked now (one query, for lists)."""
    wanted = [normalise(e) for e in emails]
    if not wanted:
        return {}
    rows = db.session.scalars(db.select(LoginLockout).where(
        LoginLockout.email.in_(wanted), LoginLockout.locked_until > utcnow()))
    return {row.email: row.locked_until for row in rows}
