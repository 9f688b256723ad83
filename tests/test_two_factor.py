"""Two-factor sign-in with an authenticator app and recovery codes (ASVS 2.8), required for
the roles in GESTAO_2FA_REQUIRED_ROLES; the code is computed here from the key the setup
page shows, as the phone would."""

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import time_machine
from passlib.totp import TOTP
from sqlalchemy import select

from admin_app.cli import users
from admin_app.config import build_config
from admin_app.extensions import db
from admin_app.models.signin import TF_RESET, TF_SETUP, SignInEvent
from tests.helpers.auth import PASSWORD, csrf_token, log_in, make_user

TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEY_RE = re.compile(r"<div>\s*([A-Z2-7]{4}(?:-[A-Z2-7]{4})+)\s*</div>")


@pytest.fixture()
def required(app):
    app.config["GESTAO_2FA_REQUIRED_ROLES"] = ["admin"]
    yield
    app.config["GESTAO_2FA_REQUIRED_ROLES"] = []


def token_of(page: str) -> str:
    return TOKEN_RE.search(page)[1]


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def signed_in(client) -> bool:
    return client.get("/admin/customer/").status_code == 200


def code(key: str, at: datetime | None = None) -> str:
    totp = TOTP(key=key.replace("-", ""))
    return totp.generate(time=(at or datetime.now(timezone.utc)).timestamp()).token


def set_up(client, email="chefe@teste.com.br") -> str:
    """Password, then the forced setup page: choose the app, read the key, confirm a code."""
    response = log_in(client, email)
    assert path_of(response) == "/tf-setup"
    page = client.get("/tf-setup").get_data(as_text=True)
    response = client.post("/tf-setup", data={"setup": "authenticator",
                                              "csrf_token": token_of(page)})
    page = response.get_data(as_text=True)
    assert 'id="qrcode" src="data:image/svg+xml;base64,' in page
    key = KEY_RE.search(page)[1]
    response = client.post("/tf-validate", data={"code": code(key),
                                                 "csrf_token": token_of(page)})
    assert response.status_code == 302 and path_of(response) == "/admin/", text_of(response)
    return key


def second_step(client, email="chefe@teste.com.br"):
    response = log_in(client, email)
    assert response.status_code == 302 and path_of(response) == "/tf-validate"
    return client.get("/tf-validate").get_data(as_text=True)


def test_a_required_role_is_taken_to_setup_and_reaches_nothing_else(app, required):
    make_user("chefe@teste.com.br", "admin")
    client = app.test_client()
    response = log_in(client, "chefe@teste.com.br")
    assert path_of(response) == "/tf-setup"
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302
    page = text_of(client.get("/tf-setup"))
    assert "Configurar com um aplicativo autenticador" in page


def test_full_two_factor_flow_with_a_code_from_the_key_shown(app, required):
    make_user("chefe@teste.com.br", "admin")
    client = app.test_client()
    key = set_up(client)
    assert signed_in(client)
    kinds = [e.kind for e in db.session.scalars(select(SignInEvent).order_by(SignInEvent.id))]
    assert TF_SETUP in kinds
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        other = app.test_client()
        page = second_step(other)
        response = other.post("/tf-validate", data={"code": code(key, later),
                                                    "csrf_token": token_of(page)})
        assert path_of(response) == "/admin/"
        assert signed_in(other)


def test_a_wrong_or_replayed_code_is_refused_in_portuguese(app, required):
    make_user("chefe@teste.com.br", "admin")
    key = set_up(app.test_client())
    used = code(key)  # the code the setup just accepted
    client = app.test_client()
    page = second_step(client)
    for wrong in ("000000", used, "abc", "9" * 5000):
        response = client.post("/tf-validate", data={"code": wrong,
                                                     "csrf_token": token_of(page)})
        assert response.status_code == 200, wrong[:10]
        assert "Traceback" not in response.get_data(as_text=True)
        assert not signed_in(client)
        page = response.get_data(as_text=True)
    assert "inválid" in text_of(response).lower()


def test_wrong_codes_count_toward_the_lockout(app, required):
    make_user("chefe@teste.com.br", "admin")
    set_up(app.test_client())
    client = app.test_client()
    page = second_step(client)
    for _ in range(5):
        page = client.post("/tf-validate", data={"code": "000000",
                                                 "csrf_token": token_of(page)}
                           ).get_data(as_text=True)
    response = log_in(app.test_client(), "chefe@teste.com.br")
    assert response.status_code == 200
    assert "Muitas tentativas" in text_of(response)


