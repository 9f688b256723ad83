"""Latency of the "Migrações" page (`python -m bench migrations`).

The app runs in a real HTTP server (werkzeug's threaded server on 127.0.0.1, in a thread) on
a throw-away SQLite database; a logged-in administrator requests /admin/migrations/
repeatedly. Scenarios (the environments file is re-read on every request):

* 4 reachable environments: two SQLite files and, when PostgreSQL answers on
  $GESTAO_TEST_PG (default postgresql://postgres@127.0.0.1:5432/postgres), two PostgreSQL
  databases (else four SQLite files), in different states;
* the same with one replaced by a closed port (connection refused at once);
* the same with one replaced by a server that accepts and never answers (bounded by the
  3 s connect timeout; fewer requests).

Then the migration plan (`migrations plan --env NAME`) of each of the 4 reachable
environments, built afresh (no cache: a scratch database each time), and the page's first
load with every plan to build.

Prints Markdown tables of p50 / p95 / max in milliseconds. Nothing is written outside a
temporary directory and the temporary PostgreSQL databases, which are dropped at the end.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

PG_ADMIN_URL = os.environ.get("GESTAO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
EMAIL, PASSWORD = "bench@exemplo.com.br", "senha-do-bench-123"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


class SilentServer:
    """Accepts TCP connections and never answers: a host that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.conns, self.stop = [], threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                continue

    def close(self):
        self.stop.set()
        self.thread.join()
        for conn in self.conns:
            conn.close()
        self.sock.close()


def postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, connect_timeout=3, autocommit=True) as conn:
        conn.execute(sql)


