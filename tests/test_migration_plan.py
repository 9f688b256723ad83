"""`python manage.py migrations plan --env NAME [--sql]`: each pending revision in the order it
will run, its SQL on that environment's dialect (rendered offline, or captured in a scratch
database), and its findings against that environment's data, on both databases."""

import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.helpers.migrations import (
    HEAD, add_revision, current_heads, log_rows, run_alembic_at, use_environment,
)
from tests.helpers.words import said

BATCH = "with op.batch_alter_table('customers') as batch:\n        "


def execute(url: str, *statements: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def plan(app, url: str, folder, tmp_path, *extra: str, env: str = "dev"):
    """Run the command on an environments file naming `url` as `dev`."""
    use_environment(app, tmp_path, "dev", url)
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["migrations", "plan", "--env", env, "-d", str(folder), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result.exit_code, result.output


def revision(folder, name: str, up: str, down: str = "pass", after: str = HEAD) -> str:
    add_revision(folder, name, after, name.replace("_", " "), up, down)
    return name


def findings(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith("[")]


def dangerous(app, output: str) -> list[str]:
    with app.app_context():
        mark = "[" + said("dangerous") + "]"
    return [line for line in findings(output) if line.startswith(mark)]


def attention(app, output: str) -> list[str]:
    with app.app_context():
        mark = "[" + said("attention") + "]"
    return [line for line in findings(output) if line.startswith(mark)]


# --------------------------------------------------------------------------- the plan itself

def test_the_plan_lists_each_revision_in_order_with_its_sql(demo_database, scripts_copy,
                                                            tmp_path, backend):
    app, url = demo_database
    first = revision(scripts_copy, "c1_add_index", "op.create_index('ix_customers_email', "
                     "'customers', ['email'])", "op.drop_index('ix_customers_email', "
                     "table_name='customers')")
    second = revision(scripts_copy, "c2_drop_phone", BATCH + "batch.drop_column('phone')",
                      BATCH + "batch.add_column(sa.Column('phone', sa.String(30)))", first)
    code, output = plan(app, url, scripts_copy, tmp_path, "--sql")
    assert code == 1, output
    assert output.index(first) < output.index(second)
    assert "CREATE INDEX ix_customers_email ON customers (email)" in output
    assert "DROP INDEX ix_customers_email" in output
    with app.app_context():
        offline = said("rendered offline (as flask db upgrade --sql)")
        captured = said("captured from a run in a scratch database at this revision")
    if backend == "sqlite":  # the batch rebuild needs a live table: captured
        assert "INSERT INTO _alembic_tmp_customers" in output and captured in output
    else:
        assert "ALTER TABLE customers DROP COLUMN phone" in output and captured not in output
    assert offline in output
    [drop] = dangerous(app, output)
    assert second in drop and "customers.phone" in drop and "40" in drop
    # the environment itself was not touched
    assert "phone" in [c[1] for c in _columns(url, "customers")]


def _columns(url, table):
    engine = create_engine(url, poolclass=NullPool)
    try:
        from sqlalchemy import inspect

        return [(c["type"], c["name"]) for c in inspect(engine).get_columns(table)]
    finally:
        engine.dispose()


def test_nothing_pending_and_no_risk_exit_zero(demo_database, scripts_copy, tmp_path):
    app, url = demo_database
    code, output = plan(app, url, scripts_copy, tmp_path)
    assert code == 0 and findings(output) == []
    revision(scripts_copy, "c1_nullable_column",
             BATCH + "batch.add_column(sa.Column('nickname', sa.String(60)))",
             BATCH + "batch.drop_column('nickname')")
    code, output = plan(app, url, scripts_copy, tmp_path)
    assert code == 0, output  # the downgrade drops a column nobody has filled: attention only
    assert dangerous(app, output) == []


def test_bad_input_exit_two_or_one(demo_database, scripts_copy, tmp_path):
    app, url = demo_database
    code, output = plan(app, url, scripts_copy, tmp_path, env="nowhere")
    assert code == 2 and "nowhere" in output
    code, output = plan(app, "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", scripts_copy,
                        tmp_path)
    assert code == 1 and "Traceback" not in output
    broken = tmp_path / "environments.toml"
    app.config["GESTAO_ENVIRONMENTS"] = str(broken)
    broken.write_text("[environments.dev\nurl=", encoding="utf-8")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["migrations", "plan", "--env", "dev"])
    assert result.exit_code == 2


def test_a_revision_that_raises_is_dangerous_and_stops_the_plan(demo_database, scripts_copy,
                                                                tmp_path):
    app, url = demo_database
    first = revision(scripts_copy, "c1_raises", "raise RuntimeError('broken on purpose')")
    revision(scripts_copy, "c2_after", "op.create_index('ix_c2', 'customers', ['email'])",
             after=first)
    code, output = plan(app, url, scripts_copy, tmp_path)
    assert code == 1
    [failed] = dangerous(app, output)
    assert first in failed and "broken on purpose" in failed
    with app.app_context():
        assert said("not run: an earlier revision failed") in output


# --------------------------------------------------------------------------- each finding

def test_not_null_without_default_depends_on_rows(demo_database, make_database, backend,
                                                  scripts_copy, tmp_path):
    app, url = demo_database
    revision(scripts_copy, "c1_required", BATCH + "batch.add_column(sa.Column('segment', "
             "sa.String(20), nullable=False))", BATCH + "batch.drop_column('segment')")
    code, output = plan(app, url, scripts_copy, tmp_path)
    assert code == 1 and any("customers.segment" in f for f in dangerous(app, output))
    execute(url, "DELETE FROM financial_entries", "DELETE FROM stock_movements",
            "DELETE FROM order_items", "DELETE FROM orders", "DELETE FROM customers")
    code, output = plan(app, url, scripts_copy, tmp_path)
    assert code == 0 and dangerous(app, output) == [], output


def test_not_null_over_nulls_depends_on_the_data(demo_database, scripts_copy, tmp_path):
    app, url = demo_database
    revision(scripts_copy, "c1_email_required", BATCH + "batch.alter_column('email', "
             "existing_type=sa.String(254), nullable=False)", BATCH + "batch.alter_column("
             "'email', existing_type=sa.String(254), nullable=True)")
    execute(url, "UPDATE customers SET email = 'x' || id || '@example.com'")
    code, output = plan(app, url, scripts_copy, tmp_path)
    assert code == 0 and dangerous(app, output) == [], output
    execute(url, "UPDATE customers SET email = NULL WHERE id = (SELECT min(id) FROM customers)")
    code, output = plan(app, url, scripts_copy, tmp_path)
    assert code == 1 and any("customers.email" in f for f in dangerous(app, output))


def test_unique_over_duplicates_depends_on_the_data(demo_database, scripts_copy, tmp_path):
    app, url = demo_database
    revision(scripts_copy, "c1_unique_email", BATCH + "batch.create_unique_constraint("
             "'uq_customers_email', ['email'])", BATCH + "batch.drop_constraint("
             "'uq_customers_email', type_='unique')")
    execute(url, "UPDATE customers SET email = 'x' || id || '@example.com'")
    code, output = plan(app, url, scripts_copy, tmp_path)
    assert code == 0 and dangerous(app, output) == [], output
    execute(url, "UPDATE customers SET email = 'same@example.com' "
                 "WHERE id IN (SELECT id FROM customers ORDER BY id LIMIT 3)")
    code, output = plan(app, url, scripts_copy, tmp_path)
    [found] = dangerous(app, output)
    assert code == 1 and "customers" in found and "email" in found
    assert "same@example.com" not in output  # the values themselves are not shown


def test_lossy_type_change_but_not_a_wider_one(demo_database, scripts_copy, tmp_path):
    app, url = demo_database
    wider = revision(scripts_copy, "c1_wider", BATCH + "batch.alter_column('name', "
                     "type_=sa.String(300), existing_type=sa.String(200))",
                     BATCH + "batch.alter_column('name', type_=sa.String(200), "
                     "existing_type=sa.String(300))")
    code, output = plan(app, url, scripts_copy, tmp_path)
    assert code == 0 and dangerous(app, output) == [], output
    assert any("customers.name" in line for line in attention(app, output))  # its downgrade
    revision(scripts_copy, "c2_narrower", BATCH + "batch.alter_column('name', "
             "type_=sa.String(20), existing_type=sa.String(300))",
             BATCH + "batch.alter_column('name', type_=sa.String(300), "
             "existing_type=sa.String(20))", wider)
    code, output = plan(app, url, scripts_copy, tmp_path)
    [found] = dangerous(app, output)
    assert code == 1 and "customers.name" in found and "VARCHAR(20)" in found


def test_drop_table_is_dangerous(demo_database, scripts_copy, tmp_path):
    app, url = demo_database
    revision(scripts_copy, "c1_drop_entries", "op.drop_table('financial_entries')")
    code, output = plan(app, url, scripts_copy, tmp_path)
    [found] = dangerous(app, output)
    assert code == 1 and "financial_entries" in found


@pytest.mark.postgres
def test_big_postgresql_table_index_without_concurrently(demo_database, scripts_copy,
                                                         tmp_path, backend):
    if backend != "postgresql":
        pytest.skip("CONCURRENTLY and the planner's estimate are PostgreSQL's")
    app, url = demo_database
    plain = revision(scripts_copy, "c1_index", "op.create_index('ix_customers_email', "
                     "'customers', ['email'])",
                     "op.drop_index('ix_customers_email', table_name='customers')")
    code, output = plan(app, url, scripts_copy, tmp_path)
    assert code == 0 and findings(output) == [], output  # 40 rows: no lock worth a word
    execute(url, "INSERT INTO customers (document, name) SELECT lpad(n::text, 11, '0'), "
                 "'Cliente ' || n FROM generate_series(1, 100500) AS n", "ANALYZE customers")
    code, output = plan(app, url, scripts_copy, tmp_path)
    [found] = attention(app, output)
    assert code == 0 and "customers" in found and "CONCURRENTLY" in found
    (scripts_copy / "versions" / f"{plain}_test.py").unlink()
    revision(scripts_copy, "c2_index_concurrently",
             "with op.get_context().autocommit_block():\n        op.create_index("
             "'ix_customers_email', 'customers', ['email'], postgresql_concurrently=True)",
             "op.drop_index('ix_customers_email', table_name='customers')")
    code, output = plan(app, url, scripts_copy, tmp_path)
    assert code == 0 and findings(output) == [], output


# --------------------------------------------------------------------------- the production guard

def upgrade_env(app, url: str, folder, tmp_path, *extra: str, production: bool = True):
    use_environment(app, tmp_path, "prod", url, production)
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["migrations", "upgrade", "--env", "prod", "--yes", "-d", str(folder), *extra])
    return result.exit_code, result.output