def test_recovery_codes_sign_in_once_each(app, required):
    make_user("chefe@teste.com.br", "admin")
    client = app.test_client()
    set_up(client)
    page = client.get("/mf-recovery-codes").get_data(as_text=True)
    response = client.post("/mf-recovery-codes", data={"generate_new_codes": "y",
                                                       "csrf_token": token_of(page)})
    codes = re.findall(r'<li class="fs-div">\s*([^<\s]+)\s*</li>', response.get_data(as_text=True))
    assert len(codes) == 8
    for attempt in ("first", "again"):
        browser = app.test_client()
        page = second_step(browser)
        response = browser.post("/mf-recovery", data={"code": codes[0],
                                                      "csrf_token": token_of(page)})
        if attempt == "first":
            assert path_of(response) == "/admin/" and signed_in(browser)
        else:
            assert response.status_code in (200, 302) and not signed_in(browser)


def test_a_role_not_required_signs_in_with_the_password_only(app, required):
    make_user("leitor@teste.com.br", "reader")
    client = app.test_client()
    assert path_of(log_in(client, "leitor@teste.com.br")) == "/admin/"
    assert signed_in(client)


def test_anyone_may_turn_it_on_and_is_then_asked_for_it(app):
    make_user("leitor@teste.com.br", "reader")
    client = app.test_client()
    log_in(client, "leitor@teste.com.br")
    menu = client.get("/admin/").get_data(as_text=True)
    link = re.search(r'<a class="dropdown-item" href="([^"]+)" id="two-factor">([^<]+)</a>', menu)
    assert link and link[2] == "Verificação em duas etapas"
    assert "Códigos de recuperação" not in menu  # only once it is on
    page = client.get(link[1]).get_data(as_text=True)
    response = client.post(link[1], data={"setup": "authenticator", "csrf_token": token_of(page)})
    page = response.get_data(as_text=True)
    key = KEY_RE.search(page)[1]
    action = re.search(r'<form action="([^"]+)" method="post" name="two_factor_verify_code_form"',
                       page)[1].replace("&amp;", "&")
    response = client.post(action, data={"code": code(key), "csrf_token": token_of(page)})
    assert response.status_code == 302
    assert "Códigos de recuperação" in client.get("/admin/").get_data(as_text=True)
    assert second_step(app.test_client(), "leitor@teste.com.br")


def test_reset_for_a_lost_phone_ends_the_sessions_and_asks_for_a_new_setup(app, required):
    make_user("chefe@teste.com.br", "admin")
    client = app.test_client()
    set_up(client)
    result = app.test_cli_runner().invoke(users, ["reset-2fa", "chefe@teste.com.br"])
    assert result.exit_code == 0, result.output
    assert not signed_in(client)
    assert path_of(log_in(app.test_client(), "chefe@teste.com.br")) == "/tf-setup"
    assert db.session.scalars(select(SignInEvent.kind).where(
        SignInEvent.kind == TF_RESET)).all() == [TF_RESET]
    unknown = app.test_cli_runner().invoke(users, ["reset-2fa", "ninguem@teste.com.br"])
    assert unknown.exit_code == 1 and "No user" in unknown.output


def test_the_key_and_codes_are_never_in_the_users_screen(app, required, admin_client):
    make_user("chefe@teste.com.br", "admin")
    key = set_up(app.test_client())
    user_page = admin_client.get("/admin/user/").get_data(as_text=True)
    assert key not in user_page and key.replace("-", "") not in user_page


@pytest.mark.parametrize("environ, expected", [
    ({}, []),
    ({"GESTAO_ENV": "production"}, ["admin"]),
    ({"GESTAO_ENV": "production", "GESTAO_2FA_REQUIRED_ROLES": ""}, []),
    ({"GESTAO_2FA_REQUIRED_ROLES": "admin, editor"}, ["admin", "editor"]),
])
def test_required_roles_setting(tmp_path, environ, expected):
    strong = {"SECRET_KEY": "s" * 40, "SECURITY_PASSWORD_SALT": "t" * 40}
    config = build_config(str(tmp_path), {**strong, **environ})
    assert config["GESTAO_2FA_REQUIRED_ROLES"] == expected


def test_password_is_still_needed_before_the_second_factor(app, required):
    make_user("chefe@teste.com.br", "admin")
    client = app.test_client()
    response = log_in(client, "chefe@teste.com.br", "senha-errada-000")
    assert response.status_code == 200
    assert client.get("/tf-setup").status_code in (302, 200)
    assert not signed_in(client)
    assert PASSWORD not in response.get_data(as_text=True)
    assert csrf_token(client)
