"""The database environments the panel watches, from ``instance/environments.toml``.

```toml
[environments.development]
url = "sqlite:///instance/gestao.db"     # relative SQLite paths: from the project root

[environments.staging]
url_env = "STAGING_DATABASE_URL"          # the URL is read from this environment variable

[environments.production]
url_env = "PRODUCTION_DATABASE_URL"
production = true
follows = "staging"                       # promotion order: nothing reaches production
                                          # before staging has applied it
```

The file's path can be changed with ``GESTAO_ENVIRONMENTS`` (an app setting, read from the
environment by config.py). With no file, the app's own database is the only environment. A
malformed file is reported as a :class:`ConfigError` (never raised), so callers can show it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from admin_app.config import normalise_database_url

ENV_VAR = "GESTAO_ENVIRONMENTS"
FILENAME = "environments.toml"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALLOWED_KEYS = frozenset({"url", "url_env", "production", "follows"})

#: Problems of a single environment (shown as its error, the others still checked).
MISSING_VARIABLE = "missing_variable"
INVALID_URL = "invalid_url"


@dataclass(frozen=True)
class ConfigError:
    """Why the environments file could not be used: where, and what is wrong."""

    path: str
    detail: str

    def message(self) -> str:
        from admin_app.i18n import gettext

        return gettext("The environments file %(path)s is invalid: %(detail)s",
                       path=self.path, detail=self.detail)

    def __str__(self) -> str:
        return f"The environments file {self.path} is invalid: {self.detail}"


@dataclass(frozen=True)
class Environment:
    """One database to watch. ``url`` holds any password: never show it, use ``masked_url``."""

    name: str
    url: str | None = field(default=None, repr=False)
    production: bool = False
    url_env: str | None = None
    problem: str | None = None
    #: The environment this one is promoted from (``follows = "staging"``).
    follows: str | None = None

    @property
    def masked_url(self) -> str:
        return mask_url(self.url) if self.url else ""

    @property
    def password(self) -> str | None:
        return url_password(self.url)

    @property
    def dialect(self) -> str | None:
        try:
            return make_url(self.url).get_backend_name() if self.url else None
        except ArgumentError:
            return None


@dataclass
class EnvironmentsConfig:
    environments: list[Environment]
    path: Path
    from_file: bool
    error: ConfigError | None = None

    def get(self, name: str) -> Environment | None:
        return next((e for e in self.environments if e.name == name), None)

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.environments]


def mask_url(url: str | None) -> str:
    """The URL with its password replaced by ``***``; an unparsable URL is never echoed."""
    if not url:
        return ""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(invalid URL)"


def url_password(url: str | None) -> str | None:
    if not url:
        return None
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        return None
    return str(password) if password else None


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` with every given secret replaced: for error messages that might echo one."""
    for secret in secrets:
        if secret and len(secret) >= 2:
            text = text.replace(secret, "***")
    return text


