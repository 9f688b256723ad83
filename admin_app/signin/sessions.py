"""Sessions that end (ASVS 3.3): each sign-in opens a row in `user_sessions`, and the session
cookie is honoured only while that row is open, younger than `GESTAO_SESSION_MAX_HOURS` and
used within the last `GESTAO_SESSION_IDLE_MINUTES`.

Flask keeps the session in a signed cookie, so a cookie copied before "Sair" would
otherwise stay valid for as long as it says; the row is the server's half. Logging out,
expiry, and the changes that should throw a user out everywhere (password, role,
deactivation, second factor) close rows, which refuses every copy of those cookies.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, flash, session
from flask_security import current_user, logout_user
from sqlalchemy import update

from admin_app.extensions import db
from admin_app.models.base import utcnow
from admin_app.models.signin import EXPIRED, LOGOUT, UserSession

from . import messages, trail

TOKEN_KEY = "_gestao_session"
#: `last_seen_at` is written at most this often per session (a write per request would
#: cost more than the check itself).
TOUCH_EVERY = timedelta(seconds=60)
IDLE, LIFETIME, REVOKED = "idle", "lifetime", "revoked"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["GESTAO_SESSION_IDLE_MINUTES"])


def lifetime_limit() -> timedelta:
    return timedelta(hours=current_app.config["GESTAO_SESSION_MAX_HOURS"])


def start(user) -> None:
    """Open the server-side session of a sign-in that just succeeded (the caller commits)."""
    token = secrets.token_urlsafe(32)
    session[TOKEN_KEY] = token
    session.permanent = True  # the cookie itself ends with the lifetime too
    db.session.add(UserSession(id=digest(token), user_id=user.id, ip=trail.client_address(),
                               user_agent=trail.client_agent()))


def current_id() -> str | None:
    token = session.get(TOKEN_KEY)
    return digest(token) if isinstance(token, str) else None


def why_ended(row: UserSession | None, now: datetime) -> str | None:
    """None while the session may go on; otherwise the reason it may not."""
    if row is None or row.ended_at is not None:
        return REVOKED
    if now - row.created_at > lifetime_limit():
        return LIFETIME
    if now - row.last_seen_at > idle_limit():
        return IDLE
    return None


def check_current_session() -> None:
    """Before each request: an authenticated user without an open, live session row is
    signed out, and told why; the view then sees an anonymous visitor."""
    if not current_user.is_authenticated:
        return
    now = utcnow()
    session_id = current_id()
    row = db.session.get(UserSession, session_id) if session_id else None
    reason = why_ended(row, now)
    if reason is None:
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
            db.session.commit()
        return
    if row is not None and row.ended_at is None:
        row.ended_at, row.ended_reason = now, reason
        trail.record(EXPIRED, current_user.email, current_user)
        db.session.commit()
    logout_user()
    session.pop(TOKEN_KEY, None)
    _tell_why(reason)


def _tell_why(reason: str) -> None:
    if reason == IDLE:
        text = messages.SESSION_ENDED[IDLE] % {
            "minutes": current_app.config["GESTAO_SESSION_IDLE_MINUTES"]}
    elif reason == LIFETIME:
        text = messages.SESSION_ENDED[LIFETIME] % {
            "hours": current_app.config["GESTAO_SESSION_MAX_HOURS"]}
    else:
        text = str(messages.SESSION_REVOKED)
    flash(text, "info")


def end_current(user) -> None:
    """On logout: the session's row closes, so a copy of its cookie is refused. Commits."""
    session_id = current_id()
    session.pop(TOKEN_KEY, None)
    if session_id is None:
        return
    ended = db.session.execute(
        update(UserSession).where(UserSession.id == session_id,
                                  UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason="logout")).rowcount
    if ended:
        trail.record(LOGOUT, user.email, user)
    db.session.commit()


def end_all(user_id: int, reason: str, keep_current: bool = False) -> int:
    """Close every open session of a user (all but this request's one with `keep_current`);
    the caller commits, so the change that caused it and the closing land together."""
    statement = (update(UserSession)
                 .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                 .values(ended_at=utcnow(), ended_reason=reason[:20]))
    current = current_id() if keep_current else None
    if current:
        statement = statement.where(UserSession.id != current)
    return db.session.execute(statement).rowcount
