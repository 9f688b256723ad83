"""The README's production command, run for real: gunicorn with GESTAO_ENV=production, two
workers, the rate limit's counters in Redis, behind one trusted proxy that speaks HTTPS.
The headers are read over HTTP, as a browser (or a scanner) would get them."""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from email.message import Message

import pytest
import redis
from flask_migrate import upgrade

from admin_app import create_app
from tests.helpers.config import TEST_CONFIG

REDIS_URL = os.environ.get("GESTAO_TEST_REDIS", "redis://127.0.0.1:6379/0")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_server():
    """Redis must be there in CI (like PostgreSQL); elsewhere its absence skips the test."""
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as store:
            store.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI but unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    return REDIS_URL


@pytest.fixture(scope="module")
def served(tmp_path_factory, redis_server):
    """gunicorn serving a migrated SQLite database in production mode; yields its base URL."""
    database = "sqlite:///" + str(tmp_path_factory.mktemp("prod") / "gestao.db")
    with create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database}).app_context():
        upgrade()
    port = free_port()
    prefix = "gestao-test-" + uuid.uuid4().hex
    env = {**os.environ, "GESTAO_ENV": "production", "DATABASE_URL": database,
           "SECRET_KEY": secrets.token_urlsafe(32),
           "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(32),
           "GESTAO_TRUSTED_PROXIES": "1", "GESTAO_RATELIMIT_STORAGE_URI": redis_server,
           "GESTAO_RATELIMIT_KEY_PREFIX": prefix,
           "GESTAO_SIGN_IN_RATE_LIMIT": "4 per minute"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--forwarded-allow-ips", "127.0.0.1", "admin_app:create_app()"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base, prefix
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
        with redis.Redis.from_url(redis_server) as store:
            for key in store.keys(f"*{prefix}*"):
                store.delete(key)
        assert "Traceback" not in output, output


def _wait_until_up(base: str, server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(server.communicate()[0].decode(errors="replace"))
        try:
            if get(base, "/healthz").status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not answer within 60 s")


@dataclass
class Answer:
    status: int
    headers: Message
    text: str


def get(base: str, path: str, data: bytes | None = None, headers=None) -> Answer:
    """The response whatever its status (a 302 or a 429 is an answer, not an error), read
    and closed."""
    request = urllib.request.Request(base + path, data=data, headers={
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", **(headers or {})})
    try:
        response = OPENER.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        return Answer(response.status, response.headers, response.read().decode())


def test_the_login_page_carries_every_header_over_http(served):
    response = get(served[0], "/login")
    assert response.status == 200
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        assert directive in policy, policy
    assert "'unsafe-inline'" not in re.search(r"script-src[^;]*", policy)[0]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert re.fullmatch(r"max-age=\d{7,}; includeSubDomains", headers["Strict-Transport-Security"])
    assert headers["Cache-Control"] == "no-store"
    cookie = headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_page_behind_the_login_is_not_stored(served):
    response = get(served[0], "/admin/customer/")
    assert response.status == 302
    assert response.headers["Location"].startswith("/login")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


def attempts(base: str, address: str, times: int) -> list:
    """Wrong sign-ins from one client address, each with a valid CSRF token and the Referer
    a browser sends over HTTPS (Flask-WTF checks it then)."""
    headers = {"X-Forwarded-For": address, "Referer": base.replace("http:", "https:") + "/login"}
    page = get(base, "/login", headers=headers)
    headers["Cookie"] = page.headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)[1]
    body = f"email=ninguem%40teste.com.br&password=errada-123456&csrf_token={token}".encode()
    return [get(base, "/login", body, headers) for _ in range(times)]


def test_the_rate_limit_is_shared_by_the_workers(served, redis_server):
    """Four sign-in attempts a minute per client address, whichever worker takes them: the
    counters live in Redis. The address is the one the proxy forwarded."""
    base, prefix = served
    statuses = [r.status for r in attempts(base, "198.51.100.9", 8)]
    assert statuses[:4] == [200] * 4 and set(statuses[4:]) == {429}, statuses
    with redis.Redis.from_url(redis_server) as store:
        assert store.keys(f"*{prefix}*")
    # Another client address is not held back by the first one's attempts.
    assert attempts(base, "198.51.100.10", 1)[0].status == 200


def test_the_429_page_is_in_portuguese(served):
    refused = attempts(served[0], "198.51.100.11", 5)[-1]
    assert refused.status == 429
    assert "Muitas tentativas" in refused.text