def sqlite_file(url) -> str | None:
    """The file a SQLite URL (text or URL) names; None for an in-memory database, a
    ``file:`` URI or another database."""
    url = make_url(url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return None
    return database


def resolve_url(raw: str, base_dir: Path = PROJECT_ROOT) -> str:
    """psycopg 3 for PostgreSQL; relative SQLite paths taken from ``base_dir``."""
    url = make_url(normalise_database_url(raw.strip()))
    database = sqlite_file(url)
    if database is not None and not Path(database).is_absolute():
        url = url.set(database=str(base_dir / database))
    return url.render_as_string(hide_password=False)


def environments_path(app_config=None, instance_path: str | None = None) -> Path:
    """``GESTAO_ENVIRONMENTS`` of the app's settings (config.py), else instance/'s file."""
    configured = (app_config or {}).get(ENV_VAR)
    if configured:
        return Path(configured)
    return Path(instance_path or PROJECT_ROOT / "instance") / FILENAME


def app_environment(app) -> Environment:
    """The app's own database, named after GESTAO_ENV (development unless configured)."""
    env_name = str(app.config.get("GESTAO_ENV") or "development")
    return Environment(name=env_name, url=app.config["SQLALCHEMY_DATABASE_URI"],
                       production=env_name == "production")


def load_environments(path: Path, default: Environment | None = None,
                      environ=os.environ, base_dir: Path = PROJECT_ROOT) -> EnvironmentsConfig:
    """Read ``path``. No file: only ``default``. A malformed file: no environments and
    ``error`` set; a single environment's missing variable or bad URL: its ``problem``."""
    path = Path(path)
    if not path.exists():
        return EnvironmentsConfig([default] if default else [], path, from_file=False)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        return _broken(path, f"TOML syntax: {exc}")
    except OSError as exc:
        return _broken(path, f"cannot be read ({exc.strerror or exc})")

    tables = data.get("environments")
    if not isinstance(tables, dict) or not tables:
        return _broken(path, "it needs at least one [environments.NAME] table")
    unknown = sorted(set(data) - {"environments"})
    if unknown:
        return _broken(path, "unknown top-level key(s): " + ", ".join(unknown))

    environments = []
    for name, spec in tables.items():
        problem = _invalid(name, spec)
        if problem:
            return _broken(path, problem)
        environments.append(_environment(name, spec, spec.get("production", False), environ,
                                         base_dir))
    problem = _bad_follows(tables)
    if problem:
        return _broken(path, problem)
    return EnvironmentsConfig(environments, path, from_file=True)


def _bad_follows(tables: dict) -> str | None:
    """``follows`` must name another environment of the file, without a cycle."""
    for name, spec in tables.items():
        follows = spec.get("follows")
        if follows is None:
            continue
        if follows not in tables or follows == name:
            return (f"[environments.{name}] follows must name another environment of the "
                    f"file (got {follows!r})")
        seen, current = {name}, follows
        while current is not None:
            if current in seen:
                return f"[environments.{name}] follows: the chain of follows is a cycle"
            seen.add(current)
            current = tables[current].get("follows")
    return None


def _invalid(name: str, spec) -> str | None:
    """What is wrong with one [environments.NAME] table, or None."""
    if not isinstance(spec, dict):
        return f"[environments.{name}] must be a table"
    extra = sorted(set(spec) - ALLOWED_KEYS)
    if extra:
        return (f"[environments.{name}] has unknown key(s): " + ", ".join(extra)
                + " (allowed: url, url_env, production, follows)")
    if ("url" in spec) == ("url_env" in spec):
        return f"[environments.{name}] needs exactly one of url or url_env"
    if not isinstance(spec.get("production", False), bool):
        return f"[environments.{name}] production must be true or false"
    for key in ("url", "url_env", "follows"):
        if key in spec and (not isinstance(spec[key], str) or not spec[key].strip()):
            return f"[environments.{name}] {key} must be a non-empty string"
    return None


def _environment(name, spec, production, environ, base_dir) -> Environment:
    url_env = spec.get("url_env")
    follows = spec.get("follows")
    raw = spec.get("url") if url_env is None else environ.get(url_env)
    if not raw:
        return Environment(name=name, production=production, url_env=url_env,
                           problem=MISSING_VARIABLE, follows=follows)
    try:
        url = resolve_url(raw, base_dir)
    except (ArgumentError, ValueError):
        return Environment(name=name, production=production, url_env=url_env,
                           problem=INVALID_URL, follows=follows)
    return Environment(name=name, url=url, production=production, url_env=url_env,
                       follows=follows)


def _broken(path: Path, detail: str) -> EnvironmentsConfig:
    return EnvironmentsConfig([], path, from_file=True, error=ConfigError(str(path), detail))


def for_app(app) -> EnvironmentsConfig:
    """The environments of this app: its configured file, or its own database."""
    path = environments_path(app.config, app.instance_path)
    return load_environments(path, default=app_environment(app))