class Client:
    """A browser-like client: cookies, CSRF token from the login form."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.status, response.read().decode()

    def log_in(self) -> None:
        _, html = self.get("/login")
        token = CSRF_RE.search(html)[1]
        data = urllib.parse.urlencode({"email": EMAIL, "password": PASSWORD,
                                       "csrf_token": token}).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=60) as response:
            assert response.url.rstrip("/").endswith("/admin"), response.url


def write_environments(path: Path, environments: dict[str, str]) -> None:
    path.write_text("".join(f'[environments.{name}]\nurl = "{url}"\n\n'
                            for name, url in environments.items()))


def measure(client: Client, requests: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        client.get("/admin/migrations/")
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        status, html = client.get("/admin/migrations/")
        timings.append((time.perf_counter() - started) * 1000)
        assert status == 200 and "migration-env" in html
    return timings


def measure_plans(app, environments: dict[str, str], runs: int) -> list[tuple]:
    """(environment, pending revisions, p50 ms, max ms) of building its plan afresh."""
    from admin_app.ops.environments import Environment
    from admin_app.ops.plan import plan_environment
    from admin_app.ops.status import migrations_dir

    rows = []
    with app.app_context():
        location = migrations_dir(app)
        for name, url in environments.items():
            timings, pending = [], 0
            for _ in range(runs):
                started = time.perf_counter()
                plan = plan_environment(Environment(name=name, url=url), location)
                timings.append((time.perf_counter() - started) * 1000)
                pending = len(plan.revisions)
            rows.append((name, pending, percentile(timings, 50), max(timings)))
    return rows


def first_load(client: Client) -> float:
    """One page load with no plan cached (each pending environment's plan is built)."""
    from admin_app.ops import plan

    plan._plans.clear()
    started = time.perf_counter()
    status, _html = client.get("/admin/migrations/")
    assert status == 200
    return (time.perf_counter() - started) * 1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench migrations", description=__doc__)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--hang-requests", type=int, default=5,
                        help="requests for the never-answering scenario (0: skip it)")
    parser.add_argument("--plan-runs", type=int, default=5,
                        help="plans built per environment (0: skip the plan timings)")
    args = parser.parse_args(argv)

    os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)
    os.environ.setdefault("SECURITY_PASSWORD_SALT", "bench-salt-" + uuid.uuid4().hex)
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from admin_app import create_app
    from admin_app.cli import create_user
    from admin_app.extensions import db
    from admin_app.ops.scripts import load_scripts
    from admin_app.ops.status import migrations_dir
    from admin_app.ops.upgrade import run_alembic

    work = Path(tempfile.mkdtemp(prefix="bench-migrations-"))
    toml = work / "environments.toml"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'app.db'}",
        "GESTAO_ENVIRONMENTS": str(toml),
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {"argon2__rounds": 1,
                                                   "argon2__memory_cost": 512},
    })
    pg_databases: list[str] = []
    silent = SilentServer()
    server = None
    try:
        with app.app_context():
            upgrade()
            create_user(EMAIL, "admin", PASSWORD)
            location = migrations_dir(app)
            scripts = load_scripts(location)
            previous = scripts.by_id[scripts.heads[0]].parents[0]
            reachable = {"sqlite_head": f"sqlite:///{work / 'head.db'}",
                         "sqlite_behind": f"sqlite:///{work / 'behind.db'}"}
            with_pg = postgres_available()
            if with_pg:
                for name in ("pg_head", "pg_empty"):
                    database = f"gestao_bench_{uuid.uuid4().hex[:10]}"
                    pg_admin(f'CREATE DATABASE "{database}"')
                    pg_databases.append(database)
                    reachable[name] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database
            else:
                reachable["sqlite_head2"] = f"sqlite:///{work / 'head2.db'}"
                reachable["sqlite_empty"] = f"sqlite:///{work / 'empty.db'}"
            for name, url in reachable.items():
                if "behind" in name:
                    run_alembic(url, location, "upgrade", previous)
                elif "head" in name:
                    run_alembic(url, location, "upgrade", "heads")
            db.session.remove()

        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        client = Client(f"http://127.0.0.1:{server.server_port}")
        client.log_in()

        first_three = dict(list(reachable.items())[:3])
        scenarios = [
            ("4 reachable", reachable, args.requests),
            ("3 reachable + 1 refused (closed port)",
             {**first_three, "down": "postgresql://bench:x@127.0.0.1:1/none"}, args.requests),
        ]
        if args.hang_requests:
            scenarios.append((
                "3 reachable + 1 never answering (3 s timeout)",
                {**first_three,
                 "hang": f"postgresql://bench:x@127.0.0.1:{silent.port}/none"},
                args.hang_requests))
        rows, plan_rows, first_loads = [], [], []
        if args.plan_runs:
            write_environments(toml, reachable)
            first_loads = [first_load(client) for _ in range(args.plan_runs)]
            plan_rows = measure_plans(app, reachable, args.plan_runs)
        for label, environments, requests in scenarios:
            write_environments(toml, environments)
            warmup = args.warmup if requests == args.requests else 1
            timings = measure(client, requests, warmup)
            rows.append((label, requests, percentile(timings, 50), percentile(timings, 95),
                         max(timings)))
    finally:
        if server is not None:
            server.shutdown()
        silent.close()
        for database in pg_databases:
            pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    print_report(with_pg, rows, plan_rows, first_loads, args.plan_runs)
    return 0


def print_report(with_pg: bool, rows, plan_rows, first_loads, plan_runs: int) -> None:
    kinds = "2 SQLite + 2 PostgreSQL" if with_pg else "4 SQLite"
    print(f"\n/admin/migrations/ ({kinds}; werkzeug threaded server on 127.0.0.1; "
          f"{os.cpu_count()} CPUs)\n")
    print("| scenario | requests | p50 ms | p95 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, requests, p50, p95, worst in rows:
        print(f"| {label} | {requests} | {p50:.1f} | {p95:.1f} | {worst:.1f} |")
    if plan_rows:
        print(f"\nmigrations plan, built afresh ({plan_runs} runs each; in-process)\n")
        print("| environment | pending | p50 ms | max ms |")
        print("| --- | ---: | ---: | ---: |")
        for name, pending, p50, worst in plan_rows:
            print(f"| {name} | {pending} | {p50:.1f} | {worst:.1f} |")
        total = sum(row[2] for row in plan_rows)
        print(f"| all 4 (sum of p50) | {sum(row[1] for row in plan_rows)} | {total:.1f} | |")
        print(f"\n/admin/migrations/ with every plan to build (cache cleared): p50 "
              f"{percentile(first_loads, 50):.1f} ms, max {max(first_loads):.1f} ms "
              f"({len(first_loads)} loads)")
