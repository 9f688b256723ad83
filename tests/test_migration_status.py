"""The "Migrações" page, its JSON twin and the `migrations` commands, on real databases.

For every state (em dia, N pendentes, revisão desconhecida, não inicializado, múltiplas
heads, inacessível) a database is built in that state on SQLite and PostgreSQL; the page,
the JSON and `migrations status` are checked, and the current revision and the history are
compared with what the real `flask db current` / `flask db history` print for the same
database. Then: an unreachable server within the timeout, passwords never shown, checking
never writes, the guarded upgrade (backup, failure at a named step, restore), the migration
log written by plain `flask db upgrade`, the demo environments and access by role.
"""

import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from admin_app.ops import environments as envs
from admin_app.ops.backup import restore_backup
from admin_app.ops.codes import (MULTIPLE_HEADS, NOT_INITIALIZED, PENDING, UNKNOWN_REVISION,
                                 UNREACHABLE, UP_TO_DATE)
from admin_app.ops.engines import CONNECT_TIMEOUT, open_readonly
from admin_app.ops.status import status_report
from admin_app.ops.upgrade import run_alembic
from tests.helpers.config import TEST_CONFIG
from tests.helpers.migrations import (HEAD, MIGRATIONS, PREVIOUS, ROOT, SCRIPTS, add_revision,
                                      by_name, cli, current_heads, log_rows, page, status_json)
from tests.helpers.words import pt

UNKNOWN_ID = "feedfacecafe"
SECRET = "S3nh4-Sup3r-Secreta"
CLOSED_PORT_URL = f"postgresql://gestao:{SECRET}@127.0.0.1:1/nada"

LABELS = {UP_TO_DATE: "em dia", PENDING: "1 pendente", UNKNOWN_REVISION: "revisão desconhecida",
          NOT_INITIALIZED: "não inicializado", MULTIPLE_HEADS: "múltiplas heads",
          UNREACHABLE: "inacessível"}


# --------------------------------------------------------------------------- helpers

def tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def sqlite_file(url: str) -> Path | None:
    return Path(url.split(":///", 1)[1]) if url.startswith("sqlite") else None


@pytest.fixture()
def branching_scripts(scripts_copy):
    """Two heads: the real head and a sibling branching from its parent."""
    add_revision(scripts_copy, "b0a0c0d0e0f1", PREVIOUS, "sibling branch")
    return scripts_copy


