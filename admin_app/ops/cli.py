"""`python manage.py migrations …`: the migration guide's deploy routine as commands.

    migrations status [--env NAME | --all]   exit code 1 when any environment checked is
                                             not up to date, has an applied script modified
                                             or missing, or schema drift
    migrations backup --env NAME             a backup into instance/backups/
    migrations upgrade --env NAME [--yes]    lock, backup, upgrade to head, verify; refused
        [--allow-modified] [--lock-wait S]   when an applied script was modified or is
        [--accept-risk]                      missing, when another upgrade holds the lock,
                                             (production with `follows`) when the
                                             predecessor has not applied a pending revision,
                                             and (production) when the plan has a dangerous
                                             finding
    migrations plan --env NAME [--sql]       the pending revisions in order, their SQL
                                             and findings; exit 1 when one is dangerous
    migrations demo-envs                     the demo's three SQLite environments

Exit code 2, for every command: a bad environments file or an unknown environment name.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from admin_app.i18n import gettext

from . import environments as envs
from .actor import login
from .backup import BackupError, backup_dir, make_backup
from .codes import MODIFIED, UNREACHABLE
from .drift import models_for_app
from .errors import driver_words
from .lock import LOCK_WAIT
from .plan import REFUSE, UNKNOWN, plan_environment
from .plan_text import plan_lines
from .probe import probe
from .scripts import load_scripts
from .status import environment_status, migrations_dir, status_report
from .status_json import report_json
from .text import integrity_label, rollback_label, rollback_words
from .upgrade import StepLimits, run_alembic, upgrade_environment

migrations_cli = AppGroup("migrations", help="Migration status, backups and guarded upgrades "
                                             "of the environments in environments.toml.")

directory_option = click.option("-d", "--directory", default=None,
                                help="Migrations folder (default: the project's migrations/).")

DEMO_MARK = "# Demo environments written by `python manage.py migrations demo-envs`."
DEMO_TOML = DEMO_MARK + """
# development: the app's own database (at head); staging: one revision behind head;
# production: not initialized, promoted from staging. Delete the first line to keep your
# own edits: the demo then leaves this file alone.

[environments.development]
{development}

[environments.staging]
url = {staging}

