"""Sign-in fit to face a network: lockout per e-mail, rate limit per client address,
sessions that end, and the sign-in trail, around Flask-Security-Too's own views.

`init_app` wires it: the login form (forms.py), Flask-Security's signals, a check of the
session before each request (sessions.py), Flask-Limiter on the forms that take a secret,
and ProxyFix when `GESTAO_TRUSTED_PROXIES` says how many proxies stand in front.
"""

from flask import Flask, flash, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import user_logged_out
from flask_security.signals import (password_changed, tf_code_confirmed, tf_profile_changed,
                                    user_authenticated, user_failed_authn)
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from admin_app.extensions import db
from admin_app.formats import short_datetime
from admin_app.models.signin import LOGIN, TF_FAILURE, TF_SETUP, SignInEvent

from . import lockout, messages, sessions, trail

#: Flask-Security endpoints that take a password or a code: rate limited per address.
SECRET_FORMS = ("security.login", "security.verify", "security.change_password",
                "security.two_factor_token_validation", "security.two_factor_setup",
                "security.two_factor_rescue", "security.mf_recovery",
                "security.mf_recovery_codes", "security.wan_signin",
                "security.wan_signin_response", "security.wan_verify_response")


def init_app(app: Flask) -> None:
    proxies = app.config["GESTAO_TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    user_authenticated.connect(_signed_in, app)
    user_logged_out.connect(_signed_out, app)
    password_changed.connect(_password_changed, app)
    user_failed_authn.connect(_second_factor_failed, app)
    tf_profile_changed.connect(_second_factor_set_up, app)
    tf_code_confirmed.connect(_second_factor_confirmed, app)
    app.before_request(sessions.check_current_session)
    _rate_limit(app)


def _rate_limit(app: Flask) -> None:
    if app.config["GESTAO_ENV"] == "production" \
            and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        app.logger.warning(
            "GESTAO_RATELIMIT_STORAGE_URI is memory://: each worker counts sign-in attempts "
            "on its own; set redis://host:6379/0 when several workers serve the panel.")
    limiter = Limiter(get_remote_address, app=app)
    shared = limiter.shared_limit(lambda: app.config["GESTAO_SIGN_IN_RATE_LIMIT"],
                                  scope="sign-in", methods=["POST"])
    for endpoint in SECRET_FORMS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = shared(app.view_functions[endpoint])
    app.extensions["gestao_limiter"] = limiter


def _signed_in(app, user, **kwargs) -> None:
    """A sign-in completed (after the second factor, when there is one)."""
    previous = db.session.scalars(
        select(SignInEvent).where(SignInEvent.user_id == user.id, SignInEvent.kind == LOGIN)
        .order_by(SignInEvent.created_at.desc(), SignInEvent.id.desc()).limit(1)).first()
    sessions.start(user)
    lockout.clear(user.email)
    trail.record(LOGIN, user.email, user)
    db.session.commit()
    if previous is None:
        flash(str(messages.FIRST_SIGN_IN), "info")
    else:
        flash(messages.LAST_SIGN_IN % {"when": short_datetime(previous.created_at),
                                       "ip": previous.ip or "?"}, "info")


def _signed_out(app, user, **kwargs) -> None:
    sessions.end_current(user)


def _password_changed(app, user, **kwargs) -> None:
    """The user changed their own password: every other browser of theirs is signed out."""
    sessions.end_all(user.id, "password", keep_current=True)
    db.session.commit()


def _second_factor_failed(app, user, auth_type=None, tfa=False, **kwargs) -> None:
    """A wrong second-factor code counts toward the lockout like a wrong password (the
    password failures are counted by the login form, which also sees unknown e-mails)."""
    if tfa:
        trail.record(TF_FAILURE, user.email, user)
        lockout.record_failure(user.email, user)


def _second_factor_set_up(app, user, method=None, **kwargs) -> None:
    trail.record(TF_SETUP, user.email, user)
    db.session.commit()


def _second_factor_confirmed(app, user, method=None, **kwargs) -> None:
    """Sent for every code confirmed at sign-in; one confirmed on the setup page reached
    from the sign-in (any state but "ready", Flask-Security's state of a set-up user) is
    the setup."""
    if session.get("tf_state") != "ready":
        _second_factor_set_up(app, user, method)
