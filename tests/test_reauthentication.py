"""Re-authentication before the sensitive actions (ASVS 3.7.1): creating, editing or deleting
users and roles, and resetting a second factor, ask for the password again when the last one
typed is older than GESTAO_REAUTH_MINUTES (Flask-Security-Too's freshness)."""

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import Role, User
from admin_app.models.signin import FAILURE, TF_RESET, SignInEvent, UserSession
from tests import factories as f
from tests.helpers.auth import PASSWORD, csrf_token, log_in, make_user

STALE = timedelta(minutes=11)  # the default GESTAO_REAUTH_MINUTES is 10
ASKED_PT = "confirme sua identidade"


@pytest.fixture()
def start():
    return datetime.now(timezone.utc)


@pytest.fixture()
def chefe(app, start):
    """An administrator signed in at `start`."""
    make_user("chefe@teste.com.br", "admin")
    client = app.test_client()
    with time_machine.travel(start, tick=False):
        assert log_in(client, "chefe@teste.com.br").status_code == 302
    return client


def sent_to_verify(response, back_to: str) -> bool:
    if response.status_code != 302:
        return False
    parts = urlsplit(response.headers["Location"])
    return parts.path == "/verify" and parse_qs(parts.query).get("next") == [back_to]


def verify(client, password=PASSWORD, back_to="/admin/user/"):
    page = client.get(f"/verify?next={back_to}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    return client.post(f"/verify?next={back_to}", data={"password": password,
                                                        "csrf_token": token})


def test_a_fresh_sign_in_edits_users_without_being_asked(app, chefe, start):
    maria = make_user("maria@teste.com.br", "editor")
    with time_machine.travel(start + timedelta(minutes=9), tick=False):
        assert chefe.get(f"/admin/user/edit/?id={maria.id}").status_code == 200


@pytest.mark.parametrize("url", ["/admin/user/new/", "/admin/user/edit/?id={id}",
                                 "/admin/role/new/", "/admin/role/edit/?id={role}"])
def test_an_old_sign_in_is_asked_for_the_password_before_the_form(app, chefe, start, url):
    maria = make_user("maria@teste.com.br", "editor")
    url = url.format(id=maria.id, role=maria.roles[0].id)
    with time_machine.travel(start + STALE, tick=False):
        response = chefe.get(url)
        assert sent_to_verify(response, url), response.headers.get("Location")
        page = chefe.get(response.headers["Location"]).get_data(as_text=True)
        assert ASKED_PT in page.lower()
        response = verify(chefe, back_to=url)
        assert response.status_code == 302 and response.headers["Location"].endswith(url)
        assert chefe.get(url).status_code == 200


def test_an_old_sign_in_cannot_save_a_user_until_the_password_is_typed(app, chefe, start):
    maria = make_user("maria@teste.com.br", "editor")
    url = f"/admin/user/edit/?id={maria.id}"
    data = {"email": maria.email, "roles": str(maria.roles[0].id),  # unchecked: deactivates
            "csrf_token": csrf_token(chefe)}
    with time_machine.travel(start + STALE, tick=False):
        assert sent_to_verify(chefe.post(url, data=data), url)
        db.session.expire_all()
        assert db.session.get(User, maria.id).active  # nothing saved
        verify(chefe, back_to=url)
        assert chefe.post(url, data=data).status_code == 302
        db.session.expire_all()
        assert not db.session.get(User, maria.id).active


@pytest.mark.parametrize("operation", ["delete", "action delete", "action unlock"])
def test_deletes_and_bulk_actions_come_back_to_the_list_after_the_password(
        app, chefe, start, operation):
    maria = make_user("maria@teste.com.br", None)
    if operation == "delete":
        url, data = "/admin/user/delete/", {"id": str(maria.id)}
    else:
        url, data = "/admin/user/action/", {"action": operation.split()[1],
                                            "rowid": str(maria.id)}
    data["csrf_token"] = csrf_token(chefe)
    events = db.session.scalar(select(func.count()).select_from(SignInEvent))
    with time_machine.travel(start + STALE, tick=False):
        assert sent_to_verify(chefe.post(url, data=data), "/admin/user/")
    assert db.session.get(User, maria.id) is not None
    assert db.session.scalar(select(func.count()).select_from(SignInEvent)) == events


def test_role_delete_asks_too(app, chefe, start):
    role = Role(name="temporario", description="Temporário")
    db.session.add(role)
    db.session.commit()
    with time_machine.travel(start + STALE, tick=False):
        response = chefe.post("/admin/role/delete/", data={"id": str(role.id),
                                                           "csrf_token": csrf_token(chefe)})
        assert sent_to_verify(response, "/admin/role/")
    assert db.session.get(Role, role.id) is not None


