"""The migration history, on SQLite and PostgreSQL, each test on its own fresh database.

* pytest-alembic's built-in tests (single head, upgrade, up/down consistency, models match
  the DDL) plus a stairway, run through the Flask-Migrate configuration inside an app
  context (``migrations/env.py`` reads ``current_app``);
* empty -> head -> base -> head, with nothing but ``alembic_version`` left at base;
* the ``flask db check`` comparison done in-process, so a model changed without a
  migration fails here;
* the guide's commands (``flask db …``, ``python manage.py db …``) as real subprocesses.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_alembic
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from pytest_alembic import tests as alembic_tests
from sqlalchemy import Column, Integer, MetaData, inspect, text

from admin_app import create_app
from admin_app.extensions import SEARCH_PREFIX, db
from tests.helpers.config import TEST_CONFIG

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "migrations" / "versions"
VERSION_TABLE = "alembic_version"


# --------------------------------------------------------------------------- fixtures

@pytest.fixture()
def database_url(backend, make_database):
    """A fresh, empty database of the backend under test (SQLAlchemy URL)."""
    return make_database(backend)


@pytest.fixture()
def migration_app(database_url):
    """An app on the fresh database, its app context pushed for the whole test."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def alembic_cfg(app):
    """The exact Alembic config `flask db …` builds, without reconfiguring logging."""
    cfg = app.extensions["migrate"].migrate.get_config()
    cfg.attributes["skip_logging_config"] = True
    return cfg


def head_revision(app) -> str:
    return ScriptDirectory.from_config(alembic_cfg(app)).get_current_head()


# pytest-alembic's own fixtures, overridden: its `alembic_runner` then drives Flask-Migrate's
# env.py, which migrates through the app's engine (the one given here as `alembic_engine`).
@pytest.fixture()
def alembic_config(migration_app):
    return pytest_alembic.Config(alembic_config=alembic_cfg(migration_app))


@pytest.fixture()
def alembic_engine(migration_app):
    return db.engine


@pytest.fixture()
def alembic_runner(alembic_config, alembic_engine):
    """pytest-alembic's runner, adapted to env.py's contract.

    pytest-alembic hands env.py whatever `alembic_engine` is (here an Engine) as
    ``config.attributes["connection"]``; env.py takes that attribute to be an *open
    Connection* (the admin_app.ops contract) and would pass the Engine to
    ``context.configure``. Without it env.py connects through the app's engine, exactly as
    ``flask db upgrade`` does; the engine still serves pytest-alembic's reflection and
    inserts. The shared-connection path has its own test below.
    """
    with pytest_alembic.runner(config=alembic_config, engine=alembic_engine) as runner:
        runner.command_executor.alembic_config.attributes.pop("connection", None)
        yield runner


def table_names() -> set[str]:
    """The database's tables, but for the search indexes' (search_*, made by migrations)."""
    return {name for name in inspect(db.engine).get_table_names()
            if not name.startswith(SEARCH_PREFIX)}


def model_table_names() -> set[str]:
    return set(db.metadata.tables)


def current_db_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def assert_only_version_table_left():
    leftovers = table_names() - {VERSION_TABLE}
    assert not leftovers, f"downgrade to base left tables behind: {sorted(leftovers)}"
    if db.engine.dialect.name == "postgresql":
        inspector = inspect(db.engine)
        assert inspector.get_sequence_names() == []
        assert [e for e in inspector.get_enums() if e["schema"] in (None, "public")] == []


# --------------------------------------------------------------------------- pytest-alembic

def test_single_head_revision(alembic_runner):
    alembic_tests.test_single_head_revision(alembic_runner)


def test_upgrade(alembic_runner, migration_app):
    alembic_tests.test_upgrade(alembic_runner)
    assert alembic_runner.current == head_revision(migration_app)
    assert table_names() == model_table_names() | {VERSION_TABLE}


def test_model_definitions_match_ddl(alembic_runner):
    before = sorted(VERSIONS.iterdir())
    alembic_tests.test_model_definitions_match_ddl(alembic_runner)
    assert sorted(VERSIONS.iterdir()) == before, "the check must not write a revision file"


def test_up_down_consistency(alembic_runner):
    alembic_tests.test_up_down_consistency(alembic_runner)


