"""Sign-in bookkeeping: lockout counters, the sessions a user has open, the sign-in trail.

Kept in the database so every worker and host sees the same state (a lockout in one
process's memory would let an attacker spread guesses over the others).

Mapped through a registry of their own that shares the app's metadata (as models/ops.py
does): Alembic sees the tables, but the generated-screens walk and the audit trail do not;
these rows are written by the sign-in itself, never edited by a person.
"""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from admin_app.extensions import db

from .base import utcnow

# Kinds of sign-in events (the trail).
LOGIN, FAILURE, LOCKED, UNLOCKED, LOGOUT, EXPIRED = (
    "login", "failure", "locked", "unlocked", "logout", "expired")
TF_SETUP, TF_RESET, TF_FAILURE = "tf_setup", "tf_reset", "tf_failure"
EVENT_KINDS = (LOGIN, FAILURE, LOCKED, UNLOCKED, LOGOUT, EXPIRED, TF_SETUP, TF_RESET,
               TF_FAILURE)


class SignInBase(DeclarativeBase):
    metadata = db.metadata


class LoginLockout(SignInBase):
    """Failed sign-ins per e-mail typed, known or not: an unknown address is counted and
    locked the same way, so the answers never tell which addresses have an account."""
    __tablename__ = "login_lockouts"

    #: The e-mail as typed, lower-cased and stripped.
    email: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, index=True)


class UserSession(SignInBase):
    """One signed-in browser. The session cookie carries a random token; this row, keyed
    by the token's SHA-256, is what makes the cookie valid: ending the row (logout, expiry,
    a password change) refuses the cookie everywhere, even a copy of it."""
    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Why it ended: logout, idle, lifetime, password, second factor, role, deactivated…
    ended_reason: Mapped[str | None] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))


class TotpCounter(SignInBase):
    """The last authenticator-app time step each user signed in with: a code is accepted
    once, never again (a code seen over someone's shoulder cannot be replayed)."""
    __tablename__ = "totp_counters"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    last_counter: Mapped[int] = mapped_column(Integer)


class SignInEvent(SignInBase):
    """The sign-in trail, read by administrators (Administração → Acessos)."""
    __tablename__ = "sign_in_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    #: The e-mail typed (or the account's), lower-cased; never a password.
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    #: Who did it when it is not the account itself (an administrator's unlock or reset).
    actor: Mapped[str | None] = mapped_column(String(255))