[environments.production]
url = {production}
production = true
follows = "staging"
"""


def actor(command_name: str) -> str:
    return f"{login()} (manage.py migrations {command_name})"


def _config() -> envs.EnvironmentsConfig:
    config = envs.for_app(current_app)
    if config.error:
        click.echo(config.error.message(), err=True)
        raise click.exceptions.Exit(2)
    return config


def _environment(config: envs.EnvironmentsConfig, name: str) -> envs.Environment:
    """The environment named ``name``; an unknown name is bad input (exit code 2)."""
    environment = config.get(name)
    if environment is None:
        click.echo(gettext("No environment named %(name)s. Known: %(known)s.", name=name,
                           known=", ".join(config.names) or "-"), err=True)
        raise click.exceptions.Exit(2)
    return environment


def _location(directory: str | None) -> str:
    return str(Path(directory).resolve()) if directory else migrations_dir(current_app)


def _applied(record: dict | None) -> str:
    if not record:
        return ""
    when = record["applied_at"]
    when = when.strftime("%Y-%m-%d %H:%M UTC") if hasattr(when, "strftime") else str(when)
    return " — " + gettext("applied on %(when)s by %(who)s", when=when,
                           who=record["applied_by"])


def _print_status(status, scripts) -> None:
    production = " [" + gettext("production") + "]" if status.production else ""
    click.echo(f"{status.name}{production}: {status.state_label}")
    if status.upgrade_lock:
        click.echo("  " + gettext("%(label)s (by %(who)s)", label=status.upgrade_in_progress_label,
                                  who=status.upgrade_lock.get("by") or "?"))
    version = f" ({status.probe.dialect or '?'} {status.probe.server_version or ''})".rstrip()
    click.echo(f"  URL: {status.url or '-'}{version if status.reachable else ''}")
    label_error, label_current = gettext("Error"), gettext("Current revision")
    label_heads, label_pending = gettext("Heads"), gettext("Pending")
    if status.error:
        click.echo(f"  {label_error}: {status.error}")
    if status.note:
        click.echo(f"  {status.note}")
    if status.state != UNREACHABLE:
        rows = status.current_revisions(scripts)
        current = ", ".join(
            f"{row['revision']}{'' if row['known'] else ' (?)'}"
            f"{' ' + row['message'] if row['message'] else ''}{_applied(row['applied'])}"
            for row in rows) or gettext("none")
        click.echo(f"  {label_current}: {current}")
    if scripts is not None:
        click.echo(f"  {label_heads}: {', '.join(scripts.heads) or '-'}")
    if status.pending:
        click.echo(f"  {label_pending}:")
    for revision in status.pending:
        label = rollback_label(revision.rollback)
        rollback = f" [{label}]" if label else ""
        click.echo(f"    {revision.revision} {revision.message}{rollback}")
    _print_safety(status)


def _print_safety(status) -> None:
    """Promotion order, schema drift, modified or missing scripts."""
    if status.promotion:
        order = status.promotion
        click.echo("  " + gettext("Follows: %(env)s", env=order["follows"]))
        if order["ready"]:
            click.echo("  " + gettext("Ready to promote: %(revs)s",
                                      revs=", ".join(order["ready"])))
        if order["waiting"]:
            click.echo("  " + gettext("Waiting for %(env)s: %(revs)s", env=order["follows"],
                                      revs=", ".join(order["waiting"])))
    if status.drift:
        click.echo(f"  {status.drift_label}:")
        for words in status.drift_words:
            click.echo(f"    {words}")
    if status.drift_not_checked:
        click.echo(f"  {status.drift_not_checked}")
    for issue in status.integrity:
        click.echo(f"  {integrity_label(issue['kind'])}: {issue['revision']}"
                   f"{' ' + issue['message'] if issue['message'] else ''}")
        if issue["kind"] == MODIFIED:
            click.echo("    " + gettext("checksum when applied: %(checksum)s",
                                        checksum=issue["recorded_checksum"]))
            click.echo("    " + gettext("checksum now: %(checksum)s",
                                        checksum=issue["current_checksum"]))


@migrations_cli.command("status")
@click.option("--env", "env_name", metavar="NAME", help="Only this environment.")
@click.option("--all", "all_envs", is_flag=True, help="Every environment (the default).")
@click.option("--json", "as_json", is_flag=True, help="The page's JSON instead of text.")
@directory_option
def status_command(env_name, all_envs, as_json, directory):
    """Revision, heads and pending migrations of each environment; exit code 1 when any
    environment checked is not up to date or has an applied script modified or missing."""
    if env_name and all_envs:
        raise click.UsageError(gettext("Use --env NAME or --all, not both."))
    config = _config()
    only = None
    if env_name:
        only = [_environment(config, env_name).name]
    report = status_report(config, _location(directory), only=only,
                           models=models_for_app(current_app))
    if as_json:
        click.echo(json.dumps(report_json(report), indent=2, default=str))
    else:
        if report.scripts_error:
            click.echo(gettext("The migration scripts cannot be read: %(error)s",
                               error=report.scripts_error), err=True)
        for status in report.environments:
            _print_status(status, report.scripts)
    raise click.exceptions.Exit(0 if report.all_up_to_date else 1)


@migrations_cli.command("plan")
@click.option("--env", "env_name", metavar="NAME", required=True)
@click.option("--sql", "with_sql", is_flag=True, help="Print each step's SQL too.")
@directory_option
def plan_command(env_name, with_sql, directory):
    """What `migrations upgrade` would run on the environment, in order, with the SQL of
    each step and what it risks there. Exit code 1 when a finding is dangerous (or the
    environment cannot be checked), 2 for a bad environments file or name."""
    environment = _environment(_config(), env_name)
    location = _location(directory)
    try:
        scripts = load_scripts(location)
    except Exception as exc:  # a script that does not even load
        click.echo(gettext("The migration scripts cannot be read: %(error)s",
                           error=driver_words(exc)), err=True)
        raise click.exceptions.Exit(1) from None
    plan = plan_environment(environment, location, scripts)
    for line in plan_lines(plan, with_sql):
        click.echo(line)
    raise click.exceptions.Exit(1 if plan.verdict in (REFUSE, UNKNOWN) else 0)


@migrations_cli.command("backup")
@click.option("--env", "env_name", metavar="NAME", required=True)
def backup_command(env_name):
    """Back the environment's database up into instance/backups/."""
    environment = _environment(_config(), env_name)
    checked = probe(environment)
    if not checked.reachable:
        status = environment_status(environment, checked, None)
        raise click.ClickException(gettext("%(env)s is unreachable: %(error)s",
                                           env=environment.name, error=status.error))
    try:
        backup = make_backup(environment, checked.heads, backup_dir(current_app))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(gettext("Backup of %(env)s at revision %(rev)s: %(path)s (%(size)s bytes)",
                       env=environment.name, rev=backup.revision, path=str(backup.path),
                       size=backup.size))


def _warn_irreversible(environment, location) -> None:
    """Before touching production: name the pending migrations that cannot be reverted."""
    try:
        scripts = load_scripts(location)
    except Exception:  # upgrade_environment reports unreadable scripts
        return
    status = environment_status(environment, probe(environment), scripts)
    irreversible = status.irreversible_pending
    if not irreversible:
        return
    click.echo(gettext("Warning: %(env)s is a production environment and these pending "
                       "migrations have no rollback plan:", env=environment.name), err=True)
    for revision in irreversible:
        click.echo(f"  {revision.revision} {revision.message}: {rollback_words(revision.rollback)}",
                   err=True)
    click.echo(gettext("Going back would mean restoring the backup taken before the upgrade."),
               err=True)


