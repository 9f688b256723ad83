"""Project commands (`python manage.py …` / `flask --app admin_app …`): thin wrappers."""

import os
import secrets

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_security import hash_password
from sqlalchemy import select

from .extensions import db
from .models import Role, User
from .config import MIN_PASSWORD_LENGTH
from .models.auth import ADMIN, ROLE_NAMES

PASSWORD_ENV = "GESTAO_USER_PASSWORD"

users = AppGroup("users", help="Manage panel users.")


def ensure_roles() -> dict[str, Role]:
    """The three built-in roles, created if missing (idempotent)."""
    datastore = current_app.extensions["security"].datastore
    descriptions = {"admin": "Administrador", "editor": "Editor", "reader": "Leitura"}
    roles = {}
    for name in ROLE_NAMES:
        roles[name] = datastore.find_or_create_role(name=name, description=descriptions[name])
    db.session.commit()
    return roles


def _read_password(confirm: bool = True) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    return password


def create_user(email: str, role: str, password: str) -> User:
    datastore = current_app.extensions["security"].datastore
    roles = ensure_roles()
    user = datastore.create_user(email=email, password=hash_password(password),
                                 roles=[roles[role]], active=True)
    db.session.commit()
    return user


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLE_NAMES), required=True)
def users_create(email, role):
    """Create a user; the password is prompted twice or read from $GESTAO_USER_PASSWORD."""
    datastore = current_app.extensions["security"].datastore
    if datastore.find_user(email=email):
        raise click.ClickException(f"A user with e-mail {email} already exists.")
    create_user(email, role, _read_password())
    click.echo(f"User {email} created with role {role}.")


@users.command("set-password")
@click.argument("email")
def users_set_password(email):
    """Set a user's password (prompted twice or read from $GESTAO_USER_PASSWORD)."""
    datastore = current_app.extensions["security"].datastore
    user = datastore.find_user(email=email)
    if user is None:
        raise click.ClickException(f"No user with e-mail {email}.")
    user.password = hash_password(_read_password())
    db.session.commit()
    click.echo(f"Password of {email} changed.")


def _user(email: str):
    """The user of an e-mail, whatever its case (None if there is none)."""
    return current_app.extensions["security"].datastore.find_user(case_insensitive=True,
                                                                  email=email)


@users.command("unlock")
@click.argument("email")
def users_unlock(email):
    """Lift the sign-in lock of an e-mail (after too many failed sign-ins)."""
    from .signin import lockout

    if lockout.unlock(email, "cli", _user(email)):
        click.echo(f"Sign-in of {email} unlocked.")
    else:
        click.echo(f"{email} was not locked.")


@users.command("reset-2fa")
@click.argument("email")
def users_reset_2fa(email):
    """Forget a user's authenticator app and recovery codes (a lost phone)."""
    from .signin import two_factor

    user = _user(email)
    if user is None:
        raise click.ClickException(f"No user with e-mail {email}.")
    two_factor.reset(user, "cli")
    click.echo(f"Two-factor of {email} reset; their sessions were ended. The next sign-in "
               "sets up a new authenticator where the role requires it.")


@users.command("list")
def users_list():
    """E-mail, roles and whether each user is active. Never the password hash."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        roles = ",".join(sorted(r.name for r in user.roles)) or "-"
        state = "active" if user.active else "inactive"
        click.echo(f"{user.email}\t{roles}\t{state}")


@click.command("seed-demo")
def seed_demo_command():
    """Idempotent demo data: customers, products, orders, movements, entries."""
    from .demo import seed_demo

    ensure_roles()
    counts = seed_demo()
    click.echo("Demo data ready: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


@click.command("ensure-demo-admin")
@click.option("--email", default="admin@exemplo.com.br", show_default=True)
def ensure_demo_admin_command(email):
    """Create the demo administrator with a random password printed once, or reuse it."""
    datastore = current_app.extensions["security"].datastore
    ensure_roles()
    if datastore.find_user(email=email):
        click.echo(f"Demo administrator: {email} (password as printed when it was created; "
                   f"change it with `python manage.py users set-password {email}`).")
        return
    password = secrets.token_urlsafe(12)
    create_user(email, ADMIN, password)
    click.echo(f"Demo administrator created: {email}  password: {password}")
    click.echo("This password is shown only now.")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs run at the same time.")
@with_appcontext
def worker_command(workers):
    """Run the background jobs (big imports and exports) until stopped."""
    from .jobs.tasks import run_worker

    run_worker(current_app._get_current_object(), workers)


def register(app) -> None:
    from .admin.history_cli import history_command, restore_command
    from .ops.cli import migrations_cli
    from .transfer.cli import export_command, import_command
    app.cli.add_command(migrations_cli)
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(history_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(users)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(ensure_demo_admin_command)
