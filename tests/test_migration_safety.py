"""Migration safety (issue 7), each state built for real on SQLite and PostgreSQL and checked
in the page, the JSON and the CLI exit code:

* an applied script edited afterwards ("modificada após aplicação", both checksums) and one
  deleted ("ausente nos scripts"); `migrations upgrade` refuses them unless
  ``--allow-modified``, which is recorded in ``migration_log``;
* revisions without a rollback plan ("sem reversão": ``downgrade()`` empty or raising),
  detected with ``ast``, and the warning before applying one to production.

Databases and temporary copies of ``migrations/`` are built with ``tests/helpers/migrations``
and the ``scripts_copy`` fixture. (The stairway test — base → each revision → back one →
forward again, on both backends — is ``tests/test_migrations.py::test_stairway``,
pytest-alembic's.)
"""

import hashlib
import threading
import time

import pytest

from admin_app.ops.codes import (EMPTY_DOWNGRADE, MISSING, MODIFIED, NO_DOWNGRADE, PENDING,
                                 RAISING_DOWNGRADE, REVERSIBLE, UNKNOWN_REVISION, UP_TO_DATE)
from admin_app.ops.scripts import downgrade_kind
from admin_app.ops.upgrade import run_alembic
from tests.helpers.config import PG_ADMIN_URL, TEST_CONFIG, pg_url
from tests.helpers.migrations import (HEAD, MIGRATIONS, PREVIOUS, SCRIPTS, add_revision, by_name,
                                      cli, current_heads, log_rows, page, status_json)
from tests.helpers.words import pt

EXTRA = "e1e2e3e4e5e6"
NEXT = "f1f2f3f4f5f6"


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def script_of(folder, revision):
    return next((folder / "versions").glob(f"{revision}_*.py"))


@pytest.fixture()
def applied_extra(backend, app, make_database, scripts_copy):
    """A database at head of a copy of migrations/ with one more revision, applied."""
    add_revision(scripts_copy, EXTRA, HEAD, "extra table",
                 "op.create_table('extra', sa.Column('id', sa.Integer, primary_key=True))")
    url = make_database(backend)
    run_alembic(url, scripts_copy, "upgrade", "heads")
    assert current_heads(url) == (EXTRA,)
    return url, scripts_copy


# --------------------------------------------------------------------------- edited / deleted

def test_script_edited_after_applied(backend, app, admin_client, configure, applied_extra):
    url, folder = applied_extra
    script = script_of(folder, EXTRA)
    before = sha(script)
    [row] = [r for r in log_rows(url) if r["revision"] == EXTRA]
    assert row["checksum"] == before
    script.write_text(script.read_text() + "\n# edited after it was applied\n")
    after = sha(script)
    configure({"alvo": url}, location=folder)

    env = by_name(status_json(admin_client))["alvo"]
    assert env["state"] == UP_TO_DATE and env["ok"] is False
    [issue] = env["integrity"]
    assert issue["kind"] == MODIFIED and issue["revision"] == EXTRA
    assert issue["recorded_checksum"] == before and issue["current_checksum"] == after
    assert issue["label"] == "modificada após aplicação"
    assert status_json(admin_client)["ok"] is False
    history = {r["revision"]: r for r in status_json(admin_client)["history"]}
    assert history[EXTRA]["modified_in"] == ["alvo"] and history[HEAD]["modified_in"] == []

    html = page(admin_client)
    assert "modificada após aplicação" in html
    assert before in html and after in html
    assert f'data-kind="{MODIFIED}" data-revision="{EXTRA}"' in html

    result = cli(app, "status", "--env", "alvo", "--directory", str(folder))
    assert result.exit_code == 1, result.output
    assert "alvo: em dia" in result.output
    assert f"modificada após aplicação: {EXTRA}" in result.output
    assert before in result.output and after in result.output

    # Restoring the script as it was applied clears the flag.
    script.write_text(script.read_text().replace("\n# edited after it was applied\n", ""))
    assert sha(script) == before
    assert cli(app, "status", "--env", "alvo", "--directory", str(folder)).exit_code == 0