def build(state: str, backend: str, make_database) -> str:
    """A real database of ``backend`` in ``state`` (with the real scripts)."""
    url = make_database(backend)
    if state in (UP_TO_DATE, UNKNOWN_REVISION, MULTIPLE_HEADS):
        run_alembic(url, MIGRATIONS, "upgrade", "heads")
    elif state == PENDING:
        run_alembic(url, MIGRATIONS, "upgrade", PREVIOUS)
    if state == UNKNOWN_REVISION:
        engine = create_engine(url, poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": UNKNOWN_ID})
        engine.dispose()
    return url


_SHARED: dict[tuple[str, str], str] = {}


@pytest.fixture()
def database(backend, make_database, app):
    """A database in a given state, shared by the tests that only read it (fewer databases
    to create and drop); tests that change one use ``build`` for a fresh database."""
    def get(state: str) -> str:
        state = UP_TO_DATE if state == MULTIPLE_HEADS else state  # same database, other scripts
        if state == NOT_INITIALIZED:  # its first check must find no file: always fresh
            return build(state, backend, make_database)
        if (state, backend) not in _SHARED:
            _SHARED[(state, backend)] = build(state, backend, make_database)
        return _SHARED[(state, backend)]
    return get


def flask_db(url: str, *args: str, directory=None, **extra_env) -> subprocess.Popen:
    """The real `flask db …` command on ``url``, started (call .communicate())."""
    bin_dir = os.path.dirname(sys.executable)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLASK_", "GESTAO_")) and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, SECRET_KEY=TEST_CONFIG["SECRET_KEY"],
               SECURITY_PASSWORD_SALT=TEST_CONFIG["SECURITY_PASSWORD_SALT"],
               PATH=bin_dir + os.pathsep + env.get("PATH", ""), PYTHONWARNINGS="", **extra_env)
    command = [os.path.join(bin_dir, "flask"), "--app", "admin_app", "db", *args]
    if directory is not None:
        command += ["--directory", str(directory)]
    return subprocess.Popen(command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen) -> tuple[int, list[str], str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, [line for line in out.splitlines() if line.strip()], err


# --------------------------------------------------------------------------- every state

@pytest.mark.parametrize("state", [UP_TO_DATE, PENDING, UNKNOWN_REVISION, NOT_INITIALIZED,
                                   MULTIPLE_HEADS])
def test_state_on_page_json_cli_and_like_flask_db(state, backend, app, admin_client,
                                                  database, configure, request):
    url = database(state)
    location = request.getfixturevalue("branching_scripts") if state == MULTIPLE_HEADS \
        else MIGRATIONS
    configure({"alvo": url}, location=location)
    file_before = sqlite_file(url).exists() if sqlite_file(url) else None

    # The page: the state's badge, in Portuguese.
    html = page(admin_client)
    assert f'data-state="{state}"' in html
    assert LABELS[state] in html
    # The JSON twin.
    env = by_name(status_json(admin_client))["alvo"]
    assert env["state"] == state and env["state_label"] == LABELS[state]
    assert env["reachable"] is True
    assert env["dialect"] == ("sqlite" if backend == "sqlite" else "postgresql")
    assert env["server_version"]
    # The terminal: the same words, exit code 1 unless up to date.
    result = cli(app, "status", "--env", "alvo", "--directory", str(location))
    assert result.exit_code == (0 if state == UP_TO_DATE else 1), result.output
    assert f"alvo: {LABELS[state]}" in result.output

    expected_current = {UP_TO_DATE: (HEAD,), PENDING: (PREVIOUS,), NOT_INITIALIZED: (),
                        UNKNOWN_REVISION: (UNKNOWN_ID,), MULTIPLE_HEADS: (HEAD,)}[state]
    assert tuple(row["revision"] for row in env["current"]) == expected_current
    if state == PENDING:
        assert [r["revision"] for r in env["pending"]] == [HEAD]
        assert f"{pt('Pending')}:\n    {HEAD} " in result.output
    if state == NOT_INITIALIZED:
        assert [r["revision"] for r in env["pending"]] == list(reversed(
            [r.revision for r in SCRIPTS.revisions]))
    if state == MULTIPLE_HEADS:
        assert env["heads"] == sorted([HEAD, "b0a0c0d0e0f1"])
    if file_before is False:
        assert not sqlite_file(url).exists(), "checking must not create the database file"

    # What the real commands print for the same database.
    current = flask_db(url, "current", directory=location)
    history = flask_db(url, "history", "--indicate-current", directory=location)
    code, lines, err = finish(current)
    if state == UNKNOWN_REVISION:
        assert code != 0 and f"Can't locate revision identified by '{UNKNOWN_ID}'" in err
        assert env["current_lines"] is None
    else:
        assert code == 0, err
        assert sorted(lines) == env["current_lines"]
    code, lines, err = finish(history)
    if state == UNKNOWN_REVISION and code != 0:  # Alembic cannot mark an unknown revision
        code, lines, err = finish(flask_db(url, "history", directory=location))
    assert code == 0, err
    history_json = status_json(admin_client)["history"]
    assert [line.replace(" (current)", "") for line in lines] == \
        [row["line"] for row in history_json]
    marked = {line.split(" -> ")[1].split(" ")[0] for line in lines if "(current)" in line}
    assert marked == {row["revision"] for row in history_json
                      if row["environments"]["alvo"] == "current"}


def test_matrix_marks_applied_current_and_pending(backend, app, admin_client, database,
                                                  configure):
    configure({"atrasado": database(PENDING),
               "atual": database(UP_TO_DATE)})
    history = status_json(admin_client)["history"]
    assert [row["revision"] for row in history[:2]] == [HEAD, PREVIOUS]  # newest first
    assert history[0]["environments"] == {"atrasado": "pending", "atual": "current"}
    assert history[1]["environments"] == {"atrasado": "current", "atual": "applied"}
    assert history[-1]["environments"] == {"atrasado": "applied", "atual": "applied"}
    assert history[-1]["parents"] == [] and history[0]["parents"] == [PREVIOUS]
    html = page(admin_client)
    assert f'id="rev-{HEAD}"' in html and 'data-mark="pending"' in html


def test_branch_and_merge_points_in_history(backend, app, admin_client, configure,
                                            branching_scripts, database):
    add_revision(branching_scripts, "c1c2c3c4c5c6", (HEAD, "b0a0c0d0e0f1"), "merge heads")
    configure({"alvo": database(UP_TO_DATE)}, location=branching_scripts)
    data = status_json(admin_client)
    rows = {row["revision"]: row for row in data["history"]}
    assert rows[PREVIOUS]["is_branch_point"] and rows["c1c2c3c4c5c6"]["is_merge_point"]
    assert data["scripts"]["heads"] == ["c1c2c3c4c5c6"]
    env = by_name(data)["alvo"]
    assert env["state"] == PENDING
    assert [r["revision"] for r in env["pending"]] == ["b0a0c0d0e0f1", "c1c2c3c4c5c6"]
    html = page(admin_client)
    assert pt("branch point") in html and pt("merge point") in html


# --------------------------------------------------------------------------- unreachable

def test_unreachable_postgres_within_timeout_others_still_shown(
        backend, app, admin_client, database, configure, caplog):
    reachable = {"bom": database(UP_TO_DATE), "outro": database(PENDING)}
    # "outro"'s plan (a scratch database: bench/, not this test) built once beforehand, so
    # the time below is what the unreachable environment costs the page.
    configure(reachable)
    page(admin_client)
    configure({**reachable, "fora": CLOSED_PORT_URL})
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    html = page(admin_client)
    assert time.monotonic() - started < CONNECT_TIMEOUT + 1
    environments = by_name(status_json(admin_client))
    assert environments["bom"]["state"] == UP_TO_DATE
    assert environments["outro"]["state"] == PENDING
    assert environments["fora"]["state"] == UNREACHABLE
    assert environments["fora"]["reachable"] is False
    refused = pt("connection refused (is the server running on that host and port?)")
    assert refused in environments["fora"]["error"]
    assert "inacessível" in html and "em dia" in html and refused in html
    assert "fora" in caplog.text  # logged, in words
    result = cli(app, "status", "--all")
    assert result.exit_code == 1
    assert "fora: inacessível" in result.output and "bom: em dia" in result.output


@pytest.fixture()
def silent_server():
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_two_silent_servers_cost_one_timeout_not_two(silent_server, tmp_path):
    """Checked concurrently: the page time is bounded by the timeout, not multiplied."""
    environments = [envs.Environment(name=f"mudo{i}", url=envs.resolve_url(
        f"postgresql://gestao:{SECRET}@127.0.0.1:{silent_server}/x")) for i in (1, 2)]
    config = envs.EnvironmentsConfig(environments, tmp_path / "x.toml", from_file=True)
    started = time.monotonic()
    report = status_report(config, MIGRATIONS)
    elapsed = time.monotonic() - started
    assert [e.state for e in report.environments] == [UNREACHABLE, UNREACHABLE]
    assert "no answer within the timeout" in report.environments[0].error  # no app: English
    assert CONNECT_TIMEOUT - 0.5 <= elapsed < CONNECT_TIMEOUT * 1.6, elapsed


# --------------------------------------------------------------------------- secrets, config

def test_password_never_in_html_json_cli_or_log(backend, app, admin_client, database,
                                                configure, caplog):
    good = database(UP_TO_DATE)
    if backend == "postgresql":  # trust authentication: the password is sent, and ignored
        good = good.replace("postgresql+psycopg://postgres@", f"postgresql://postgres:{SECRET}@")
    configure({"bom": good, "fora": CLOSED_PORT_URL})
    caplog.set_level(logging.DEBUG)
    html = page(admin_client)
    raw_json = admin_client.get("/admin/migrations/status.json").get_data(as_text=True)
    result = cli(app, "status", "--all")
    json_result = cli(app, "status", "--all", "--json")
    for text_ in (html, raw_json, result.output, json_result.output, caplog.text):
        assert SECRET not in text_
    assert "gestao:***@127.0.0.1:1/nada" in html
    environments = by_name(json.loads(raw_json))
    assert environments["bom"]["state"] == UP_TO_DATE
    if backend == "postgresql":
        assert "postgres:***@" in environments["bom"]["url"]


def test_malformed_file_is_a_message_not_a_500(app, admin_client, configure, caplog):
    configure(raw="[environments.dev\nurl = 'sqlite:///x.db'\n")
    caplog.set_level(logging.WARNING)
    html = page(admin_client)
    assert 'id="config-error"' in html and pt(
        "The environments file %(path)s is invalid: %(detail)s", path="", detail="")[:20] in html
    data = status_json(admin_client)
    assert data["config"]["error"] and data["environments"] == [] and data["ok"] is False
    assert "environments.toml" in caplog.text and "invalid" in caplog.text
    assert cli(app, "status").exit_code == 2


@pytest.mark.parametrize("raw, words", [
    ("[environments.a]\nurl = 'sqlite:///a.db'\nurl_env = 'X'\n", "exactly one of url"),
    ("[environments.a]\nurl = 'sqlite:///a.db'\nproduction = 'sim'\n", "true or false"),
    ("[environments.a]\nuri = 'sqlite:///a.db'\n", "unknown key"),
    ("title = 'x'\n", "at least one"),
])
def test_environment_file_errors_name_the_problem(tmp_path, raw, words):
    path = tmp_path / "environments.toml"
    path.write_text(raw)
    config = envs.load_environments(path)
    assert config.environments == [] and words in config.error.detail


def test_url_env_and_relative_paths(tmp_path, monkeypatch):
    path = tmp_path / "environments.toml"
    path.write_text("[environments.dev]\nurl = 'sqlite:///instance/gestao.db'\n"
                    "[environments.stg]\nurl_env = 'STG_URL'\n"
                    "[environments.prod]\nurl_env = 'PROD_URL_NOT_SET'\nproduction = true\n")
    config = envs.load_environments(path, environ={"STG_URL": f"postgres://u:{SECRET}@h/db"})
    dev, stg, prod = config.environments
    assert dev.url == f"sqlite:///{envs.PROJECT_ROOT}/instance/gestao.db"
    assert stg.url.startswith("postgresql+psycopg://") and stg.masked_url == \
        "postgresql+psycopg://u:***@h/db"
    assert SECRET not in repr(stg)
    assert prod.production and prod.problem == envs.MISSING_VARIABLE
    report = status_report(config, MIGRATIONS, only=["prod"])
    assert report.environments[0].state == UNREACHABLE
    assert "PROD_URL_NOT_SET" in report.environments[0].error


def test_without_a_file_the_app_database_is_the_only_environment(app, admin_client,
                                                                 monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "GESTAO_ENVIRONMENTS", str(tmp_path / "none.toml"))
    data = status_json(admin_client)
    assert data["config"]["from_file"] is False
    [env] = data["environments"]
    assert env["name"] == app.config["GESTAO_ENV"] and env["state"] == UP_TO_DATE
    assert 'id="no-config"' in page(admin_client)


# --------------------------------------------------------------------------- read-only

def test_checking_never_writes(backend, app, make_database, database):
    url = database(PENDING)
    with open_readonly(url) as conn:
        with pytest.raises(Exception) as error:
            conn.execute(text("CREATE TABLE intrusa (id INTEGER)"))
    assert "read" in str(error.value).lower()  # "readonly database" / "read-only transaction"
    assert "intrusa" not in tables(url)
    if backend == "sqlite":
        missing = sqlite_file(make_database("sqlite"))
        with pytest.raises(Exception):
            with open_readonly(f"sqlite:///{missing}"):
                pass
        assert not missing.exists()


# --------------------------------------------------------------------------- upgrade

def test_upgrade_backs_up_upgrades_records_and_shows_who(
        backend, app, admin_client, make_database, configure, tmp_path):
    url = build(PENDING, backend, make_database)
    configure({"alvo": url})
    result = cli(app, "upgrade", "--env", "alvo")
    assert result.exit_code == 0, result.output
    assert current_heads(url) == (HEAD,)
    backups = list((tmp_path / "backups").iterdir())
    assert len(backups) == 1 and backups[0].name.startswith(f"alvo_{PREVIOUS}_")
    [row] = [r for r in log_rows(url) if r["revision"] == HEAD]
    assert row["direction"] == "upgrade" and row["from_revision"] == PREVIOUS
    assert row["applied_by"].endswith("(manage.py migrations upgrade)")
    assert row["duration_ms"] >= 0
    script = next((MIGRATIONS / "versions").glob(f"{HEAD}_*.py"))
    assert row["checksum"] == hashlib.sha256(script.read_bytes()).hexdigest()
    env = by_name(status_json(admin_client))["alvo"]
    assert env["state"] == UP_TO_DATE
    assert env["current"][0]["applied"]["applied_by"] == row["applied_by"]
    assert 'class="text-muted applied-by"' in page(admin_client)
    again = cli(app, "upgrade", "--env", "alvo")
    assert again.exit_code == 0 and pt(
        "%(env)s is already up to date (%(rev)s); nothing to do.", env="alvo", rev=HEAD) \
        in again.output


def test_failed_step_leaves_last_good_revision_and_backup_restores(
        backend, app, make_database, configure, scripts_copy, tmp_path):
    add_revision(scripts_copy, "a0a0a0a0a0a1", HEAD, "good step",
                 "op.create_table('novidade', sa.Column('id', sa.Integer, primary_key=True))")
    add_revision(scripts_copy, "dead0dead0d2", "a0a0a0a0a0a1", "bad step",
                 "op.create_table('parcial', sa.Column('id', sa.Integer, primary_key=True))\n"
                 "    op.execute('SELECT * FROM tabela_que_nao_existe')")
    url = build(UP_TO_DATE, backend, make_database)
    configure({"alvo": url})
    result = cli(app, "upgrade", "--env", "alvo", "--directory", str(scripts_copy))
    assert result.exit_code == 1
    assert "dead0dead0d2 (bad step)" in result.output and "tabela_que_nao_existe" in result.output
    # The good step is kept, the failed one left nothing behind.
    assert current_heads(url) == ("a0a0a0a0a0a1",)
    assert "novidade" in tables(url) and "parcial" not in tables(url)
    assert [r["revision"] for r in log_rows(url)][-1] == "a0a0a0a0a0a1"
    # The backup was taken first, is named in the output and restores the previous state.
    [backup] = list((tmp_path / "backups").iterdir())
    assert backup.name.startswith(f"alvo_{HEAD}_") and str(backup) in result.output
    restored = envs.Environment(name="copia", url=make_database(backend))
    restore_backup(backup, restored)
    assert current_heads(restored.url) == (HEAD,)
    assert "novidade" not in tables(restored.url) and "customers" in tables(restored.url)


def test_production_asks_for_its_name(backend, app, make_database, configure, tmp_path):
    url = build(PENDING, backend, make_database)
    configure({"prod": {"url": url, "production": True}})
    refused = cli(app, "upgrade", "--env", "prod", input="outro\n")
    assert refused.exit_code == 1
    assert pt("Not confirmed: nothing was changed.") in refused.output
    assert current_heads(url) == (PREVIOUS,) and not (tmp_path / "backups").exists()
    confirmed = cli(app, "upgrade", "--env", "prod", input="prod\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert current_heads(url) == (HEAD,)


def test_upgrade_refuses_unknown_revision_and_multiple_heads(backend, app, database,
                                                             configure, branching_scripts):
    unknown = database(UNKNOWN_REVISION)
    configure({"alvo": unknown})
    result = cli(app, "upgrade", "--env", "alvo")
    assert result.exit_code == 1 and "stamp" in result.output
    configure({"alvo": database(PENDING)})
    result = cli(app, "upgrade", "--env", "alvo", "--directory", str(branching_scripts))
    assert result.exit_code == 1 and "merge" in result.output


def test_backup_command(backend, app, database, configure, tmp_path, monkeypatch):
    configure({"alvo": database(UP_TO_DATE)})
    result = cli(app, "backup", "--env", "alvo")
    assert result.exit_code == 0, result.output
    [backup] = list((tmp_path / "backups").iterdir())
    assert backup.name.startswith(f"alvo_{HEAD}_") and backup.stat().st_size > 0
    if backend == "postgresql":
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
        missing = cli(app, "backup", "--env", "alvo")
        assert missing.exit_code == 1 and "pg_dump" in missing.output \
            and "postgresql-client" in missing.output


def test_plain_flask_db_upgrade_records_its_steps(backend, app, make_database):
    """The first revision creates no log yet; every step after it is recorded (stamps
    too), by whoever $GESTAO_MIGRATION_ACTOR names, else user@host."""
    url = make_database(backend)
    code, _, err = finish(flask_db(url, "upgrade", GESTAO_MIGRATION_ACTOR="deploy-bot"))
    assert code == 0, err
    logged = len(SCRIPTS.revisions) - 1  # every revision but the first
    assert [r["applied_by"] for r in log_rows(url)] == ["deploy-bot"] * logged
    run_alembic(url, MIGRATIONS, "downgrade", SCRIPTS.apply_order[0])
    assert "migration_log" not in tables(url)  # reverted with its revision
    run_alembic(url, MIGRATIONS, "upgrade", "heads")
    run_alembic(url, MIGRATIONS, "stamp", PREVIOUS)
    rows = log_rows(url)
    assert [(r["revision"], r["direction"]) for r in rows] == [
        (revision, "upgrade") for revision in SCRIPTS.apply_order[1:]] + [(PREVIOUS, "stamp")]
    assert "@" in rows[0]["applied_by"] and rows[0]["applied_at"] is not None


# --------------------------------------------------------------------------- demo

def test_demo_environments(app, admin_client, monkeypatch, tmp_path):
    path = tmp_path / "demo" / "environments.toml"
    monkeypatch.setitem(app.config, "GESTAO_ENVIRONMENTS", str(path))
    first = cli(app, "demo-envs")
    assert first.exit_code == 0, first.output
    content = path.read_text()
    second = cli(app, "demo-envs")
    assert second.exit_code == 0 and path.read_text() == content
    assert first.output == second.output
    environments = by_name(status_json(admin_client))
    assert {n: e["state"] for n, e in environments.items()} == {
        "development": UP_TO_DATE, "staging": PENDING, "production": NOT_INITIALIZED}
    assert environments["production"]["production"] is True
    path.write_text(content.split("\n", 1)[1])  # no longer the demo's file: left alone
    assert pt("%(path)s is not the demo's file; left as it is.", path=str(path)) in \
        cli(app, "demo-envs").output
    assert path.read_text() == content.split("\n", 1)[1]


# --------------------------------------------------------------------------- access

@pytest.mark.parametrize("url", ["/admin/migrations/", "/admin/migrations/status.json"])
def test_access_by_role(url, actors):
    anonymous = actors(None).get(url)
    assert anonymous.status_code == 302
    assert "/login?next=" in anonymous.headers["Location"]
    assert "migrations" in anonymous.headers["Location"]
    assert actors("reader").get(url).status_code == 403
    assert actors("editor").get(url).status_code == 403
    assert actors("admin").get(url).status_code == 200


def test_menu_entry_only_for_admins(actors):
    assert "/admin/migrations/" in actors("admin").get("/admin/").get_data(as_text=True)
    assert "/admin/migrations/" not in actors("editor").get("/admin/").get_data(as_text=True)
