"""The app's settings under test and where the PostgreSQL server is: read by the fixtures and
by the tests that build an app or a database of their own."""

import os
import tempfile
import uuid

PG_ADMIN_URL = os.environ.get("GESTAO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

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
