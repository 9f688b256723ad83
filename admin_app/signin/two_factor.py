"""Two-factor sign-in (ASVS 2.8) with Flask-Security-Too's authenticator-app (TOTP) method and
its single-use recovery codes; this module adds only what the library leaves to the app.

- Which users must use it: the roles in `GESTAO_2FA_REQUIRED_ROLES` (User.check_tf_required,
  models/auth.py). Anyone may turn it on for themselves.
- Replay protection: Flask-Security verifies a code against the clock only; `ReplayGuardTotp`
  keeps each user's last accepted time step, so a code works once.
- The reset for a lost phone (`users reset-2fa EMAIL`).
"""

from flask import current_app
from flask_security import Totp

from admin_app.extensions import db
from admin_app.models.signin import TF_RESET, TotpCounter

from . import sessions, trail


class ReplayGuardTotp(Totp):
    """A code's time step must be later than the last one the user signed in with."""

    def get_last_counter(self, user) -> int | None:
        row = db.session.get(TotpCounter, user.id)
        return row.last_counter if row else None

    def set_last_counter(self, user, tmatch) -> None:
        row = db.session.get(TotpCounter, user.id)
        if row is None:
            db.session.add(TotpCounter(user_id=user.id, last_counter=tmatch.counter))
        else:
            row.last_counter = tmatch.counter
        db.session.flush()  # committed with the sign-in it completes


def reset(user, actor: str) -> None:
    """Forget the user's authenticator and recovery codes and sign them out everywhere: the
    next sign-in sets a new one up (when their role requires it). Commits."""
    datastore = current_app.extensions["security"].datastore
    datastore.tf_reset(user)
    datastore.mf_set_recovery_codes(user, None)
    counter = db.session.get(TotpCounter, user.id)
    if counter is not None:
        db.session.delete(counter)
    sessions.end_all(user.id, "second-factor")
    trail.record(TF_RESET, user.email, user, actor=actor)
    db.session.commit()
