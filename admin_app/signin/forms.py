"""The sign-in form: Flask-Security-Too's, with the lockout checked before the password.

Flask-Security's own `is_locked` hook runs only after the password was verified, so its
answer would tell a locked-out attacker that the password was right; this form refuses a
locked e-mail before looking at the password, with the same words for every e-mail.
"""

from flask import current_app
from flask_security import LoginForm, VerifyForm, hash_password

from admin_app.extensions import db
from admin_app.models.signin import FAILURE

from . import lockout, messages, sessions, trail

FIELD_LIMIT = 255


class GestaoLoginForm(LoginForm):
    #: No "remember me": a session ends with its idle and absolute limits (sessions.py).
    remember = None

    def validate(self, **kwargs) -> bool:
        email = lockout.normalise(self.email.data)
        password = self.password.data if isinstance(self.password.data, str) else ""
        if len(str(self.email.data or "")) > FIELD_LIMIT or len(password) > FIELD_LIMIT:
            self.form_errors.append(str(messages.FIELD_TOO_LONG))
            return False
        if email and lockout.locked_until(email):
            hash_password(password)  # as long as a password check: no timing hint
            self.form_errors.append(locked_message())
            trail.record(FAILURE, email, self._known_user(email))
            db.session.commit()
            return False
        if super().validate(**kwargs):
            lockout.clear(email)
            return True
        if email and password:
            trail.record(FAILURE, email, self.user)
            if lockout.record_failure(email, self.user):
                self.form_errors.append(locked_message())
        return False

    @staticmethod
    def _known_user(email):
        return current_app.extensions["security"].datastore.find_user(
            case_insensitive=True, email=email)


class GestaoVerifyForm(VerifyForm):
    """"Confirm your password" before a sensitive action (Flask-Security's freshness).

    A wrong password here counts toward the lockout like one at sign-in, and the failure
    that locks the account also ends its sessions: a borrowed session cannot be used to
    guess the password. A locked account is refused even the right one.
    """

    def validate(self, **kwargs) -> bool:
        password = self.password.data if isinstance(self.password.data, str) else ""
        if len(password) > FIELD_LIMIT:
            self.form_errors.append(str(messages.FIELD_TOO_LONG))
            return False
        email = lockout.normalise(self.user.email)
        if lockout.locked_until(email):
            self.form_errors.append(locked_message())
            return False
        if super().validate(**kwargs):
            return True
        if password:
            trail.record(FAILURE, email, self.user)
            if lockout.record_failure(email, self.user):
                sessions.end_all(self.user.id, "locked")
                db.session.commit()
                self.form_errors.append(locked_message())
        return False


def locked_message() -> str:
    return str(messages.LOCKED) % {"minutes": current_app.config["GESTAO_LOGIN_LOCK_MINUTES"]}