def test_production_refuses_a_dangerous_plan_unless_the_risk_is_accepted(
        demo_database, scripts_copy, tmp_path):
    app, url = demo_database
    dropping = revision(scripts_copy, "c1_drop_phone", BATCH + "batch.drop_column('phone')",
                        BATCH + "batch.add_column(sa.Column('phone', sa.String(30)))")
    code, output = upgrade_env(app, url, scripts_copy, tmp_path)
    assert code == 1
    [found] = dangerous(app, output)
    assert "customers.phone" in found
    assert "--accept-risk" in output
    assert current_heads(url) == (HEAD,)
    assert "phone" in [name for _type, name in _columns(url, "customers")]

    code, output = upgrade_env(app, url, scripts_copy, tmp_path, "--accept-risk")
    assert code == 0, output
    assert current_heads(url) == (dropping,)
    assert "phone" not in [name for _type, name in _columns(url, "customers")]
    [row] = [r for r in log_rows(url) if r["revision"] == dropping]
    assert "--accept-risk: c1_drop_phone:drop_column:customers.phone" in row["applied_by"]


def test_outside_production_and_without_danger_the_upgrade_goes_on(demo_database, scripts_copy,
                                                                   tmp_path):
    app, url = demo_database
    first = revision(scripts_copy, "c1_drop_phone", BATCH + "batch.drop_column('phone')",
                     BATCH + "batch.add_column(sa.Column('phone', sa.String(30)))")
    code, output = upgrade_env(app, url, scripts_copy, tmp_path, production=False)
    assert code == 0 and dangerous(app, output) == [], output  # no plan outside production
    assert current_heads(url) == (first,)
    second = revision(scripts_copy, "c2_nickname", BATCH + "batch.add_column(sa.Column("
                      "'nickname', sa.String(60)))", BATCH + "batch.drop_column('nickname')",
                      first)
    code, output = upgrade_env(app, url, scripts_copy, tmp_path)
    assert code == 0, output
    assert current_heads(url) == (second,)
    assert "--accept-risk" not in log_rows(url)[-1]["applied_by"]


