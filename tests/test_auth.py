"""Logging in and out, CSRF, secrets kept out of pages, production settings."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import current_app
from flask_security import hash_password, verify_password
from sqlalchemy import select

from admin_app import create_app
from admin_app.config import UnsafeConfiguration, build_config
from admin_app.extensions import db
from admin_app.models import AuditEntry, Customer, Role, User
from tests.helpers.auth import PASSWORD, csrf_token, log_in, make_user

ALERT_RE = re.compile(r'<div class="alert alert-danger[^"]*"[^>]*>\s*(.*?)\s*</div>', re.S)
GENERIC_FAILURE_EN = "Authentication failed - identity or password/passcode invalid"


def snapshot() -> dict:
    with db.engine.connect() as conn:
        return {t.name: conn.execute(select(t).order_by(*(t.primary_key.columns or t.columns)))
                .all() for t in db.metadata.sorted_tables}


def errors_on(response) -> list[str]:
    """The error alerts of a page, as text."""
    return [re.sub(r"<[^>]+>|&times;", "", m).strip()
            for m in ALERT_RE.findall(response.get_data(as_text=True))]


def is_logged_in(client) -> bool:
    response = client.get("/admin/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    return False


# ---------------------------------------------------------------------------------------------
# Login
# ---------------------------------------------------------------------------------------------
def test_login_page_is_in_portuguese(client):
    response = client.get("/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="pt-BR">' in page
    assert "Entrar" in page
    assert "Senha" in page
    assert "Log in" not in page


def test_right_password_logs_in(app, client):
    make_user("maria@teste.com.br", "reader")
    response = log_in(client, "maria@teste.com.br")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/admin/"
    assert is_logged_in(client)


def _failed_logins(app):
    """Wrong password, unknown e-mail, inactive user: each from a fresh browser."""
    make_user("ativo@teste.com.br", "admin")
    make_user("inativo@teste.com.br", "admin", active=False)
    attempts = {"wrong password": ("ativo@teste.com.br", "senha-errada-123"),
                "unknown e-mail": ("ninguem@teste.com.br", PASSWORD),
                "inactive user": ("inativo@teste.com.br", PASSWORD)}
    results = {}
    for case, (email, password) in attempts.items():
        client = app.test_client()
        response = log_in(client, email, password)
        results[case] = (response, client)
    return results


def test_failed_logins_get_one_generic_error_and_no_session(app):
    results = _failed_logins(app)
    messages = {case: errors_on(response) for case, (response, _) in results.items()}
    for case, (response, client) in results.items():
        assert response.status_code == 200, case
        assert len(messages[case]) == 1, (case, messages[case])
        assert not is_logged_in(client), case
    assert messages["wrong password"] == messages["unknown e-mail"] == messages["inactive user"]
    text = messages["wrong password"][0].lower()
    for hint in ("inativ", "desativ", "disabled", "does not exist", "não existe",
                 "not found", "não encontrad", "senha incorreta", "invalid password"):
        assert hint not in text


def test_failed_login_message_is_in_portuguese(app):
    response, _ = _failed_logins(app)["wrong password"]
    message = errors_on(response)[0]
    assert message != GENERIC_FAILURE_EN
    assert "inválid" in message.lower()


def test_inactive_user_cannot_log_in_even_with_the_right_password(app, client):
    make_user("inativo@teste.com.br", "editor", active=False)
    response = log_in(client, "inativo@teste.com.br")
    assert response.status_code == 200
    assert not is_logged_in(client)


def test_login_comes_back_to_the_page_asked(app, client):
    make_user("editor@teste.com.br", "editor")
    response = client.get("/admin/customer/")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    parts = urlsplit(login_url)
    assert parts.path == "/login"
    assert parse_qs(parts.query)["next"] == ["/admin/customer/"]

    login_page = client.get(login_url)
    assert login_page.status_code == 200
    response = client.post(login_url, data={"email": "editor@teste.com.br", "password": PASSWORD,
                                            "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/admin/customer/"
    assert client.get("/admin/customer/").status_code == 200


@pytest.mark.parametrize("target", ["https://malicioso.example.com/roubo",
                                    "//malicioso.example.com/roubo"])
def test_login_refuses_a_next_pointing_to_another_site(app, client, target):
    make_user("editor@teste.com.br", "editor")
    response = client.post(f"/login?next={target}",
                           data={"email": "editor@teste.com.br", "password": PASSWORD,
                                 "csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert "malicioso" not in response.headers.get("Location", "")
    assert "Redirecionamentos para fora do domínio são proibidos" in errors_on(response)
    assert not is_logged_in(client)


def test_passwords_are_stored_hashed_with_argon2(app):
    make_user("maria@teste.com.br", "reader")
    stored = db.session.scalar(select(User.password).where(User.email == "maria@teste.com.br"))
    assert stored.startswith("$argon2")
    assert PASSWORD not in stored
    assert verify_password(PASSWORD, stored)


# ---------------------------------------------------------------------------------------------
# Logout
# ---------------------------------------------------------------------------------------------
def test_logout_is_a_post_with_csrf(actors):
    client = actors("editor")
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert not is_logged_in(client)


def test_get_logout_does_not_log_out(actors):
    client = actors("editor")
    response = client.get("/logout")
    assert response.status_code == 405
    assert is_logged_in(client)


def test_logout_without_csrf_is_refused(actors):
    client = actors("editor")
    response = client.post("/logout")
    assert response.status_code == 400
    assert is_logged_in(client)


def test_the_panel_offers_logout_as_a_post_form(actors):
    page = actors("reader").get("/admin/").get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/logout"[^>]*>(.*?)</form>', page, re.S)
    assert form, "no logout form"
    assert 'method="post"' in form[0].lower()
    assert 'name="csrf_token"' in form[1]
    assert 'href="/logout"' not in page


# ---------------------------------------------------------------------------------------------
# CSRF
# ---------------------------------------------------------------------------------------------
def _assert_csrf_refusal(response):
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "O formulário expirou" in page
    assert "nada foi alterado" in page


def test_post_without_csrf_token_is_refused_and_changes_nothing(actors):
    client = actors("admin")
    before = snapshot()
    response = client.post("/admin/customer/new/", data={
        "document": "52998224725", "name": "Sem Token", "city": "Santos", "state": "SP"})
    _assert_csrf_refusal(response)
    assert snapshot() == before


def test_post_with_a_forged_csrf_token_is_refused(actors):
    client = actors("admin")
    before = snapshot()
    response = client.post("/admin/customer/new/", data={
        "document": "52998224725", "name": "Token Falso", "city": "Santos", "state": "SP",
        "csrf_token": "forjado." + csrf_token(client)[8:]})
    _assert_csrf_refusal(response)
    assert snapshot() == before


def test_the_same_post_with_the_token_is_accepted(actors):
    """The control of the two tests above: only the token was missing."""
    client = actors("admin")
    response = client.post("/admin/customer/new/", data={
        "document": "52998224725", "name": "Com Token", "city": "Santos", "state": "SP",
        "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert db.session.scalar(select(Customer.name)) == "Com Token"


def test_login_without_csrf_token_is_refused(app, client):
    make_user("maria@teste.com.br", "reader")
    client.get("/login")
    before = snapshot()
    response = client.post("/login", data={"email": "maria@teste.com.br", "password": PASSWORD})
    _assert_csrf_refusal(response)
    assert not is_logged_in(client)
    assert snapshot() == before


# ---------------------------------------------------------------------------------------------
# Secrets never reach a page
# ---------------------------------------------------------------------------------------------
def _pages_of_an_admin():
    """Dashboard, users, roles and the audit trail: lists, exports, every details/edit page,
    each user's history."""
    yield "/admin/"
    for endpoint in ("user", "role", "auditentry"):
        yield f"/admin/{endpoint}/"
        yield f"/admin/{endpoint}/export/csv/"
    for user_id in db.session.scalars(select(User.id)):
        yield f"/admin/user/details/?id={user_id}"
        yield f"/admin/user/edit/?id={user_id}"
        yield f"/admin/history/User/{user_id}/"
    for role_id in db.session.scalars(select(Role.id)):
        yield f"/admin/role/details/?id={role_id}"
        yield f"/admin/role/edit/?id={role_id}"
    for entry_id in db.session.scalars(select(AuditEntry.id)):
        yield f"/admin/auditentry/details/?id={entry_id}"


