"""Security headers on every route of the URL map, logged in and anonymous (ASVS 14.4)."""

from pathlib import Path

import pytest

from admin_app import create_app
from admin_app.headers import HSTS
from tests.helpers.auth import csrf_token
from tests.helpers.config import TEST_CONFIG

ARGUMENTS = {"export_type": "csv", "entity": "customer", "object_id": "1", "run_id": 1, "job_id": 1,
             "number": 1}
EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def a_static_file(app, endpoint: str) -> str:
    """A file that exists under the static folder the endpoint serves."""
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
    folder = app.blueprints[blueprint].static_folder if blueprint else app.static_folder
    return next(p for p in sorted(Path(folder).rglob("*.js"))).relative_to(folder).as_posix()


def requests_for(app):
    """(method, path, endpoint) for every rule and method; logout last (it ends the session)."""
    found = []
    for rule in app.url_map.iter_rules():
        values = {name: ARGUMENTS.get(name) for name in rule.arguments}
        if "filename" in rule.arguments:
            values["filename"] = a_static_file(app, rule.endpoint)
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path, rule.endpoint))
    return sorted(found, key=lambda r: r[2] == "security.logout")


def check_headers(response, endpoint: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in policy.split(";"))
    assert directives["default-src"] == "'self'", policy
    assert directives["frame-ancestors"] == "'none'", policy
    script_src = directives["script-src"]
    assert "'unsafe-inline'" not in script_src and "'nonce-" in script_src, policy
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    assert "camera=()" in response.headers.get("Permissions-Policy", "")
    if endpoint.endswith("static"):
        assert "no-store" not in response.headers.get("Cache-Control", "")
    else:
        assert response.headers.get("Cache-Control") == "no-store", response.headers


@pytest.mark.parametrize("logged_in", [True, False], ids=["admin", "anonymous"])
def test_every_route_sends_the_security_headers(app, actors, logged_in):
    client = actors("admin") if logged_in else app.test_client()
    token = csrf_token(client)
    routes = requests_for(app)
    assert len(routes) > 100
    for method, path, endpoint in routes:
        if method == "POST":
            response = client.post(path, data={"csrf_token": token})
        else:
            response = client.get(path)
        assert response.status_code < 500, (method, path, response.status_code)
        check_headers(response, endpoint)


def test_login_page_has_a_well_formed_cache_control(client):
    response = client.get("/login")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.cache_control.no_store is True


def test_each_response_gets_its_own_script_nonce(client):
    first = client.get("/login").headers["Content-Security-Policy"]
    second = client.get("/login").headers["Content-Security-Policy"]
    assert first != second


def test_nonce_is_printed_on_flask_admins_scripts(admin_client):
    response = admin_client.get("/admin/customer/")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)


def test_hsts_only_in_production(tmp_path):
    base = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/h.db"}
    for env, expected in (("development", None), ("production", HSTS)):
        app = create_app({**base, "GESTAO_ENV": env})
        response = app.test_client().get("/login")
        assert response.headers.get("Strict-Transport-Security") == expected
