"""Who is writing: the signed-in user of the request, else the system (the command line,
the seeder, the worker). The audit trail and the stock movements sign with it."""

from flask import has_request_context

SYSTEM_ACTOR = "sistema"


def current_actor() -> tuple[int | None, str]:
    """The writer's user id (None for the system) and the name the audit trail shows."""
    if has_request_context():
        from flask_security import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id, current_user.email
    return None, SYSTEM_ACTOR