@migrations_cli.command("upgrade")
@click.option("--env", "env_name", metavar="NAME", required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (production).")
@click.option("--allow-modified", "allow_modified", is_flag=True,
              help="Upgrade even though an applied migration's script was modified since or "
                   "is missing (the override is recorded in migration_log).")
@click.option("--lock-wait", "lock_wait", type=click.FloatRange(min=0), default=LOCK_WAIT,
              show_default=True, metavar="SECONDS",
              help="How long to wait for another upgrade of the same environment to finish.")
@click.option("--accept-risk", "accept_risk", is_flag=True,
              help="Production: upgrade even though the plan has dangerous findings (the "
                   "findings accepted are recorded in migration_log).")
@directory_option
def upgrade_command(env_name, yes, allow_modified, lock_wait, accept_risk, directory):
    """Backup, upgrade to head, verify. Production asks for its name to be typed."""
    config = _config()
    environment = _environment(config, env_name)
    location = _location(directory)
    if environment.production:
        _warn_irreversible(environment, location)
    if environment.production and not yes:
        typed = click.prompt(gettext("%(env)s is a production environment. Type its name to "
                                     "upgrade it", env=environment.name), default="",
                             show_default=False)
        if typed.strip() != environment.name:
            raise click.ClickException(gettext("Not confirmed: nothing was changed."))
    result = upgrade_environment(environment, location=location,
                                 backup_directory=backup_dir(current_app),
                                 applied_by=actor("upgrade"), report=click.echo,
                                 allow_modified=allow_modified,
                                 predecessor=config.get(environment.follows or ""),
                                 lock_wait=lock_wait, accept_risk=accept_risk,
                                 limits=StepLimits.from_config(current_app.config))
    if result.nothing_to_do:
        click.echo(gettext("%(env)s is already up to date (%(rev)s); nothing to do.",
                           env=environment.name, rev=", ".join(result.after)))
        return
    if not result.ok:
        click.echo(gettext("Upgrade of %(env)s failed.", env=environment.name), err=True)
        click.echo(result.error, err=True)
        if result.backup:
            click.echo(gettext("Backup taken before the upgrade: %(path)s",
                               path=str(result.backup.path)), err=True)
            click.echo(gettext("To restore it: %(command)s", command=result.restore_hint),
                       err=True)
        raise click.exceptions.Exit(1)
    click.echo(gettext("%(env)s upgraded to %(rev)s and verified at head (%(n)s step(s)).",
                       env=environment.name, rev=", ".join(result.after),
                       n=len(result.steps)))
    if result.lock_retries:
        click.echo(gettext("Steps were tried again %(n)s time(s) after waiting for a lock.",
                           n=result.lock_retries))


@migrations_cli.command("demo-envs")
@click.option("--reset", is_flag=True,
              help="Rebuild staging.db and production.db even if they exist.")
def demo_envs_command(reset):
    """Write instance/environments.toml with the demo's three SQLite environments:
    development = the app's own database (at head), staging.db one revision behind head,
    production.db not initialized (both next to the file). Idempotent."""
    app = current_app
    path = envs.environments_path(app.config, app.instance_path)
    if path.exists() and not path.read_text(encoding="utf-8").startswith(DEMO_MARK):
        click.echo(gettext("%(path)s is not the demo's file; left as it is.", path=str(path)))
        return
    folder = path.parent.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    files = {"staging": folder / "staging.db", "production": folder / "production.db"}
    # The app's own database; its URL stays in DATABASE_URL when it comes from there.
    development = ('url_env = "DATABASE_URL"' if os.environ.get("DATABASE_URL")
                   else "url = " + json.dumps(app.config["SQLALCHEMY_DATABASE_URI"]))
    content = DEMO_TOML.format(development=development, **{
        name: json.dumps(f"sqlite:///{file}") for name, file in files.items()})
    if not path.exists() or path.read_text(encoding="utf-8") != content:
        path.write_text(content, encoding="utf-8")

    location = migrations_dir(app)
    scripts = load_scripts(location)
    for name, database in files.items():
        if reset:
            database.unlink(missing_ok=True)
        if database.exists():
            continue
        sqlite3.connect(database).close()  # an empty database: not initialized
        if name == "staging" and len(scripts.heads) == 1:
            parents = scripts.by_id[scripts.heads[0]].parents
            if parents:
                run_alembic(f"sqlite:///{database}", location, "upgrade", parents[0],
                            applied_by=actor("demo-envs"))
    report = status_report(envs.load_environments(path), location)
    click.echo(gettext("Demo environments in %(path)s:", path=str(path)))
    for status in report.environments:
        click.echo(f"  {status.name}: {status.state_label}")