# --------------------------------------------------------------------------- lock_timeout

def _hold_lock(url: str, table: str, release: threading.Event, held: threading.Event):
    """A second session reading `table` in a transaction left open until `release`: its
    ACCESS SHARE lock lets the backup (pg_dump) read, and makes an ALTER TABLE wait."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text(f"LOCK TABLE {table} IN ACCESS SHARE MODE"))
            held.set()
            release.wait(30)
            connection.rollback()
    finally:
        engine.dispose()


@pytest.fixture()
def quick_retries(monkeypatch):
    """Pauses of 0.2 s; `release` (set by the test) is set at the first pause, so the
    second session lets go exactly when the step is about to be tried again."""
    from admin_app.ops import upgrade

    state = {"release": None}
    monkeypatch.setattr(upgrade, "LOCK_BACKOFF", (0.2,))

    def pause(seconds):
        if state["release"] is not None:
            state["release"].set()
        time.sleep(seconds)
    monkeypatch.setattr(upgrade, "pause_before_retry", pause)
    return state


@pytest.mark.postgres
@pytest.mark.parametrize("released", [True, False])
def test_a_step_that_waits_for_a_lock_is_retried(demo_database, scripts_copy, tmp_path,
                                                 backend, quick_retries, released):
    if backend != "postgresql":
        pytest.skip("lock_timeout is PostgreSQL's")
    app, url = demo_database
    app.config.update(GESTAO_MIGRATION_LOCK_TIMEOUT=0.3, GESTAO_MIGRATION_LOCK_RETRIES=2)
    added = revision(scripts_copy, "c1_nickname", BATCH + "batch.add_column(sa.Column("
                     "'nickname', sa.String(60)))", BATCH + "batch.drop_column('nickname')")
    release, held = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(url, "customers", release, held))
    holder.start()
    assert held.wait(10)
    if released:
        quick_retries["release"] = release
    try:
        code, output = upgrade_env(app, url, scripts_copy, tmp_path, production=False)
    finally:
        release.set()
        holder.join(30)
    with app.app_context():
        retried = said("A step waited more than %(seconds)s s for a lock; trying again in "
                       "%(pause)s s (%(n)s of %(max)s).", seconds="0.3", pause="0.2", n=1,
                       max=2)
    assert retried in output
    if released:
        assert code == 0, output
        assert current_heads(url) == (added,)
        with app.app_context():
            outcome = said("Steps were tried again %(n)s time(s) after waiting for a lock.",
                           n="N").split("N")[0]
        assert outcome in output
    else:
        assert code == 1
        assert "lock" in output.lower() and current_heads(url) == (HEAD,)
        assert "nickname" not in [name for _type, name in _columns(url, "customers")]


# --------------------------------------------------------------------------- page and JSON

def test_the_page_and_status_json_show_each_plan(app, backend, admin_client, configure,
                                                 make_database, scripts_copy):
    behind = make_database(backend)
    run_alembic_at(app, behind, scripts_copy, "heads")
    dropping = revision(scripts_copy, "p1_drop_phone", BATCH + "batch.drop_column('phone')",
                        BATCH + "batch.add_column(sa.Column('phone', sa.String(30)))")
    revision(scripts_copy, "p2_raises", "raise RuntimeError('broken on purpose')",
             after=dropping)
    configure({"staging": behind, "gone": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"},
              location=scripts_copy)
    page = admin_client.get("/admin/migrations/").get_data(as_text=True)
    assert 'class="mt-2 plan" data-verdict="perigoso"' in page
    assert 'data-revision="p1_drop_phone"' in page and 'data-code="drop_column"' in page
    assert 'data-code="fails_to_run"' in page and "broken on purpose" in page
    with app.app_context():
        assert said("drops the column %(where)s and its data", where="customers.phone") in page
    assert "DROP" in page  # the SQL, collapsible

    data = admin_client.get("/admin/migrations/status.json").get_json()
    staging, gone = data["environments"]
    assert gone["plan"] is None and gone["reachable"] is False
    plan_data = staging["plan"]
    assert plan_data["verdict"] == "perigoso"
    first, second = plan_data["revisions"]
    assert first["revision"] == "p1_drop_phone" and first["upgrade"]["sql"]
    assert first["upgrade"]["source"] in ("offline", "captured")
    [drop] = [f for f in first["findings"] if f["code"] == "drop_column"]
    assert (drop["level"], drop["table"], drop["column"], drop["rows"]) == \
        ("perigoso", "customers", "phone", 0)
    assert drop["risk"] and drop["advice"]
    assert second["error"] and "broken on purpose" in second["error"]


def test_broken_scripts_and_unknown_revisions_are_said_not_crashed(demo_database, scripts_copy,
                                                                   tmp_path, admin_client,
                                                                   configure, app):
    demo_app, url = demo_database
    (scripts_copy / "versions" / "zz_broken_test.py").write_text("def upgrade(:\n")
    code, output = plan(demo_app, url, scripts_copy, tmp_path)
    assert code == 1 and "Traceback" not in output
    with demo_app.app_context():
        assert said("The migration scripts cannot be read: %(error)s", error="X").split("X")[0] \
            in output
    configure({"dev": url}, location=scripts_copy)
    assert admin_client.get("/admin/migrations/").status_code == 200
    assert admin_client.get("/admin/migrations/status.json").status_code == 200

    (scripts_copy / "versions" / "zz_broken_test.py").unlink()
    execute(url, "UPDATE alembic_version SET version_num = 'feedbeef0000'")
    code, output = plan(demo_app, url, scripts_copy, tmp_path)
    with demo_app.app_context():
        assert code == 1 and said("not planned: the environment could not be checked") in output
