"""Settings read from the environment; production refuses unsafe defaults."""

import os
import secrets
from pathlib import Path

PRODUCTION_NAMES = {"production", "prod"}


class UnsafeConfiguration(RuntimeError):
    """Raised at start-up when production would run with development settings."""


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the URL came with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(instance_path: str, name: str) -> str:
    """A random development secret kept in instance/, so sessions survive restarts.

    Never a fixed value in the code: each checkout gets its own.
    """
    path = Path(instance_path) / f".{name.lower()}"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.write_text(value)
    path.chmod(0o600)
    return value


def is_production(environ=os.environ) -> bool:
    return environ.get("GESTAO_ENV", "development").lower() in PRODUCTION_NAMES


def build_config(instance_path: str, environ=os.environ) -> dict:
    """Everything the app needs from the environment, as one mapping."""
    production = is_production(environ)
    secret_key = environ.get("SECRET_KEY")
    salt = environ.get("SECURITY_PASSWORD_SALT")
    if production:
        missing = [n for n, v in (("SECRET_KEY", secret_key), ("SECURITY_PASSWORD_SALT", salt))
                   if not v or len(v) < 16 or v.startswith("dev")]
        if missing:
            raise UnsafeConfiguration(
                "Production refuses to start without strong values for: " + ", ".join(missing)
            )
    else:
        secret_key = secret_key or _instance_secret(instance_path, "SECRET_KEY")
        salt = salt or _instance_secret(instance_path, "SECURITY_PASSWORD_SALT")

    database_url = environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "gestao.db")
    )
    return {
        "GESTAO_ENV": "production" if production else environ.get("GESTAO_ENV", "development"),
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Sessions and cookies
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        # i18n
        "BABEL_DEFAULT_LOCALE": "pt_BR",
        "BABEL_DEFAULT_TIMEZONE": "America/Sao_Paulo",
        "LANGUAGES": {"pt_BR": "Português", "en": "English"},
        # Flask-Security-Too
        "SECURITY_PASSWORD_SALT": salt,
        # The project's additions to Flask-Security's pt_BR catalog, then the built-in one.
        "SECURITY_I18N_DIRNAME": [str(Path(__file__).parent / "translations"), "builtin"],
        "SECURITY_PASSWORD_HASH": "argon2",
        "SECURITY_REGISTERABLE": False,
        "SECURITY_CHANGEABLE": True,
        "SECURITY_TRACKABLE": True,
        "SECURITY_SEND_PASSWORD_CHANGE_EMAIL": False,
        "SECURITY_LOGOUT_METHODS": ["POST"],
        "SECURITY_POST_LOGIN_VIEW": "/admin/",
        "SECURITY_POST_LOGOUT_VIEW": "/login",
        "SECURITY_POST_CHANGE_VIEW": "/admin/",
        "SECURITY_USERNAME_ENABLE": False,
        "SECURITY_RETURN_GENERIC_RESPONSES": True,
        # An inactive account gets the same words as a wrong password: no hint which part failed.
        "SECURITY_MSG_DISABLED_ACCOUNT": (
            "Authentication failed - identity or password/passcode invalid", "error"),
        "SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS": False,
        # Cache-Control is set for every page by admin_app/headers.py (Flask-Security's own
        # rendered as the malformed `private=True, no-store=True`).
        "SECURITY_CACHE_CONTROL": None,
        "SECURITY_PASSWORD_LENGTH_MIN": 10,
        "SECURITY_EMAIL_VALIDATOR_ARGS": {"check_deliverability": False},
        # Flask-Admin
        "FLASK_ADMIN_FLUID_LAYOUT": True,
        "WTF_CSRF_TIME_LIMIT": None,
    }
