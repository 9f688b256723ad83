"""Sign-in fit for a network: lockout per e-mail, rate limit per address, sessions that end
on logout and by time, the sign-in trail (ASVS 2.2.1, 3.3.1, 3.3.2, 7.1)."""

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import time_machine
from flask_migrate import upgrade
from sqlalchemy import select

from admin_app import create_app
from admin_app.cli import users
from admin_app.extensions import db
from admin_app.models import User
from admin_app.models.signin import (FAILURE, LOCKED, LOGIN, LOGOUT, UNLOCKED, LoginLockout,
                                     SignInEvent, UserSession)
from tests.helpers.auth import PASSWORD, csrf_token, log_in, make_user
from tests.helpers.clients import IsolatedClient
from tests.helpers.config import TEST_CONFIG

LOCKED_PT = "Muitas tentativas de acesso sem sucesso para este e-mail"
WRONG = "senha-errada-0000"


def alerts(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", m) for m in re.findall(
        r'<div class="alert[^"]*"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S))


def signed_in(client) -> bool:
    response = client.get("/admin/customer/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    return False


def fail(app, email: str, times: int):
    response = None
    for _ in range(times):
        response = log_in(app.test_client(), email, WRONG)
    return response


def events(kind=None) -> list[SignInEvent]:
    query = select(SignInEvent).order_by(SignInEvent.id)
    if kind:
        query = query.where(SignInEvent.kind == kind)
    return list(db.session.scalars(query))


# -- lockout ------------------------------------------------------------------------------------

def test_five_failures_lock_the_account_even_for_the_right_password(app):
    make_user("alvo@teste.com.br", "admin")
    assert LOCKED_PT not in alerts(fail(app, "alvo@teste.com.br", 4))
    assert LOCKED_PT in alerts(fail(app, "alvo@teste.com.br", 1))  # the fifth locks
    client = app.test_client()
    response = log_in(client, "alvo@teste.com.br", PASSWORD)
    assert response.status_code == 200  # the form again, not a redirect into the panel
    assert LOCKED_PT in alerts(response)
    assert not signed_in(client)
    assert [e.kind for e in events(LOCKED)] == [LOCKED]


def test_right_and_wrong_password_get_the_same_answer_while_locked(app):
    make_user("alvo@teste.com.br", "admin")
    fail(app, "alvo@teste.com.br", 5)
    right = alerts(log_in(app.test_client(), "alvo@teste.com.br", PASSWORD))
    wrong = alerts(log_in(app.test_client(), "alvo@teste.com.br", WRONG))
    assert right == wrong and LOCKED_PT in right


def test_an_unknown_email_locks_like_a_known_one(app):
    make_user("existe@teste.com.br", "admin")
    known = [alerts(log_in(app.test_client(), "existe@teste.com.br", WRONG)) for _ in range(6)]
    unknown = [alerts(log_in(app.test_client(), "ninguem@teste.com.br", WRONG))
               for _ in range(6)]
    assert known == unknown
    assert LOCKED_PT in known[-1] and LOCKED_PT not in known[0]


def test_fewer_failures_than_the_limit_do_not_lock_and_a_success_resets_the_count(app):
    make_user("maria@teste.com.br", "editor")
    fail(app, "maria@teste.com.br", 4)
    assert log_in(app.test_client(), "maria@teste.com.br").status_code == 302
    fail(app, "maria@teste.com.br", 4)
    assert log_in(app.test_client(), "maria@teste.com.br").status_code == 302


def test_the_lock_ends_after_the_lock_minutes(app):
    make_user("maria@teste.com.br", "editor")
    fail(app, "maria@teste.com.br", 5)
    assert log_in(app.test_client(), "maria@teste.com.br").status_code == 200
    later = datetime.now(timezone.utc) + timedelta(minutes=16)
    with time_machine.travel(later, tick=False):
        assert log_in(app.test_client(), "maria@teste.com.br").status_code == 302


def test_failures_spread_over_more_than_the_window_do_not_lock(app):
    make_user("maria@teste.com.br", "editor")
    start = datetime.now(timezone.utc)
    for minutes in (0, 5, 10, 16, 21):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            fail(app, "maria@teste.com.br", 1)
    with time_machine.travel(start + timedelta(minutes=22), tick=False):
        assert log_in(app.test_client(), "maria@teste.com.br").status_code == 302


def test_unlock_from_the_command_line(app):
    make_user("maria@teste.com.br", "editor")
    fail(app, "maria@teste.com.br", 5)
    runner = app.test_cli_runner()
    result = runner.invoke(users, ["unlock", "maria@teste.com.br"])
    assert result.exit_code == 0 and "unlocked" in result.output
    assert log_in(app.test_client(), "maria@teste.com.br").status_code == 302
    again = runner.invoke(users, ["unlock", "maria@teste.com.br"])
    assert again.exit_code == 0 and "was not locked" in again.output
    assert [e.actor for e in events(UNLOCKED)] == ["cli"]


def test_administrator_sees_the_lock_and_unlocks_from_the_users_screen(app, admin_client):
    maria = make_user("maria@teste.com.br", "editor")
    fail(app, "maria@teste.com.br", 5)
    page = admin_client.get("/admin/user/").get_data(as_text=True)
    row = re.search(r"<tr>(?:(?!</tr>).)*maria@teste.com.br.*?</tr>", page, re.S)[0]
    until = re.search(r'col-locked_until"[^>]*>\s*([^<]+?)\s*<', row)
    assert until and re.match(r"\d\d/\d\d/\d{4} \d\d:\d\d", until[1]), row
    response = admin_client.post("/admin/user/action/", data={
        "action": "unlock", "rowid": str(maria.id), "csrf_token": csrf_token(admin_client)},
        follow_redirects=True)
    assert "Acesso desbloqueado para: maria@teste.com.br" in response.get_data(as_text=True)
    assert db.session.get(LoginLockout, "maria@teste.com.br") is None
    assert log_in(app.test_client(), "maria@teste.com.br").status_code == 302


def test_editor_cannot_unlock(app, editor_client):
    maria = make_user("maria@teste.com.br", "reader")
    fail(app, "maria@teste.com.br", 5)
    response = editor_client.post("/admin/user/action/", data={
        "action": "unlock", "rowid": str(maria.id), "csrf_token": csrf_token(editor_client)})
    assert response.status_code == 403
    assert log_in(app.test_client(), "maria@teste.com.br").status_code == 200


def test_oversized_fields_are_refused_with_a_message(client):
    response = log_in(client, "a" * 5000 + "@teste.com.br", "x" * 100_000)
    assert response.status_code == 200
    assert "muito longo" in alerts(response)


@pytest.mark.postgres
def test_two_app_instances_on_one_database_share_the_lockout(app, backend):
    if backend != "postgresql":
        pytest.skip("two workers on one PostgreSQL database")
    make_user("maria@teste.com.br", "editor")
    other = create_app({**TEST_CONFIG,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    other.test_client_class = IsolatedClient
    for instance in (app, other, app, other, app):
        log_in(instance.test_client(), "maria@teste.com.br", WRONG)
    with other.app_context():
        assert log_in(other.test_client(), "maria@teste.com.br").status_code == 200
        db.session.remove()
    assert log_in(app.test_client(), "maria@teste.com.br").status_code == 200
    with other.app_context():
        db.engine.dispose()


# -- rate limit ---------------------------------------------------------------------------------

@pytest.fixture()
def limited_app(tmp_path):
    app = create_app({**TEST_CONFIG, "RATELIMIT_ENABLED": True,
                      "GESTAO_SIGN_IN_RATE_LIMIT": "3 per minute",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/limit.db"})
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        db.session.remove()
    return app


def test_sign_in_attempts_are_rate_limited_per_address(limited_app):
    client = limited_app.test_client()
    token = csrf_token(client)
    answers = [client.post("/login", data={"email": f"x{i}@teste.com.br", "password": WRONG,
                                           "csrf_token": token}) for i in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    page = answers[-1].get_data(as_text=True)
    assert "Muitas tentativas" in page and "Traceback" not in page
    assert "Retry-After" in answers[-1].headers
    assert client.get("/login").status_code == 200  # reading the form is not limited
    other = limited_app.test_client()  # another address is not affected
    answer = other.post("/login", data={"email": "y@teste.com.br", "password": WRONG,
                                        "csrf_token": csrf_token(other)},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert answer.status_code == 200


def test_forwarded_address_is_ignored_unless_proxies_are_trusted(tmp_path):
    seen = {}
    for proxies in (0, 1):
        app = create_app({**TEST_CONFIG, "GESTAO_TRUSTED_PROXIES": proxies,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p{proxies}.db"})

        @app.get("/_address")
        def address():
            from flask import request
            return request.remote_addr or ""

        seen[proxies] = app.test_client().get(
            "/_address", headers={"X-Forwarded-For": "203.0.113.7"}).get_data(as_text=True)
    assert seen == {0: "127.0.0.1", 1: "203.0.113.7"}


# -- sessions -----------------------------------------------------------------------------------

def test_a_cookie_copied_before_logout_is_refused_after_it(app, client):
    make_user("maria@teste.com.br", "editor")
    log_in(client, "maria@teste.com.br")
    assert signed_in(client)
    copied = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert not signed_in(thief)
    assert [e.kind for e in events() if e.kind in (LOGIN, LOGOUT)] == [LOGIN, LOGOUT]


def test_idle_session_ends_after_the_idle_minutes(app, client):
    make_user("maria@teste.com.br", "editor")
    start = datetime.now(timezone.utc)
    with time_machine.travel(start, tick=False):
        log_in(client, "maria@teste.com.br")
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert signed_in(client)  # in use: the idle clock starts again
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert signed_in(client)
    with time_machine.travel(start + timedelta(minutes=89), tick=False):
        assert not signed_in(client)
        page = client.get("/login").get_data(as_text=True)
        assert "sem atividade" in page
    row = db.session.scalars(select(UserSession)).one()
    assert row.ended_reason == "idle"


def test_session_ends_after_its_absolute_lifetime_even_when_in_use(app, client):
    make_user("maria@teste.com.br", "editor")
    start = datetime.now(timezone.utc)
    with time_machine.travel(start, tick=False):
        log_in(client, "maria@teste.com.br")
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert signed_in(client), minutes
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert not signed_in(client)
    assert db.session.scalars(select(UserSession)).one().ended_reason == "lifetime"


def test_changing_ones_password_ends_the_other_sessions(app):
    make_user("maria@teste.com.br", "editor")
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "maria@teste.com.br")
    log_in(phone, "maria@teste.com.br")
    response = laptop.post("/change", data={
        "password": PASSWORD, "new_password": "outra-senha-segura-1",
        "new_password_confirm": "outra-senha-segura-1", "csrf_token": csrf_token(laptop)})
    assert response.status_code == 302, alerts(response)
    assert signed_in(laptop)
    assert not signed_in(phone)


@pytest.mark.parametrize("change", ["password", "deactivate", "role"])
def test_an_administrators_change_signs_the_user_out(app, admin_client, change):
    from admin_app.models import Role
    maria = make_user("maria@teste.com.br", "editor")
    browser = app.test_client()
    log_in(browser, "maria@teste.com.br")
    assert signed_in(browser)
    editor = db.session.scalars(select(Role).where(Role.name == "editor")).one()
    reader = make_user("r@teste.com.br", "reader").roles[0]
    data = {"email": maria.email, "active": "y", "roles": str(editor.id),
            "csrf_token": csrf_token(admin_client)}
    if change == "password":
        data["new_password"] = "senha-nova-do-admin-1"
    elif change == "deactivate":
        del data["active"]
    else:
        data["roles"] = str(reader.id)
    response = admin_client.post(f"/admin/user/edit/?id={maria.id}", data=data)
    assert response.status_code == 302, alerts(response)
    assert not signed_in(browser)
    assert signed_in(admin_client)


def test_a_save_that_changes_nothing_keeps_the_user_signed_in(app, admin_client):
    from admin_app.models import Role
    maria = make_user("maria@teste.com.br", "editor")
    browser = app.test_client()
    log_in(browser, "maria@teste.com.br")
    editor = db.session.scalars(select(Role).where(Role.name == "editor")).one()
    response = admin_client.post(f"/admin/user/edit/?id={maria.id}", data={
        "email": maria.email, "active": "y", "roles": str(editor.id),
        "csrf_token": csrf_token(admin_client)})
    assert response.status_code == 302
    assert signed_in(browser)


# -- the trail ------------------------------------------------------------------------------------

def test_the_trail_records_who_tried_from_where(app, admin_client):
    make_user("maria@teste.com.br", "editor")
    log_in(app.test_client(), "maria@teste.com.br", WRONG)
    log_in(app.test_client(), "Ninguem@Teste.com.br", WRONG)
    browser = app.test_client()
    log_in(browser, "maria@teste.com.br")
    trail = [(e.kind, e.email, e.ip) for e in events() if e.email != "admin@teste.com.br"]
    assert trail == [(FAILURE, "maria@teste.com.br", "127.0.0.1"),
                     (FAILURE, "ninguem@teste.com.br", "127.0.0.1"),
                     (LOGIN, "maria@teste.com.br", "127.0.0.1")]
    page = admin_client.get("/admin/signinevent/").get_data(as_text=True)
    assert "ninguem@teste.com.br" in page and "Falha ao entrar" in page
    assert WRONG not in page


def test_trail_is_for_administrators_only(editor_client, reader_client):
    assert editor_client.get("/admin/signinevent/").status_code == 403
    assert reader_client.get("/admin/signinevent/").status_code == 403


def test_each_user_sees_their_previous_sign_in(app):
    make_user("maria@teste.com.br", "editor")
    first = app.test_client()
    page = log_in_and_read(first)
    assert "primeiro acesso" in page
    second = app.test_client()
    page = log_in_and_read(second)
    assert "Seu acesso anterior:" in page and "127.0.0.1" in page


def log_in_and_read(client) -> str:
    response = log_in(client, "maria@teste.com.br")
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_no_password_hash_in_the_trail_or_users_list(app, admin_client):
    user = make_user("maria@teste.com.br", "editor")
    for url in ("/admin/user/", "/admin/signinevent/"):
        assert user.password not in admin_client.get(url).get_data(as_text=True)
    assert db.session.get(User, user.id).password.startswith("$argon2")