def test_stairway(alembic_runner):
    """base -> each revision -> back one -> forward again, revision by revision."""
    revisions = alembic_runner.history.revisions[1:-1]  # without the base/heads sentinels
    assert revisions
    assert alembic_runner.current == "base"
    previous = "base"
    for revision in revisions:
        assert alembic_runner.migrate_up_one() == revision
        assert alembic_runner.current == revision
        alembic_runner.migrate_down_one()
        assert alembic_runner.current == previous
        assert alembic_runner.migrate_up_one() == revision
        assert alembic_runner.current == revision
        previous = revision
    assert alembic_runner.migrate_up_one() is None  # nothing left above the head


# --------------------------------------------------------------------------- explicit round trip

def test_empty_to_head_to_base_to_head(migration_app):
    cfg, head = alembic_cfg(migration_app), head_revision(migration_app)
    assert table_names() == set()

    command.upgrade(cfg, "head")
    assert current_db_revision() == head
    assert table_names() == model_table_names() | {VERSION_TABLE}

    command.downgrade(cfg, "base")
    assert current_db_revision() is None
    assert_only_version_table_left()

    command.upgrade(cfg, "head")
    assert current_db_revision() == head
    assert table_names() == model_table_names() | {VERSION_TABLE}
    # The schema works: a row goes in and comes back out.
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO categories (name) VALUES ('Papelaria')"))
        assert conn.execute(text("SELECT version FROM categories")).scalar_one() == 1


def migration_log() -> list[dict]:
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(
            "SELECT revision, from_revision, direction, message, applied_by, checksum "
            "FROM migration_log ORDER BY id"))]


def test_upgrade_through_a_shared_connection_is_committed_and_logged(migration_app):
    """env.py's other entry: an open connection in ``config.attributes`` (admin_app.ops)."""
    cfg, head = alembic_cfg(migration_app), head_revision(migration_app)
    cfg.attributes["applied_by"] = "pytest-shared-connection"
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
    # Seen from another connection: the migrations were committed.
    assert current_db_revision() == head
    assert table_names() == model_table_names() | {VERSION_TABLE}

    script = ScriptDirectory.from_config(cfg).get_revision(head)
    log = migration_log()
    assert log, "the step creating migration_log (and every later one) is recorded"
    last = log[-1]
    assert (last["revision"], last["direction"]) == (head, "upgrade")
    assert last["applied_by"] == "pytest-shared-connection"
    assert last["checksum"] == hashlib.sha256(Path(script.path).read_bytes()).hexdigest()
    assert last["message"] and last["message"] in (script.doc or "")


def test_shared_connection_already_in_a_transaction_is_never_half_migrated(
        migration_app, backend):
    """Whatever env.py does with a connection handed over mid-transaction and never
    committed, the database ends up untouched or at head, never in between."""
    cfg = alembic_cfg(migration_app)
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # e.g. a status check first: the transaction autobegins
        cfg.attributes["connection"] = conn
        try:
            command.upgrade(cfg, "head")
        except Exception:
            pass  # refusing is fine too
        # closed without commit
    assert table_names() in (set(), model_table_names() | {VERSION_TABLE}), sorted(table_names())


# --------------------------------------------------------------------------- `flask db check`

def schema_diffs(metadata) -> list:
    """What `flask db check` compares: the database at head against `metadata`, with the
    options env.py passes (compare_type, render_as_batch)."""
    opts = dict(current_app.extensions["migrate"].configure_args)
    opts["target_metadata"] = metadata
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)


def test_models_need_no_new_migration(migration_app):
    command.upgrade(alembic_cfg(migration_app), "head")
    diffs = schema_diffs(db.metadata)
    assert diffs == [], (
        "The models differ from the schema the migrations build; run "
        "`flask db migrate -m '…'` and review the new revision.\n" + "\n".join(map(repr, diffs)))


def test_model_change_without_migration_is_detected(migration_app):
    """The comparison above is not vacuous: a column added to a model is reported."""
    command.upgrade(alembic_cfg(migration_app), "head")
    changed = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["customers"].append_column(Column("loyalty_points", Integer))
    diffs = schema_diffs(changed)
    assert [(d[0], d[2], d[3].name) for d in diffs] == [
        ("add_column", "customers", "loyalty_points")]


