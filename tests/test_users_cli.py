"""Panel users: the `users` and `ensure-demo-admin` commands and the Users screen."""

import re

import pytest

from admin_app.cli import ensure_roles
from flask_security import verify_password
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import Role, User
from tests.helpers.auth import PASSWORD, csrf_token, log_in, make_user

PASSWORD_ENV = "GESTAO_USER_PASSWORD"
NEW_PASSWORD = "uma-senha-bem-longa-42"
ALERT_RE = re.compile(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', re.S)

NEEDS_PASSWORD = "Informe uma senha para o novo usuário."
LAST_ADMIN_CHANGE = ("O último administrador ativo não pode ser desativado nem perder o papel "
                     "de administrador.")
LAST_ADMIN_DELETE = "O último administrador ativo não pode ser excluído."


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def cli(runner, *args, password=None, input=None):
    """Run a command with $GESTAO_USER_PASSWORD set to `password` (or unset)."""
    return runner.invoke(args=list(args), input=input, env={PASSWORD_ENV: password})


def user(email) -> User | None:
    db.session.rollback()       # see what the commands and requests committed
    return db.session.scalar(select(User).where(User.email == email))


def role_names(email) -> list[str]:
    return sorted(r.name for r in user(email).roles)


def role_id(name) -> int:
    return db.session.scalar(select(Role.id).where(Role.name == name))


def users_table() -> list[tuple]:
    """Every stored field of every user and their roles: what a refused change must keep."""
    with db.engine.connect() as conn:
        users = conn.execute(select(User.__table__).order_by(User.id)).all()
        links = conn.execute(select(User.roles.property.secondary)
                             .order_by(*User.roles.property.secondary.columns)).all()
    return users + links


def messages(response) -> list[str]:
    return [re.sub(r"<[^>]+>|&times;", "", m).strip()
            for m in ALERT_RE.findall(response.get_data(as_text=True))]


def post_form(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)},
                       follow_redirects=True)


