"""Users and logins as the tests need them: a user of a role, a login through the form with
the page's CSRF token, and clients logged in as each role."""

import re

from flask import current_app
from flask_security import hash_password

from admin_app.extensions import db
from admin_app.models import User

PASSWORD = "senha-de-teste-123"
ADMIN_EMAIL = "admin@teste.com.br"      # the users `Actors` creates
EDITOR_EMAIL = "editor@teste.com.br"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client) -> str:
    """The session's CSRF token, read from a page the way a browser gets it."""
    response = client.get("/login", follow_redirects=True)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match[1]


def page_token(client, url: str) -> str:
    """The CSRF token of the page at `url`."""
    body = client.get(url).get_data(as_text=True)
    return CSRF_RE.search(body)[1]


def make_user(email: str, role: str | None, active: bool = True) -> User:
    datastore = current_app.extensions["security"].datastore
    roles = []
    if role:
        roles = [datastore.find_or_create_role(name=role)]
    user = datastore.create_user(email=email, password=hash_password(PASSWORD), roles=roles,
                                 active=active)
    db.session.commit()
    return user


def log_in(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client)})


class Actors:
    """Clients logged in as each role (created on first use)."""

    def __init__(self, app):
        self.app = app
        self._clients = {}

    def __call__(self, role: str | None):
        if role in self._clients:
            return self._clients[role]
        client = self.app.test_client()
        if role is not None:
            make_user(f"{role}@teste.com.br", role)
            response = log_in(client, f"{role}@teste.com.br")
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self._clients[role] = client
        return client
