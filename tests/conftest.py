"""Fixtures: one database per backend per run (SQLite file, PostgreSQL created and dropped),
built by the real migrations; every test starts from empty tables. The helpers the tests call
are in tests/helpers/."""

import json
import os
import shutil
import uuid

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from admin_app import create_app
from admin_app.extensions import db
from tests.helpers.auth import Actors
from tests.helpers.clients import IsolatedClient
from tests.helpers.config import PG_ADMIN_URL, TEST_CONFIG, pg_url
from tests.helpers.migrations import MIGRATIONS

#: The real-browser tests' fixtures (browser, live: Debian's chromium and the served app).
pytest_plugins = ["tests.helpers.served"]


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def postgres_server():
    """PostgreSQL must be there in CI; elsewhere its absence skips the PostgreSQL half."""
    try:
        _pg_admin("SELECT 1")
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def make_database(tmp_path_factory, request):
    """A fresh empty database of the given backend; PostgreSQL ones are dropped at the end."""
    created = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "gestao.db")
        request.getfixturevalue("postgres_server")
        name = f"gestao_test_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        created.append(name)
        return pg_url(name).replace("postgresql://", "postgresql+psycopg://")

    yield make
    for name in created:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def _session_app(backend, make_database):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": make_database(backend)})
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        db.session.remove()
    return app


@pytest.fixture()
def app(_session_app):
    """The session's app with every table emptied: each test starts from nothing."""
    with _session_app.app_context():
        _empty_tables()
        yield _session_app
        db.session.remove()


def _empty_tables():
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def actors(app):
    return Actors(app)


@pytest.fixture()
def admin_client(actors):
    return actors("admin")


@pytest.fixture()
def editor_client(actors):
    return actors("editor")


@pytest.fixture()
def reader_client(actors):
    return actors("reader")


# -- the migration tests (test_migration_status.py, test_migration_safety.py) -------------------

@pytest.fixture()
def demo_database(backend, make_database, tmp_path):
    """A database of its own at the real head holding the demo data, and an app on it
    (test_batch_migrations.py, test_migration_plan.py)."""
    from admin_app.demo import seed_demo

    url = make_database(backend)
    demo_app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url,
                           "GESTAO_BACKUP_DIR": str(tmp_path / "backups")})
    with demo_app.app_context():
        upgrade(directory=str(MIGRATIONS))
        seed_demo()
        db.session.remove()
    return demo_app, url


@pytest.fixture()
def scripts_copy(tmp_path):
    """A copy of migrations/ (env.py included) that a test may add revisions to."""
    target = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture()
def configure(app, tmp_path, monkeypatch):
    """Point the app at an environments file (and optionally another scripts folder)."""
    def apply(environments: dict | None = None, raw: str | None = None, location=None):
        path = tmp_path / "environments.toml"
        if raw is None:
            lines = []
            for name, spec in (environments or {}).items():
                spec = {"url": spec} if isinstance(spec, str) else spec
                lines.append(f"[environments.{name}]")
                lines += [f"{k} = {json.dumps(v)}" for k, v in spec.items()]
            raw = "\n".join(lines) + "\n"
        path.write_text(raw, encoding="utf-8")
        monkeypatch.setitem(app.config, "GESTAO_ENVIRONMENTS", str(path))
        monkeypatch.setitem(app.config, "GESTAO_BACKUP_DIR", str(tmp_path / "backups"))
        if location is not None:
            monkeypatch.setitem(app.config, "GESTAO_MIGRATIONS_DIR", str(location))
        return path
    return apply
