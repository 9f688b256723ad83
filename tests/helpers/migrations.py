"""The real migration scripts and what the migration tests read back: the revisions, a revision
added to a copy of migrations/, a database's heads and migration log, the `migrations`
commands, the "Migrações" page and its JSON."""

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from admin_app.ops.scripts import load_scripts

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations"
SCRIPTS = load_scripts(MIGRATIONS)
HEAD = SCRIPTS.heads[0]
PREVIOUS = SCRIPTS.by_id[HEAD].parents[0]


def current_heads(url: str) -> tuple[str, ...]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return tuple(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def log_rows(url: str) -> list[dict]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(
                "SELECT * FROM migration_log ORDER BY id")).mappings()]
    finally:
        engine.dispose()


def add_revision(folder: Path, revision: str, down_revision, message: str,
                 body: str = "pass", downgrade_body: str = "pass") -> None:
    down = repr(down_revision)
    (folder / "versions" / f"{revision}_test.py").write_text(f'''"""{message}

Revision ID: {revision}
Revises: {down_revision}
Create Date: 2026-11-25 16:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = {revision!r}
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade():
    {body}


def downgrade():
    {downgrade_body}
''')


def cli(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["migrations", *args], input=input)


def page(client) -> str:
    response = client.get("/admin/migrations/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def status_json(client) -> dict:
    response = client.get("/admin/migrations/status.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def by_name(data: dict) -> dict:
    return {env["name"]: env for env in data["environments"]}


def run_alembic_at(app, url: str, folder, target: str) -> None:
    """Upgrade the database at `url` to `target` with the scripts of `folder`."""
    from admin_app.ops.upgrade import run_alembic

    with app.app_context():
        run_alembic(url, folder, "upgrade", target)


def use_environment(app, tmp_path, name: str, url: str, production: bool = False) -> None:
    """Point `app` (one of a test's own) at an environments file holding one environment."""
    path = tmp_path / "environments.toml"
    path.write_text(f'[environments.{name}]\nurl = "{url}"\n'
                    f'production = {"true" if production else "false"}\n', encoding="utf-8")
    app.config["GESTAO_ENVIRONMENTS"] = str(path)