def test_reading_users_and_editing_business_records_never_ask(app, chefe, start):
    customer = f.CustomerFactory()
    db.session.commit()
    with time_machine.travel(start + STALE, tick=False):
        assert chefe.get("/admin/user/").status_code == 200
        assert chefe.get(f"/admin/customer/edit/?id={customer.id}").status_code == 200


def test_the_grace_period_lets_a_form_opened_fresh_be_sent(app, chefe, start):
    maria = make_user("maria@teste.com.br", "editor")
    url = f"/admin/user/edit/?id={maria.id}"
    with time_machine.travel(start + timedelta(minutes=9), tick=False):
        assert chefe.get(url).status_code == 200
    with time_machine.travel(start + timedelta(minutes=13), tick=False):  # stale but in grace
        data = {"email": maria.email, "active": "y", "roles": str(maria.roles[0].id),
                "csrf_token": csrf_token(chefe)}
        response = chefe.post(url, data=data)
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path != "/verify"


def test_a_wrong_password_on_the_confirmation_counts_toward_the_lockout(app, chefe, start):
    with time_machine.travel(start + STALE, tick=False):
        for _ in range(4):
            response = verify(chefe, "senha-errada-0000")
            assert response.status_code == 200
            assert "senha inválida" in response.get_data(as_text=True).lower()
        locked = verify(chefe, "senha-errada-0000")
        assert "Muitas tentativas" in locked.get_data(as_text=True)
        # The borrowed session is over, and even the right password is refused now.
        assert urlsplit(chefe.get("/admin/user/").headers["Location"]).path == "/login"
        assert log_in(app.test_client(), "chefe@teste.com.br").status_code == 200
    failures = db.session.scalars(select(SignInEvent).where(SignInEvent.kind == FAILURE))
    assert len(list(failures)) == 6  # five confirmations, then the refused sign-in
    assert db.session.scalars(select(UserSession)).one().ended_reason == "locked"


def test_the_confirmation_refuses_an_oversized_password(app, chefe):
    response = verify(chefe, "x" * 5000)
    assert response.status_code == 200
    assert "longo" in response.get_data(as_text=True)


def test_administrator_resets_a_second_factor_from_the_users_screen(app, chefe, start):
    maria = make_user("maria@teste.com.br", "editor")
    maria.tf_primary_method, maria.tf_totp_secret = "authenticator", "segredo-cifrado"
    db.session.commit()
    phone = app.test_client()
    with time_machine.travel(start, tick=False):
        page = chefe.get("/admin/user/").get_data(as_text=True)
        row = re.search(r"<tr>(?:(?!</tr>).)*maria@teste.com.br.*?</tr>", page, re.S)[0]
        assert re.search(r'col-tf_primary_method"[^>]*>\s*Sim\s*<', row), row
        data = {"action": "reset_two_factor", "rowid": str(maria.id),
                "csrf_token": csrf_token(chefe)}
    with time_machine.travel(start + STALE, tick=False):
        assert sent_to_verify(chefe.post("/admin/user/action/", data=data), "/admin/user/")
        db.session.expire_all()
        assert db.session.get(User, maria.id).tf_primary_method == "authenticator"
        verify(chefe)
        response = chefe.post("/admin/user/action/", data=data, follow_redirects=True)
        assert "Verificação em duas etapas redefinida para: maria@teste.com.br" in \
            response.get_data(as_text=True)
    db.session.expire_all()
    maria = db.session.get(User, maria.id)
    assert maria.tf_primary_method is None and maria.tf_totp_secret is None
    assert [e.actor for e in db.session.scalars(
        select(SignInEvent).where(SignInEvent.kind == TF_RESET))] == ["chefe@teste.com.br"]
    assert phone.get("/admin/customer/").status_code == 302


def test_editors_cannot_reset_a_second_factor(app, editor_client):
    maria = make_user("maria@teste.com.br", "reader")
    maria.tf_primary_method, maria.tf_totp_secret = "authenticator", "segredo-cifrado"
    db.session.commit()
    response = editor_client.post("/admin/user/action/", data={
        "action": "reset_two_factor", "rowid": str(maria.id),
        "csrf_token": csrf_token(editor_client)})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, maria.id).tf_primary_method == "authenticator"


def test_a_user_created_on_an_old_sign_in_waits_for_the_password(app, chefe, start):
    data = {"email": "novo@teste.com.br", "active": "y", "new_password": "uma-senha-bem-longa",
            "csrf_token": csrf_token(chefe)}
    with time_machine.travel(start + STALE, tick=False):
        assert sent_to_verify(chefe.post("/admin/user/new/", data=data), "/admin/user/new/")
    assert db.session.scalar(select(func.count()).select_from(User)) == 1  # the admin alone