# ---------------------------------------------------------------------------------------------
# users create
# ---------------------------------------------------------------------------------------------
def test_create_user_with_password_from_the_environment(app, runner, client):
    result = cli(runner, "users", "create", "ana@teste.com.br", "--role", "admin",
                 password=NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert "ana@teste.com.br" in result.output
    assert NEW_PASSWORD not in result.output
    created = user("ana@teste.com.br")
    assert created.active
    assert role_names("ana@teste.com.br") == ["admin"]
    assert created.password.startswith("$argon2")
    assert verify_password(NEW_PASSWORD, created.password)
    assert log_in(client, "ana@teste.com.br", NEW_PASSWORD).status_code == 302
    assert client.get("/admin/user/").status_code == 200


def test_create_user_with_password_typed_twice(app, runner):
    result = cli(runner, "users", "create", "bia@teste.com.br", "--role", "editor",
                 input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    assert role_names("bia@teste.com.br") == ["editor"]
    assert verify_password(NEW_PASSWORD, user("bia@teste.com.br").password)


def test_create_user_refuses_two_different_passwords(app, runner):
    result = cli(runner, "users", "create", "bia@teste.com.br", "--role", "editor",
                 input=f"{NEW_PASSWORD}\noutra-senha-longa-1\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert user("bia@teste.com.br") is None


def test_create_user_refuses_a_duplicate_email(app, runner):
    cli(runner, "users", "create", "ana@teste.com.br", "--role", "admin", password=NEW_PASSWORD)
    before = users_table()
    result = cli(runner, "users", "create", "ana@teste.com.br", "--role", "reader",
                 password="outra-senha-longa-1")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert users_table() == before
    assert role_names("ana@teste.com.br") == ["admin"]


@pytest.mark.parametrize("how", ["environment", "prompt"])
def test_create_user_refuses_a_short_password(app, runner, how):
    short = "curta123"
    if how == "environment":
        result = cli(runner, "users", "create", "ana@teste.com.br", "--role", "admin",
                     password=short)
    else:
        result = cli(runner, "users", "create", "ana@teste.com.br", "--role", "admin",
                     input=f"{short}\n{short}\n")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert user("ana@teste.com.br") is None


def test_create_user_refuses_an_unknown_role(app, runner):
    result = cli(runner, "users", "create", "ana@teste.com.br", "--role", "superuser",
                 password=NEW_PASSWORD)
    assert result.exit_code == 2
    assert user("ana@teste.com.br") is None


# ---------------------------------------------------------------------------------------------
# users set-password, users list
# ---------------------------------------------------------------------------------------------
def test_set_password_replaces_the_password(app, runner, client):
    make_user("ana@teste.com.br", "editor")
    old_hash = user("ana@teste.com.br").password
    result = cli(runner, "users", "set-password", "ana@teste.com.br", password=NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    stored = user("ana@teste.com.br").password
    assert stored != old_hash and stored.startswith("$argon2")
    assert log_in(client, "ana@teste.com.br", PASSWORD).status_code == 200      # old: refused
    assert log_in(client, "ana@teste.com.br", NEW_PASSWORD).status_code == 302  # new: works


def test_set_password_by_prompt_refuses_a_mismatch_and_a_short_one(app, runner):
    make_user("ana@teste.com.br", "editor")
    before = users_table()
    mismatch = cli(runner, "users", "set-password", "ana@teste.com.br",
                   input=f"{NEW_PASSWORD}\noutra-senha-longa-1\n")
    short = cli(runner, "users", "set-password", "ana@teste.com.br", password="curta")
    assert mismatch.exit_code != 0 and "do not match" in mismatch.output
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    assert users_table() == before


def test_set_password_of_an_unknown_user_fails(app, runner):
    result = cli(runner, "users", "set-password", "ninguem@teste.com.br", password=NEW_PASSWORD)
    assert result.exit_code == 1
    assert "No user" in result.output


def test_users_list_shows_email_roles_and_state_never_a_hash(app, runner):
    cli(runner, "users", "create", "ana@teste.com.br", "--role", "admin", password=NEW_PASSWORD)
    make_user("bia@teste.com.br", "reader", active=False)
    make_user("caio@teste.com.br", None)
    result = cli(runner, "users", "list")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "ana@teste.com.br\tadmin\tactive",
        "bia@teste.com.br\treader\tinactive",
        "caio@teste.com.br\t-\tactive",
    ]
    assert "$argon2" not in result.output


# ---------------------------------------------------------------------------------------------
# ensure-demo-admin
# ---------------------------------------------------------------------------------------------
def test_ensure_demo_admin_prints_a_random_password_once(app, runner, client):
    first = cli(runner, "ensure-demo-admin")
    assert first.exit_code == 0, first.output
    printed = re.search(r"password: (\S+)", first.output)
    assert printed, first.output
    password = printed[1]
    assert len(password) >= 12
    stored = user("admin@exemplo.com.br").password
    assert stored.startswith("$argon2") and verify_password(password, stored)
    assert role_names("admin@exemplo.com.br") == ["admin"]

    second = cli(runner, "ensure-demo-admin")
    assert second.exit_code == 0, second.output
    assert "admin@exemplo.com.br" in second.output
    assert password not in second.output
    assert not re.search(r"password: \S", second.output)
    assert db.session.scalar(select(db.func.count(User.id))) == 1
    assert user("admin@exemplo.com.br").password == stored
    assert log_in(client, "admin@exemplo.com.br", password).status_code == 302


def test_ensure_demo_admin_passwords_are_random(app, runner):
    first = cli(runner, "ensure-demo-admin").output
    other = cli(runner, "ensure-demo-admin", "--email", "outro@exemplo.com.br").output
    first, other = (re.search(r"password: (\S+)", out)[1] for out in (first, other))
    assert first != other


# ---------------------------------------------------------------------------------------------
# The Users screen
# ---------------------------------------------------------------------------------------------
def test_admin_creates_a_user_with_a_password_and_roles(app, actors, runner):
    admin = actors("admin")
    ensure_roles()
    response = post_form(admin, "/admin/user/new/", {
        "email": "nova@teste.com.br", "active": "y",
        "roles": [str(role_id("editor")), str(role_id("reader"))],
        "new_password": NEW_PASSWORD})
    assert NEEDS_PASSWORD not in messages(response)
    created = user("nova@teste.com.br")
    assert created is not None
    assert role_names("nova@teste.com.br") == ["editor", "reader"]
    assert created.password.startswith("$argon2")
    assert verify_password(NEW_PASSWORD, created.password)


@pytest.mark.parametrize("screen", ["new/", "edit/?id={id}"])
def test_the_user_forms_offer_a_password_field(app, actors, screen):
    admin = actors("admin")
    url = "/admin/user/" + screen.format(id=user("admin@teste.com.br").id)
    page = admin.get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*name="new_password"[^>]*type="password"'
                     r'|<input[^>]*type="password"[^>]*name="new_password"', page)


def test_a_new_user_without_password_is_refused(app, actors):
    admin = actors("admin")
    before = users_table()
    response = post_form(admin, "/admin/user/new/", {
        "email": "nova@teste.com.br", "active": "y", "roles": str(role_id("reader"))})
    assert response.status_code == 200
    assert NEEDS_PASSWORD in messages(response)
    assert users_table() == before


def test_admin_sets_a_new_password_on_the_edit_screen(app, actors, client):
    admin = actors("admin")
    target = make_user("ana@teste.com.br", "reader").id
    post_form(admin, f"/admin/user/edit/?id={target}", {
        "email": "ana@teste.com.br", "active": "y", "roles": str(role_id("reader")),
        "new_password": NEW_PASSWORD})
    assert verify_password(NEW_PASSWORD, user("ana@teste.com.br").password)


def test_admin_assigns_roles_and_keeps_the_password(app, actors):
    admin = actors("admin")
    target = make_user("ana@teste.com.br", "reader")
    target_id, old_hash = target.id, target.password
    make_user("papel@teste.com.br", "editor")       # the editor role exists
    post_form(admin, f"/admin/user/edit/?id={target_id}", {
        "email": "ana@teste.com.br", "active": "y",
        "roles": [str(role_id("editor")), str(role_id("reader"))]})
    assert role_names("ana@teste.com.br") == ["editor", "reader"]
    assert user("ana@teste.com.br").password == old_hash


def test_the_hash_is_never_shown_on_the_users_screens(app, actors, runner):
    admin = actors("admin")
    cli(runner, "users", "create", "ana@teste.com.br", "--role", "editor",
        password=NEW_PASSWORD)
    cli(runner, "users", "set-password", "ana@teste.com.br", password="segunda-senha-longa")
    target = user("ana@teste.com.br").id
    for url in ("/admin/user/", f"/admin/user/details/?id={target}",
                f"/admin/user/edit/?id={target}", "/admin/user/new/",
                "/admin/user/export/csv/", f"/admin/history/User/{target}/"):
        response = admin.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert "$argon2" not in body, url
        assert "ana@teste.com.br" in body or url == "/admin/user/new/", url


# ---------------------------------------------------------------------------------------------
# The last active administrator stays
# ---------------------------------------------------------------------------------------------
def _only_admin(actors):
    client = actors("admin")
    make_user("editora@teste.com.br", "editor")          # the editor role exists
    return client, user("admin@teste.com.br").id


@pytest.mark.parametrize("change", [
    {"email": "admin@teste.com.br", "roles": "ADMIN"},                       # deactivated
    {"email": "admin@teste.com.br", "active": "y", "roles": "EDITOR"},       # demoted
    {"email": "admin@teste.com.br", "active": "y"},                          # all roles removed
], ids=["deactivated", "demoted", "roles removed"])
def test_last_active_admin_cannot_be_deactivated_or_demoted(app, actors, change):
    client, admin_id = _only_admin(actors)
    data = {k: (str(role_id(v.lower())) if k == "roles" else v) for k, v in change.items()}
    before = users_table()
    response = post_form(client, f"/admin/user/edit/?id={admin_id}", data)
    assert LAST_ADMIN_CHANGE in messages(response)
    assert users_table() == before


def test_an_inactive_admin_does_not_count(app, actors):
    client, admin_id = _only_admin(actors)
    make_user("adormecido@teste.com.br", "admin", active=False)
    before = users_table()
    response = post_form(client, f"/admin/user/edit/?id={admin_id}",
                         {"email": "admin@teste.com.br", "roles": str(role_id("admin"))})
    assert LAST_ADMIN_CHANGE in messages(response)
    assert users_table() == before


@pytest.mark.parametrize("how", ["delete", "bulk action"])
def test_last_active_admin_cannot_be_deleted(app, actors, how):
    client, admin_id = _only_admin(actors)
    before = users_table()
    if how == "delete":
        response = post_form(client, "/admin/user/delete/", {"id": admin_id})
    else:
        response = post_form(client, "/admin/user/action/",
                             {"action": "delete", "rowid": admin_id})
    assert response.status_code == 200
    assert messages(response), "refused without a word"
    assert users_table() == before


@pytest.mark.parametrize("how", ["delete", "bulk action"])
def test_last_active_admin_delete_is_refused_with_the_last_admin_message(app, actors, how):
    client, admin_id = _only_admin(actors)
    if how == "delete":
        response = post_form(client, "/admin/user/delete/", {"id": admin_id})
    else:
        response = post_form(client, "/admin/user/action/",
                             {"action": "delete", "rowid": admin_id})
    assert messages(response) == [LAST_ADMIN_DELETE]


def test_with_two_admins_one_can_be_deactivated(app, actors):
    client, _ = _only_admin(actors)
    other = make_user("segunda@teste.com.br", "admin").id
    response = post_form(client, f"/admin/user/edit/?id={other}",
                         {"email": "segunda@teste.com.br", "roles": str(role_id("admin"))})
    assert LAST_ADMIN_CHANGE not in messages(response)
    assert user("segunda@teste.com.br").active is False
    assert role_names("segunda@teste.com.br") == ["admin"]
    assert user("admin@teste.com.br").active is True


def test_with_two_admins_one_can_be_demoted(app, actors):
    client, _ = _only_admin(actors)
    other = make_user("segunda@teste.com.br", "admin").id
    post_form(client, f"/admin/user/edit/?id={other}",
              {"email": "segunda@teste.com.br", "active": "y", "roles": str(role_id("editor"))})
    assert role_names("segunda@teste.com.br") == ["editor"]


def test_with_two_admins_one_can_be_deleted(app, actors):
    client, _ = _only_admin(actors)
    other = make_user("segunda@teste.com.br", "admin").id
    post_form(client, "/admin/user/delete/", {"id": other})
    assert user("segunda@teste.com.br") is None
    assert user("admin@teste.com.br") is not None


def test_admin_deletes_a_user_who_has_a_role(app, actors):
    client, _ = _only_admin(actors)
    target = make_user("ana@teste.com.br", "reader").id
    post_form(client, "/admin/user/delete/", {"id": target})
    assert user("ana@teste.com.br") is None