# --------------------------------------------------------------------------- the guide's commands

@pytest.fixture()
def cli(database_url, migration_app):
    """Run a command of the guide from the repository root, on the test database."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://")  # as a user writes it
    bin_dir = os.path.dirname(sys.executable)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLASK_", "GESTAO_")) and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, SECRET_KEY=TEST_CONFIG["SECRET_KEY"],
               SECURITY_PASSWORD_SALT=TEST_CONFIG["SECURITY_PASSWORD_SALT"],
               PATH=bin_dir + os.pathsep + env.get("PATH", ""), PYTHONWARNINGS="",
               GESTAO_MIGRATION_ACTOR="pytest-cli")
    instance = ROOT / "instance"
    before = _snapshot(instance)

    def run(*args: str, expect: int = 0) -> str:
        programs = {"flask": [os.path.join(bin_dir, "flask")],
                    "manage.py": [sys.executable, "manage.py"]}
        program = programs[args[0]]
        proc = subprocess.run(program + list(args[1:]), cwd=ROOT, env=env, text=True,
                              capture_output=True, timeout=120)
        output = proc.stdout + proc.stderr
        assert proc.returncode == expect, f"{' '.join(args)} -> {proc.returncode}\n{output}"
        assert "Traceback" not in output, output
        return output

    yield run
    # With SECRET_KEY/SECURITY_PASSWORD_SALT set the app writes no secret files: nothing new
    # in instance/, and the existing secrets untouched (other files may belong to a dev server).
    after = _snapshot(instance)
    assert set(after) <= set(before), f"new files in instance/: {set(after) - set(before)}"
    for name in (".secret_key", ".security_password_salt"):
        assert after.get(name) == before.get(name), f"instance/{name} was written"


def _snapshot(directory: Path) -> dict:
    if not directory.exists():
        return {}
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in directory.iterdir()}


def test_cli_upgrade_current_history_check(cli, migration_app):
    head = head_revision(migration_app)
    cli("flask", "db", "upgrade")
    assert current_db_revision() == head
    assert table_names() == model_table_names() | {VERSION_TABLE}

    assert f"{head} (head)" in cli("flask", "db", "current")
    assert f"{head} (head)" in cli("manage.py", "db", "current")
    history = cli("flask", "db", "history")
    for script in ScriptDirectory.from_config(alembic_cfg(migration_app)).walk_revisions():
        assert f"{script.down_revision or '<base>'} -> {script.revision}" in history, script
    assert "No new upgrade operations detected" in cli("flask", "db", "check")
    assert migration_log()[-1]["revision"] == head
    assert {row["applied_by"] for row in migration_log()} == {"pytest-cli"}


def test_cli_downgrade_then_upgrade(cli, migration_app):
    head = head_revision(migration_app)
    previous = ScriptDirectory.from_config(alembic_cfg(migration_app)).get_revision(
        head).down_revision  # None when the history has a single revision
    cli("flask", "db", "upgrade")
    cli("flask", "db", "downgrade")  # one step
    assert current_db_revision() == previous
    cli("flask", "db", "downgrade", "base")
    assert current_db_revision() is None
    assert_only_version_table_left()
    cli("flask", "db", "upgrade")
    assert current_db_revision() == head


def test_cli_stamp_head_on_a_create_all_schema(cli, migration_app):
    """A database built by `db.create_all()` is stamped and then matches the migrations."""
    db.create_all()
    cli("flask", "db", "stamp", "head")
    assert current_db_revision() == head_revision(migration_app)
    assert f"{head_revision(migration_app)} (head)" in cli("flask", "db", "current")
    assert "No new upgrade operations detected" in cli("flask", "db", "check")
    assert [(r["direction"], r["revision"]) for r in migration_log()] == [
        ("stamp", head_revision(migration_app))]


def test_cli_check_fails_when_schema_is_behind(cli, migration_app):
    """`flask db check` is not vacuous: an empty database stamped at head is reported."""
    cli("flask", "db", "stamp", "head")
    assert "New upgrade operations detected" in cli("flask", "db", "check", expect=1)
