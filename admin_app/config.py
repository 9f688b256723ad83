"""Settings read from the environment; production refuses unsafe defaults."""

import base64
import hashlib
import hmac
import os
import secrets
from datetime import timedelta
from pathlib import Path

#: The shortest password accepted anywhere (sign-up, the Users screen, the command line).
MIN_PASSWORD_LENGTH = 10

PRODUCTION_NAMES = {"production", "prod"}


class UnsafeConfiguration(RuntimeError):
    """Raised at start-up when production would run with development settings."""


class InvalidSetting(UnsafeConfiguration):
    """Raised at start-up for a setting the app cannot read (a word where a number goes)."""


def _number(environ, name: str, default, minimum=1, kind=int, words="a whole number"):
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise InvalidSetting(f"{name} must be {words}, not {raw!r}") from None
    if value < minimum:
        raise InvalidSetting(f"{name} must be at least {minimum}, not {value}")
    return value


def _whole_number(environ, name: str, default: int, minimum: int = 1) -> int:
    return _number(environ, name, default, minimum)


def _seconds(environ, name: str, default: float) -> float:
    return _number(environ, name, default, 0, float, "a number of seconds")


def _role_list(environ, production: bool) -> list[str]:
    """GESTAO_2FA_REQUIRED_ROLES: comma-separated roles; unset means `admin` in production
    and none elsewhere; set but empty turns the requirement off."""
    raw = environ.get("GESTAO_2FA_REQUIRED_ROLES")
    if raw is None:
        return ["admin"] if production else []
    return [name.strip() for name in raw.split(",") if name.strip()]


def _derived_key(secret_key: str, purpose: str) -> str:
    """A key of its own for each purpose, derived from SECRET_KEY (nothing more to keep)."""
    digest = hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


def two_factor_settings(secret_key: str, environ, production: bool) -> dict:
    """Flask-Security-Too's two-factor: authenticator app and recovery codes."""
    return {
        "GESTAO_2FA_REQUIRED_ROLES": _role_list(environ, production),
        "SECURITY_TWO_FACTOR": True,
        "SECURITY_TWO_FACTOR_ENABLED_METHODS": ["authenticator"],
        "SECURITY_TWO_FACTOR_RESCUE_EMAIL": False,  # no mail here: `users reset-2fa`
        "SECURITY_TOTP_ISSUER": "Gestão Admin",
        "SECURITY_TOTP_SECRETS": {"1": _derived_key(secret_key, "gestao-totp-secrets")},
        "SECURITY_MULTI_FACTOR_RECOVERY_CODES": True,
        "SECURITY_MULTI_FACTOR_RECOVERY_CODES_N": 8,
        "SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS": [
            _derived_key(secret_key, "gestao-recovery-codes")],
    }


def sign_in_settings(environ, production: bool) -> dict:
    """Lockout, rate limit, two-factor and session limits (README: "Sign-in and sessions")."""
    idle = _whole_number(environ, "GESTAO_SESSION_IDLE_MINUTES", 30)
    max_hours = _whole_number(environ, "GESTAO_SESSION_MAX_HOURS", 12)
    reauth = _whole_number(environ, "GESTAO_REAUTH_MINUTES", 10)
    return {
        "GESTAO_LOGIN_MAX_FAILURES": _whole_number(environ, "GESTAO_LOGIN_MAX_FAILURES", 5),
        "GESTAO_LOGIN_LOCK_MINUTES": _whole_number(environ, "GESTAO_LOGIN_LOCK_MINUTES", 15),
        "GESTAO_TRUSTED_PROXIES": _whole_number(environ, "GESTAO_TRUSTED_PROXIES", 0, 0),
        "GESTAO_SESSION_IDLE_MINUTES": idle,
        "GESTAO_SESSION_MAX_HOURS": max_hours,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=max_hours),
        # Re-authentication before the sensitive actions (admin/access.py): the password typed
        # within these minutes; each such action then gives a few more minutes of grace, so
        # a form opened fresh is not refused when it is sent.
        "GESTAO_REAUTH_MINUTES": reauth,
        "SECURITY_FRESHNESS": timedelta(minutes=reauth),
        "SECURITY_FRESHNESS_GRACE_PERIOD": timedelta(minutes=min(5, reauth)),
        # Flask-Limiter: per client address on the sign-in, two-factor and password forms.
        "GESTAO_SIGN_IN_RATE_LIMIT": environ.get("GESTAO_SIGN_IN_RATE_LIMIT",
                                                 "10 per minute; 100 per hour"),
        # memory:// counts per process; several workers or hosts share redis://host:6379/N.
        "RATELIMIT_STORAGE_URI": environ.get("GESTAO_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": environ.get("GESTAO_RATELIMIT_KEY_PREFIX", "gestao"),
        "RATELIMIT_HEADERS_ENABLED": True,
    }