def test_upgrade_refuses_modified_unless_allowed_and_records_it(
        backend, app, configure, applied_extra, tmp_path):
    url, folder = applied_extra
    script = script_of(folder, EXTRA)
    script.write_text(script.read_text() + "\n# edited\n")
    add_revision(folder, NEXT, EXTRA, "next step")
    configure({"alvo": url}, location=folder)

    refused = cli(app, "upgrade", "--env", "alvo", "--directory", str(folder))
    assert refused.exit_code == 1
    assert "--allow-modified" in refused.output and EXTRA in refused.output
    assert sha(script) in refused.output
    assert current_heads(url) == (EXTRA,) and not (tmp_path / "backups").exists()

    allowed = cli(app, "upgrade", "--env", "alvo", "--directory", str(folder),
                  "--allow-modified")
    assert allowed.exit_code == 0, allowed.output
    assert current_heads(url) == (NEXT,)
    [row] = [r for r in log_rows(url) if r["revision"] == NEXT]
    assert "[--allow-modified: " + EXTRA + "]" in row["applied_by"]
    assert row["applied_by"].startswith(row["applied_by"].split(" [")[0])
    # Still flagged: the override does not bless the edited script.
    assert cli(app, "status", "--env", "alvo", "--directory", str(folder)).exit_code == 1


def test_script_deleted_after_applied(backend, app, admin_client, configure, applied_extra):
    url, folder = applied_extra
    script_of(folder, EXTRA).unlink()
    configure({"alvo": url}, location=folder)

    env = by_name(status_json(admin_client))["alvo"]
    assert env["state"] == UNKNOWN_REVISION and env["ok"] is False
    [issue] = env["integrity"]
    assert issue["kind"] == MISSING and issue["revision"] == EXTRA
    assert issue["label"] == "ausente nos scripts"
    assert issue["message"] == "extra table"  # from migration_log
    html = page(admin_client)
    assert "ausente nos scripts" in html
    assert f'data-kind="{MISSING}" data-revision="{EXTRA}"' in html

    result = cli(app, "status", "--env", "alvo", "--directory", str(folder))
    assert result.exit_code == 1
    assert f"ausente nos scripts: {EXTRA}" in result.output
    upgrade = cli(app, "upgrade", "--env", "alvo", "--directory", str(folder),
                  "--allow-modified")
    assert upgrade.exit_code == 1 and current_heads(url) == (EXTRA,)


def test_deleted_script_found_in_the_log(backend, app, admin_client, configure,
                                         applied_extra):
    """Stamped back to head (its table still there) and the script deleted: the current
    revision is known, but migration_log remembers the revision applied."""
    url, folder = applied_extra
    run_alembic(url, folder, "stamp", HEAD)
    script_of(folder, EXTRA).unlink()
    configure({"alvo": url}, location=folder)
    env = by_name(status_json(admin_client))["alvo"]
    assert env["state"] == UP_TO_DATE and env["ok"] is False
    assert [(i["kind"], i["revision"]) for i in env["integrity"]] == [(MISSING, EXTRA)]
    result = cli(app, "status", "--env", "alvo", "--directory", str(folder))
    assert result.exit_code == 1 and f"ausente nos scripts: {EXTRA}" in result.output


def test_clean_environment_has_no_integrity_problem(backend, app, admin_client, configure,
                                                    make_database):
    url = make_database(backend)
    run_alembic(url, MIGRATIONS, "upgrade", "heads")
    configure({"alvo": url})
    env = by_name(status_json(admin_client))["alvo"]
    assert env["integrity"] == [] and env["ok"] is True
    assert 'class="alert alert-danger mt-2 mb-0 p-2 integrity"' not in page(admin_client)


# --------------------------------------------------------------------------- rollback plan

@pytest.mark.parametrize("body, kind", [
    ("def downgrade():\n    pass\n", EMPTY_DOWNGRADE),
    ('def downgrade():\n    """Nothing to undo."""\n    ...\n', EMPTY_DOWNGRADE),
    ("def downgrade():\n    raise NotImplementedError('one way')\n", RAISING_DOWNGRADE),
    ("def upgrade():\n    pass\n", NO_DOWNGRADE),
    ("def downgrade():\n    op.drop_table('x')\n", REVERSIBLE),
])
def test_downgrade_kind(body, kind):
    assert downgrade_kind(body) == kind


def test_real_revisions_all_have_a_rollback_plan(app, admin_client):
    history = status_json(admin_client)["history"]
    assert history and all(row["reversible"] for row in history)
    assert "sem reversão" not in page(admin_client)