def test_no_page_shows_a_password_hash_or_the_secret_key(app, actors):
    admin = actors("admin")
    make_user("outra@teste.com.br", "editor")
    user = make_user("trocada@teste.com.br", "reader")
    # A password change leaves its trace in the audit trail: it must show no hash either.
    user.password = hash_password("outra-senha-longa-1")
    db.session.commit()
    secrets = {"a password hash": "$argon2",
               "SECRET_KEY": current_app.config["SECRET_KEY"],
               "SECURITY_PASSWORD_SALT": current_app.config["SECURITY_PASSWORD_SALT"]}
    pages = list(_pages_of_an_admin())
    assert len(pages) > 20
    anonymous = app.test_client()
    visited = [("/login", anonymous.get("/login"))] + [(url, admin.get(url)) for url in pages]
    for url, response in visited:
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        for name, secret in secrets.items():
            assert secret not in body, f"{url} shows {name}"


# ---------------------------------------------------------------------------------------------
# Cookies and production settings
# ---------------------------------------------------------------------------------------------
def test_session_cookie_is_httponly_and_samesite_lax(app, client):
    make_user("maria@teste.com.br", "reader")
    response = log_in(client, "maria@teste.com.br")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    attributes = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes     # development/test: plain HTTP works


STRONG = {"SECRET_KEY": "k3y-" + "x" * 40, "SECURITY_PASSWORD_SALT": "s4lt-" + "y" * 40}


