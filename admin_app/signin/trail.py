"""The sign-in trail: who tried to get in, from where, and what came of it (ASVS 7.1).

Rows are added to the caller's database session; the caller commits. Nothing secret is
written: the e-mail typed, never the password or a code.
"""

from flask import has_request_context, request

from admin_app.extensions import db
from admin_app.models.signin import SignInEvent

USER_AGENT_LENGTH = 255


def client_address() -> str | None:
    """The client's address: the peer's, or the one ProxyFix took from the trusted proxies."""
    return request.remote_addr if has_request_context() else None


def client_agent() -> str | None:
    if not has_request_context():
        return None
    return (request.user_agent.string or "")[:USER_AGENT_LENGTH] or None


def record(kind: str, email: str | None, user=None, actor: str | None = None) -> SignInEvent:
    event = SignInEvent(kind=kind, email=(email or "")[:255].lower() or None,
                        user_id=getattr(user, "id", None), ip=client_address(),
                        user_agent=client_agent(), actor=actor)
    db.session.add(event)
    return event