def test_irreversible_revision_marked_and_production_warned(
        backend, app, admin_client, configure, scripts_copy, make_database):
    add_revision(scripts_copy, EXTRA, HEAD, "one-way step")  # downgrade(): pass
    raising = script_of(scripts_copy, EXTRA).read_text().replace(
        "def downgrade():\n    pass", "def downgrade():\n    raise RuntimeError('no way back')")
    (scripts_copy / "versions" / f"{NEXT}_test.py").write_text(
        raising.replace(EXTRA, NEXT).replace(f"down_revision = {HEAD!r}",
                                             f"down_revision = {EXTRA!r}"))
    url = make_database(backend)
    run_alembic(url, MIGRATIONS, "upgrade", "heads")
    configure({"prod": {"url": url, "production": True}}, location=scripts_copy)

    history = {r["revision"]: r for r in status_json(admin_client)["history"]}
    assert history[EXTRA]["rollback"] == EMPTY_DOWNGRADE
    assert history[NEXT]["rollback"] == RAISING_DOWNGRADE
    assert history[EXTRA]["rollback_label"] == "sem reversão"
    assert history[HEAD]["reversible"] is True
    html = page(admin_client)
    assert html.count('class="badge badge-danger rollback-badge"') == 4  # history + pending

    status = cli(app, "status", "--env", "prod", "--directory", str(scripts_copy))
    assert f"{EXTRA} one-way step [sem reversão]" in status.output

    # Not confirmed: warned first, nothing changed.
    refused = cli(app, "upgrade", "--env", "prod", "--directory", str(scripts_copy),
                  input="nao\n")
    assert refused.exit_code == 1
    warning = pt("Warning: %(env)s is a production environment and these pending migrations "
                 "have no rollback plan:", env="prod")
    assert warning in refused.output
    assert refused.output.index(warning) < refused.output.index(
        pt("Not confirmed: nothing was changed."))
    assert pt("its downgrade() is empty") in refused.output
    assert pt("its downgrade() raises an error") in refused.output
    assert current_heads(url) == (HEAD,)
    done = cli(app, "upgrade", "--env", "prod", "--directory", str(scripts_copy), "--yes")
    assert done.exit_code == 0, done.output
    assert warning in done.output and current_heads(url) == (NEXT,)


def test_no_warning_outside_production(backend, app, configure, scripts_copy, make_database):
    add_revision(scripts_copy, EXTRA, HEAD, "one-way step")
    url = make_database(backend)
    run_alembic(url, MIGRATIONS, "upgrade", "heads")
    configure({"staging": url}, location=scripts_copy)
    result = cli(app, "upgrade", "--env", "staging", "--directory", str(scripts_copy))
    assert result.exit_code == 0, result.output
    assert "sem reversão" not in result.output and "no rollback" not in result.output


# --------------------------------------------------------------------------- schema drift