@pytest.mark.parametrize("environ", [
    {},
    {"SECRET_KEY": STRONG["SECRET_KEY"]},
    {"SECURITY_PASSWORD_SALT": STRONG["SECURITY_PASSWORD_SALT"]},
    {"SECRET_KEY": "dev", "SECURITY_PASSWORD_SALT": "dev"},
    {"SECRET_KEY": "dev-secret-key-change-me-please", "SECURITY_PASSWORD_SALT": STRONG[
        "SECURITY_PASSWORD_SALT"]},
    {"SECRET_KEY": STRONG["SECRET_KEY"], "SECURITY_PASSWORD_SALT": "dev-salt-change-me-please"},
    {"SECRET_KEY": "curta", "SECURITY_PASSWORD_SALT": "curto"},
], ids=["nothing", "no salt", "no secret key", "dev values", "dev secret key", "dev salt",
        "short values"])
def test_production_refuses_unsafe_secrets(tmp_path, environ):
    with pytest.raises(UnsafeConfiguration):
        build_config(str(tmp_path), environ={"GESTAO_ENV": "production", **environ})
    assert list(tmp_path.iterdir()) == []     # and writes no development secret either


def test_production_accepts_strong_secrets_and_secures_cookies(tmp_path):
    config = build_config(str(tmp_path), environ={"GESTAO_ENV": "production", **STRONG})
    assert config["SECRET_KEY"] == STRONG["SECRET_KEY"]
    assert config["SECURITY_PASSWORD_SALT"] == STRONG["SECURITY_PASSWORD_SALT"]
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_makes_its_own_random_secrets(tmp_path):
    first = build_config(str(tmp_path), environ={})
    again = build_config(str(tmp_path), environ={})
    other = build_config(str(tmp_path / "outro"), environ={})
    assert first["SESSION_COOKIE_SECURE"] is False
    assert len(first["SECRET_KEY"]) >= 32
    assert first["SECRET_KEY"] == again["SECRET_KEY"]          # kept across restarts
    assert first["SECRET_KEY"] != other["SECRET_KEY"]          # not a value in the code


def test_production_app_sends_a_secure_session_cookie(app, tmp_path, monkeypatch):
    for name, value in {"GESTAO_ENV": "production", **STRONG,
                        "DATABASE_URL": "sqlite:///" + str(tmp_path / "prod.db")}.items():
        monkeypatch.setenv(name, value)
    production = create_app({"TESTING": True})
    response = production.test_client().get("/login")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    attributes = [a.strip().lower() for a in cookie.split(";")]
    assert {"secure", "httponly", "samesite=lax"} <= set(attributes)
