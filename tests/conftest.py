"""Fixtures: one database per backend per run (SQLite file, PostgreSQL created and dropped),
built by the real migrations; every test starts from empty tables."""

import io
import os
import re
import tempfile
import uuid

import psycopg
import pytest
from flask import current_app
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_security import hash_password
from sqlalchemy import text
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import User

PG_ADMIN_URL = os.environ.get("GESTAO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "senha-de-teste-123"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-" + uuid.uuid4().hex,
    "SECURITY_PASSWORD_SALT": "test-salt-" + uuid.uuid4().hex,
    # argon2 with small costs: the same code path, faster logins.
    # Logins from 127.0.0.1 by the hundred: the rate limit has tests of its own.
    "RATELIMIT_ENABLED": False,
    # Files kept between an import's preview and its apply.
    "GESTAO_IMPORT_DIR": tempfile.mkdtemp(prefix="gestao-imports-"),
    "GESTAO_EXPORT_DIR": tempfile.mkdtemp(prefix="gestao-exports-"),
    # Jobs run at once in the test's process (test_jobs.py also runs a real worker).
    "GESTAO_JOBS_INLINE": True,
    "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {"argon2__rounds": 1,
                                               "argon2__memory_cost": 512},
}


def pg_url(dbname: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


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


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as under a real server.

    Tests hold an app context open (for factories and queries); without this, Flask would
    reuse it for every request, sharing `g` (the logged-in user, the CSRF token, the locale)
    and the database session between clients.
    """

    def open(self, *args, **kwargs):
        kwargs["buffered"] = True  # streamed responses finish inside their own context
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


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


def csrf_token(client) -> str:
    """The session's CSRF token, read from a page the way a browser gets it."""
    response = client.get("/login", follow_redirects=True)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match[1]


def make_user(email: str, role: str | None, active: bool = True) -> User:
    datastore = current_app.extensions["security"].datastore
    roles = []
    if role:
        roles = [datastore.find_or_create_role(name=role)]
    user = datastore.create_user(email=email, password=hash_password(PASSWORD), roles=roles,
                                 active=active)
    db.session.commit()
    return user


def log_in(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client)})


class Actors:
    """Clients logged in as each role (created on first use)."""

    def __init__(self, app):
        self.app = app
        self._clients = {}

    def __call__(self, role: str | None):
        if role in self._clients:
            return self._clients[role]
        client = self.app.test_client()
        if role is not None:
            make_user(f"{role}@teste.com.br", role)
            response = log_in(client, f"{role}@teste.com.br")
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self._clients[role] = client
        return client


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


def post_file(client, url: str, data: bytes, name: str):
    """POST a file with the page's CSRF token, the multipart body built in memory (the test
    client spools a big one to a temporary file it never closes)."""
    boundary, body = encode_multipart(MultiDict([
        ("csrf_token", csrf_token(client)), ("file", FileStorage(io.BytesIO(data), name))]))
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