def alter(url: str, *statements: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def test_schema_drift_reported_in_words(backend, app, admin_client, configure, make_database):
    url = make_database(backend)
    run_alembic(url, MIGRATIONS, "upgrade", "heads")
    clean = make_database(backend)
    run_alembic(clean, MIGRATIONS, "upgrade", "heads")
    configure({"alvo": url, "limpo": clean})
    environments = by_name(status_json(admin_client))
    assert environments["alvo"]["drift"] == [] and environments["alvo"]["ok"] is True

    alter(url, "ALTER TABLE customers ADD COLUMN apelido VARCHAR(40)",
          "DROP INDEX ix_customers_name")
    data = status_json(admin_client)
    environments = by_name(data)
    assert environments["limpo"]["drift"] == [] and environments["limpo"]["ok"] is True
    env = environments["alvo"]
    assert env["state"] == UP_TO_DATE and env["ok"] is False and data["ok"] is False
    assert env["drift_label"] == "divergência de esquema"
    kinds = {(d["kind"], d.get("column") or d.get("name")) for d in env["drift"]}
    assert kinds == {("remove_column", "apelido"), ("add_index", "ix_customers_name")}
    words = [d["words"] for d in env["drift"]]
    column_words = pt("column %(table)s.%(column)s is in the database but not in the models",
                      table="customers", column="apelido")
    index_words = pt("index %(name)s on %(table)s (%(columns)s) is in the models but not in "
                     "the database", name="ix_customers_name", table="customers",
                     columns="name")
    assert sorted(words) == sorted([column_words, index_words])

    html = page(admin_client)
    assert "divergência de esquema" in html
    assert column_words in html and index_words in html.replace("&#39;", "'")

    result = cli(app, "status", "--env", "alvo")
    assert result.exit_code == 1, result.output
    assert "alvo: em dia" in result.output and "divergência de esquema:" in result.output
    assert column_words in result.output and index_words in result.output
    assert cli(app, "status", "--env", "limpo").exit_code == 0


def _drifted_below_head(url: str) -> list[str]:
    """A column added and an index dropped by hand; the words the page, the JSON and the
    CLI must show."""
    alter(url, "ALTER TABLE customers ADD COLUMN extra VARCHAR(40)",
          "DROP INDEX ix_customers_name")
    return [pt("column %(table)s.%(column)s is in the database but not in the models",
               table="customers", column="extra"),
            pt("index %(name)s on %(table)s (%(columns)s) is in the models but not in the "
               "database", name="ix_customers_name", table="customers", columns="name")]


def test_schema_drift_below_head(backend, app, admin_client, configure, make_database,
                                 scripts_copy):
    """One revision behind head: compared with the schema the migrations build at its
    revision (not with the models, which describe head)."""
    url = make_database(backend)
    run_alembic(url, MIGRATIONS, "upgrade", PREVIOUS)
    configure({"alvo": url})
    # The same database seen through scripts whose head is PREVIOUS: up to date there, so
    # the exit code of `migrations status` depends on the drift alone.
    script_of(scripts_copy, HEAD).unlink()

    env = by_name(status_json(admin_client))["alvo"]
    assert env["state"] == PENDING and env["drift"] == [] and env["drift_error"] is None
    assert env["drift_reference"] == {"source": "migrations", "revision": PREVIOUS}
    assert env["drift_label"] is None
    assert "divergência de esquema" not in page(admin_client)
    status = cli(app, "status", "--env", "alvo")
    assert "alvo: 1 pendente" in status.output and "divergência de esquema" not in status.output
    assert cli(app, "status", "--env", "alvo", "--directory", str(scripts_copy)).exit_code == 0

    expected = _drifted_below_head(url)
    data = status_json(admin_client)
    env = by_name(data)["alvo"]
    assert env["state"] == PENDING and env["ok"] is False and data["ok"] is False
    assert env["drift_label"] == "divergência de esquema"
    assert env["drift_reference"] == {"source": "migrations", "revision": PREVIOUS}
    kinds = {(d["kind"], d.get("column") or d.get("name")) for d in env["drift"]}
    assert kinds == {("remove_column", "extra"), ("add_index", "ix_customers_name")}
    assert sorted(d["words"] for d in env["drift"]) == sorted(expected)

    html = page(admin_client).replace("&#39;", "'")
    assert "divergência de esquema" in html
    assert all(words in html for words in expected)

    result = cli(app, "status", "--env", "alvo")
    assert result.exit_code == 1
    assert "alvo: 1 pendente" in result.output and "divergência de esquema:" in result.output
    assert all(words in result.output for words in expected)
    trimmed = cli(app, "status", "--env", "alvo", "--directory", str(scripts_copy))
    assert trimmed.exit_code == 1, trimmed.output
    assert "alvo: em dia" in trimmed.output and "divergência de esquema:" in trimmed.output


def _scratch_databases(prefix: str) -> list[str]:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        return [row[0] for row in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",))]


@pytest.fixture()
def scratch(monkeypatch):
    """An empty reference cache (every check builds) and scratch databases named with a
    prefix of this test's own; ``seen`` lists those that existed during each build."""
    import uuid
    from collections import OrderedDict

    from admin_app.ops import reference_schema

    prefix = f"{reference_schema.SCRATCH_PREFIX}t{uuid.uuid4().hex[:8]}_"
    monkeypatch.setattr(reference_schema, "SCRATCH_PREFIX", prefix)
    monkeypatch.setattr(reference_schema, "_cache", OrderedDict())
    seen = []
    build_in = reference_schema._build_in

    def watched(scratch_url, location, revision):
        seen.append(_scratch_databases(prefix))
        return build_in(scratch_url, location, revision)

    monkeypatch.setattr(reference_schema, "_build_in", watched)
    return prefix, seen


def test_scratch_database_dropped_after_the_check(backend, app, admin_client, configure,
                                                  make_database, applied_extra, scratch):
    """PostgreSQL: the reference is built in a gestao_drift_* database of the environment's
    server, dropped afterwards, also when the build fails (a script that raises now);
    SQLite: in memory. Either way the failure is words in drift_error, never a crash."""
    prefix, seen = scratch
    url = make_database(backend)
    run_alembic(url, MIGRATIONS, "upgrade", PREVIOUS)
    configure({"alvo": url})
    env = by_name(status_json(admin_client))["alvo"]
    assert env["drift"] == [] and env["drift_error"] is None
    if backend == "postgresql":
        assert len(seen) == 1 and len(seen[0]) == 1 and seen[0][0].startswith(prefix)
        assert _scratch_databases(prefix) == []
    else:
        assert seen == []  # SQLite builds in memory
    status_json(admin_client)
    assert len(seen) == (1 if backend == "postgresql" else 0)  # cached: not rebuilt

    extra_url, folder = applied_extra  # at EXTRA, which the models do not describe
    script = script_of(folder, EXTRA)
    script.write_text(script.read_text().replace(
        "op.create_table(", "raise RuntimeError('broken on purpose')\n    op.create_table("))
    configure({"alvo": extra_url}, location=folder)
    env = by_name(status_json(admin_client))["alvo"]
    assert env["drift"] is None and env["drift_label"] is None
    assert env["drift_error"].startswith(pt(
        "schema drift not checked: the schema of revision %(rev)s could not be rebuilt from "
        "the migration scripts", rev=EXTRA))
    assert "broken on purpose" in env["drift_error"]
    assert page(admin_client)  # still rendered
    assert cli(app, "status", "--env", "alvo", "--directory", str(folder)).exit_code == 1
    if backend == "postgresql":
        assert len(seen) >= 2 and _scratch_databases(prefix) == []


def test_drift_not_checked_without_create_database(backend, app, admin_client, configure,
                                                   make_database, scratch):
    """A PostgreSQL user without CREATEDB cannot get a scratch database: drift is "not
    checked", with the reason, and everything else is still shown."""
    if backend != "postgresql":
        pytest.skip("CREATE DATABASE is PostgreSQL's")
    import uuid

    import psycopg

    prefix, seen = scratch
    url = make_database(backend)
    run_alembic(url, MIGRATIONS, "upgrade", PREVIOUS)
    role = f"gestao_reader_{uuid.uuid4().hex[:8]}"
    dbname = url.rsplit("/", 1)[1]
    admin_db = pg_url(dbname)
    with psycopg.connect(admin_db, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    try:
        reader = url.replace("postgres@", f"{role}@", 1)
        configure({"alvo": reader})
        env = by_name(status_json(admin_client))["alvo"]
        assert env["state"] == PENDING and env["reachable"] is True
        assert env["drift"] is None and env["drift_label"] is None
        assert env["drift_error"] == pt(
            "schema drift not checked: the schema of revision %(rev)s is rebuilt in a scratch "
            "database, and this environment's database user may not create databases "
            "(CREATE DATABASE)", rev=PREVIOUS)
        html = page(admin_client)
        assert 'class="alert alert-warning mt-2 mb-0 p-2 drift"' not in html
        assert env["drift_error"] in html.replace("&#39;", "'")  # the reason, in words
        result = cli(app, "status", "--env", "alvo")
        assert result.exit_code == 1 and "alvo: 1 pendente" in result.output
        assert "divergência de esquema não verificada" in result.output
        assert seen == [] and _scratch_databases(prefix) == []
    finally:
        with psycopg.connect(admin_db, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


# --------------------------------------------------------------------------- promotion order

def test_production_waits_for_the_environment_it_follows(backend, app, admin_client,
                                                         configure, make_database, tmp_path):
    staging, production = make_database(backend), make_database(backend)
    for url in (staging, production):
        run_alembic(url, MIGRATIONS, "upgrade", PREVIOUS)
    configure({"staging": staging,
               "production": {"url": production, "production": True, "follows": "staging"}})

    # Staging has not applied HEAD: production waits for it.
    env = by_name(status_json(admin_client))["production"]
    assert env["follows"] == "staging"
    assert env["promotion"]["ready"] == [] and env["promotion"]["waiting"] == [HEAD]
    html = page(admin_client)
    assert 'class="text-warning promotion-waiting"' in html
    status = cli(app, "status", "--env", "production")  # staging checked, not listed
    assert pt("Waiting for %(env)s: %(revs)s", env="staging", revs=HEAD) in status.output
    assert "\nstaging:" not in "\n" + status.output
    refused = cli(app, "upgrade", "--env", "production", "--yes")
    assert refused.exit_code == 1
    assert pt("%(env)s follows %(pred)s, which has not applied %(revs)s yet: upgrade "
              "%(pred)s first (promotion order, see docs/migracoes.md). Nothing was changed.",
              env="production", pred="staging", revs=HEAD) in refused.output
    assert current_heads(production) == (PREVIOUS,) and not (tmp_path / "backups").exists()

    # Staging upgraded: HEAD is ready to promote, and production may take it.
    assert cli(app, "upgrade", "--env", "staging").exit_code == 0
    env = by_name(status_json(admin_client))["production"]
    assert env["promotion"]["ready"] == [HEAD] and env["promotion"]["waiting"] == []
    assert 'class="promotion-ready"' in page(admin_client)
    done = cli(app, "upgrade", "--env", "production", "--yes")
    assert done.exit_code == 0, done.output
    assert current_heads(production) == (HEAD,)


@pytest.mark.parametrize("follows", ["nenhum", "prod"])
def test_follows_must_name_another_environment(app, configure, follows, make_database):
    from admin_app.ops import environments as envs

    path = configure({"prod": {"url": "sqlite:///x.db", "follows": follows}})
    config = envs.load_environments(path)
    assert config.error is not None and "follows" in config.error.detail
    assert cli(app, "status").exit_code == 2


# --------------------------------------------------------------------------- one at a time

def test_second_upgrade_stops_while_the_lock_is_held(backend, app, admin_client, configure,
                                                     make_database, scripts_copy, tmp_path):
    """The lock taken by hand (as a running upgrade holds it): the page shows the upgrade in
    progress, and another upgrade waits its bounded time, then stops, changing nothing."""
    from admin_app.ops.lock import deploy_lock, lock_file

    add_revision(scripts_copy, EXTRA, HEAD, "next step")
    url = make_database(backend)
    run_alembic(url, MIGRATIONS, "upgrade", "heads")
    configure({"alvo": url}, location=scripts_copy)
    assert by_name(status_json(admin_client))["alvo"]["upgrade_in_progress"] is None
    with deploy_lock(url, "deploy-bot@ci", wait=1):
        env = by_name(status_json(admin_client))["alvo"]
        assert env["upgrade_in_progress"]["by"] == "deploy-bot@ci"
        assert "upgrade em andamento" in page(admin_client)
        status = cli(app, "status", "--env", "alvo", "--directory", str(scripts_copy))
        assert "upgrade em andamento (por deploy-bot@ci)" in status.output
        started = time.monotonic()
        busy = cli(app, "upgrade", "--env", "alvo", "--directory", str(scripts_copy),
                   "--lock-wait", "0.5")
        assert 0.5 <= time.monotonic() - started < 5
        assert busy.exit_code == 1
        assert "Outro upgrade de alvo está em andamento (por deploy-bot@ci, desde " \
            in busy.output and "esperamos 0.5 s. Nada foi alterado" in busy.output
        assert current_heads(url) == (HEAD,) and not (tmp_path / "backups").exists()
    if backend == "sqlite":
        assert lock_file(url).exists()  # kept; only the flock says "held"
    assert by_name(status_json(admin_client))["alvo"]["upgrade_in_progress"] is None
    done = cli(app, "upgrade", "--env", "alvo", "--directory", str(scripts_copy))
    assert done.exit_code == 0, done.output
    assert current_heads(url) == (EXTRA,)


def test_two_concurrent_upgrades_on_postgresql(backend, app, admin_client, configure,
                                               make_database, scripts_copy, tmp_path):
    if backend != "postgresql":
        pytest.skip("the concurrent run is PostgreSQL's (SQLite: the test above)")
    from admin_app.ops.environments import Environment
    from admin_app.ops.upgrade import upgrade_environment

    add_revision(scripts_copy, EXTRA, HEAD, "slow step", "op.execute('SELECT pg_sleep(2)')")
    url = make_database(backend)
    run_alembic(url, MIGRATIONS, "upgrade", "heads")
    configure({"alvo": url}, location=scripts_copy)
    environment = Environment(name="alvo", url=url)
    results = {}

    def run(name: str, wait: float) -> None:
        with app.app_context():
            results[name] = upgrade_environment(
                environment, location=scripts_copy, backup_directory=tmp_path / name,
                applied_by=f"deploy-{name}", lock_wait=wait)

    first = threading.Thread(target=run, args=("primeiro", 0), daemon=True)
    first.start()
    deadline = time.monotonic() + 20
    env = None
    while time.monotonic() < deadline:
        env = by_name(status_json(admin_client))["alvo"]
        if env["upgrade_in_progress"]:
            break
        time.sleep(0.05)
    assert env["upgrade_in_progress"]["by"] == "deploy-primeiro"
    assert "upgrade em andamento" in page(admin_client)

    second = threading.Thread(target=run, args=("segundo", 0.5), daemon=True)
    second.start()
    second.join(timeout=30)
    assert not second.is_alive()
    first.join(timeout=60)
    assert not first.is_alive()

    assert results["primeiro"].ok, results["primeiro"].error
    refused = results["segundo"]
    assert refused.busy and not refused.ok and "deploy-primeiro" in refused.error
    assert refused.backup is None and not (tmp_path / "segundo").exists()
    assert current_heads(url) == (EXTRA,)
    assert [r["applied_by"] for r in log_rows(url) if r["revision"] == EXTRA] == \
        ["deploy-primeiro"]
    assert by_name(status_json(admin_client))["alvo"]["upgrade_in_progress"] is None


# --------------------------------------------------------------------------- data kept

#: Columns whose downgrade drops them with their values (the migration plan says so as a
#: finding); back at the first revision and up again they hold NULL.
LOST_ON_DOWNGRADE = {"audit_entries": ("version", "restored_version")}


def _snapshot(url: str, skip=("migration_log", "alembic_version")) -> dict:
    """Every table's row count and its first rows (ordered by primary key), all columns.
    The search objects (``search_*``: SQLite FTS5 tables and their shadow tables) are left
    out: they are an index of the other tables, and their rows depend on how it was built."""
    from sqlalchemy import MetaData, create_engine, func, select
    from sqlalchemy.pool import NullPool

    from admin_app.ops.reference_schema import reflectable

    engine = create_engine(url, poolclass=NullPool)
    try:
        metadata = MetaData()
        metadata.reflect(engine, only=reflectable)
        snapshot = {}
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                if table.name in skip:
                    continue
                count = conn.execute(select(func.count()).select_from(table)).scalar()
                order = list(table.primary_key.columns) or list(table.columns)
                kept = [c for c in table.columns
                        if c.name not in LOST_ON_DOWNGRADE.get(table.name, ())]
                rows = [tuple(row) for row in conn.execute(
                    select(*kept).order_by(*order).limit(25))]
                snapshot[table.name] = (count, rows)
        return snapshot
    finally:
        engine.dispose()


def test_every_migration_keeps_the_demo_data(backend, make_database):
    """Seed the demo data at head, go back to the first revision and apply every migration
    after it again: every table keeps its rows (counts and a sample of values)."""
    from flask_migrate import upgrade

    from admin_app import create_app
    from admin_app.demo import seed_demo
    from admin_app.extensions import db

    url = make_database(backend)
    demo_app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    first = SCRIPTS.apply_order[0]
    with demo_app.app_context():
        upgrade()
        seed_demo()
        db.session.remove()
        db.engine.dispose()
        before = _snapshot(url)
        assert sum(count for count, _ in before.values()) > 100
        seeded = ("customers", "suppliers", "products", "orders", "order_items")
        assert all(before[name][0] > 0 for name in seeded)
        run_alembic(url, MIGRATIONS, "downgrade", first)
        assert current_heads(url) == (first,)
        run_alembic(url, MIGRATIONS, "upgrade", "heads")
        assert current_heads(url) == (HEAD,)
        after = _snapshot(url)
        assert set(after) == set(before)
        for name, (count, rows) in before.items():
            assert after[name][0] == count, name
            assert after[name][1] == rows, name
        # Still valid for the app: the seed finds everything there and adds nothing.
        assert seed_demo() == seed_demo()
        db.session.remove()
        db.engine.dispose()
    assert _snapshot(url) == after