def transfer_settings(environ) -> dict:
    """Limits of an import (README: "Data in and out")."""
    max_mb = _whole_number(environ, "GESTAO_IMPORT_MAX_MB", 20)
    return {
        "GESTAO_IMPORT_MAX_ROWS": _whole_number(environ, "GESTAO_IMPORT_MAX_ROWS", 200_000),
        "GESTAO_IMPORT_MAX_MB": max_mb,
        # no request body past the import's limit (and the form around it) is even read
        "MAX_CONTENT_LENGTH": (max_mb + 1) * 1024 * 1024,
        # files between an import's preview and its apply (default: instance/imports)
        "GESTAO_IMPORT_DIR": environ.get("GESTAO_IMPORT_DIR"),
        # imports and exports of more lines than this run in the worker (admin_app/jobs/)
        "GESTAO_JOB_ROWS": _whole_number(environ, "GESTAO_JOB_ROWS", 10_000),
        "GESTAO_EXPORT_DIR": environ.get("GESTAO_EXPORT_DIR"),
        # big jobs run in the request, not the worker (the tests)
        "GESTAO_JOBS_INLINE": environ.get("GESTAO_JOBS_INLINE", "").lower() in ("1", "true"),
    }


def migration_settings(environ) -> dict:
    """Where the migration tools look (README: "Migrations"); unset means their default."""
    return {
        # the environments' file (default: instance/environments.toml)
        "GESTAO_ENVIRONMENTS": environ.get("GESTAO_ENVIRONMENTS"),
        # backups made before an upgrade (default: instance/backups)
        "GESTAO_BACKUP_DIR": environ.get("GESTAO_BACKUP_DIR"),
        # the migration scripts the status reads (default: the app's migrations/)
        "GESTAO_MIGRATIONS_DIR": environ.get("GESTAO_MIGRATIONS_DIR"),
        # PostgreSQL: how long a step of `migrations upgrade` waits for a table lock before
        # giving up (then retried), and the longest a statement may run (0: no limit)
        "GESTAO_MIGRATION_LOCK_TIMEOUT": _seconds(environ, "GESTAO_MIGRATION_LOCK_TIMEOUT", 5),
        "GESTAO_MIGRATION_STATEMENT_TIMEOUT": _seconds(
            environ, "GESTAO_MIGRATION_STATEMENT_TIMEOUT", 0),
        "GESTAO_MIGRATION_LOCK_RETRIES": _whole_number(
            environ, "GESTAO_MIGRATION_LOCK_RETRIES", 3, 0),
        # the bearer token a Prometheus scraper sends to /metrics (unset: no /metrics)
        "GESTAO_METRICS_TOKEN": environ.get("GESTAO_METRICS_TOKEN") or None,
    }


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
        **sign_in_settings(environ, production),
        **transfer_settings(environ),
        **migration_settings(environ),
        **two_factor_settings(secret_key, environ, production),
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
        "SECURITY_DEFAULT_REMEMBER_ME": False,
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
        "SECURITY_PASSWORD_LENGTH_MIN": MIN_PASSWORD_LENGTH,
        "SECURITY_EMAIL_VALIDATOR_ARGS": {"check_deliverability": False},
        # Flask-Admin
        "FLASK_ADMIN_FLUID_LAYOUT": True,
        "WTF_CSRF_TIME_LIMIT": None,
    }
