"""Latency of the dashboard at benchmark data sizes (`python -m bench dashboard`).

Issue 6 asks that the dashboard's figures be aggregated in the database (no rows loaded into
Python) and stay fast with a realistic history. For each database (SQLite file and/or a
PostgreSQL database created for the run) this:

1. builds the app on a fresh database, applies the real migrations and fills it with
   bench/dataset.py (defaults: 50,000 customers, 100,000 products, 200,000 orders with
   ~1,000,000 items, 200,000 financial entries: the benchmark sizes of issue 6. On a
   2-core machine the load takes ~50-70 s on SQLite and ~100-150 s on PostgreSQL, under
   the 3 minutes per database allowed, so they are also the defaults of the run; a full run
   of both databases takes ~4 minutes, almost all of it the loads);
2. times, inside a test request context, each dashboard function the page calls —
   business_cards, monthly_sales, weekly_cash_flow and the two chart renders (query + SVG) —
   and, alone, the one card query no index can serve (products below their minimum stock),
   `--repeat` times after a warm-up, and counts the SQL statements of each call with a
   `before_cursor_execute` listener (the number of statements is what proves aggregation:
   it does not grow with the data);
3. times the whole page, GET /admin/ through the Flask test client logged in as an
   administrator created for the run (statements include the session's user and roles);
4. runs EXPLAIN (QUERY PLAN on SQLite) on every statement the dashboard functions sent, with
   their parameters, and lists the access path of each (which index, index-only or not),
   so a plan that stops using the dashboard's indexes shows in the results.

Prints one Markdown table per database (p50 / p95 in ms, statements per call) and the plans,
and writes them to bench/results/dashboard.md (overwritten by each run, except what follows
the HISTORY heading: earlier measurements kept for comparison). Dashboard functions whose
p95 is over BUDGET_MS are listed under the table; the whole page is their sum plus
rendering, so it is not held to that budget. Each call ends its session, as a request would,
so every repetition checks a connection out of the pool. SQLite is measured as the app leaves it
(no ANALYZE statistics); PostgreSQL after VACUUM ANALYZE, as autovacuum would leave it.

    python -m bench dashboard [--db sqlite|postgresql|both] [--orders N] [--products N]
                              [--customers N] [--entries N] [--repeat N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import time
import uuid
from datetime import datetime
from pathlib import Path

from bench.migrations_page import CSRF_RE, PG_ADMIN_URL, percentile, postgres_available

EMAIL, PASSWORD = "bench@exemplo.com.br", "senha-do-bench-123"
RESULTS = Path(__file__).resolve().parent / "results" / "dashboard.md"
BUDGET_MS = 200  # a dashboard query above this at benchmark sizes is reported as slow
WARMUP = 2
#: What follows this heading in the results file is kept by a new run.
HISTORY = "## Earlier measurements"


class StatementCounter:
    """Counts the SQL statements an engine sends (one per cursor execute)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        self.count += 1


def measure(label: str, call, counter: StatementCounter, repeat: int, after=None) -> dict:
    """p50 / p95 of `call()` in ms and its statement count (min–max if it varied)."""
    timings, statements = [], []
    for i in range(WARMUP + repeat):
        before = counter.count
        started = time.perf_counter()
        call()
        elapsed = (time.perf_counter() - started) * 1000
        statements.append(counter.count - before)
        if after is not None:
            after()
        if i >= WARMUP:
            timings.append(elapsed)
    low, high = min(statements[WARMUP:]), max(statements[WARMUP:])
    return {"scenario": label, "p50": percentile(timings, 50), "p95": percentile(timings, 95),
            "statements": str(low) if low == high else f"{low}–{high}"}


#: The lines of a plan that say how a table is read.
PLAN_ACCESS = ("Scan", "SCAN", "SEARCH", "Seek")


def explain_all(engine, calls, after=None) -> list[tuple[str, list[str]]]:
    """(statement, access lines of its plan) for every distinct statement `calls` send,
    explained with the parameters they were sent with."""
    from sqlalchemy import event

    sent: dict[str, object] = {}

    def seen(conn, cursor, statement, parameters, context, executemany):
        sent.setdefault(statement, parameters)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        for call in calls:
            call()
            if after is not None:
                after()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    sqlite = engine.dialect.name == "sqlite"
    plans = []
    with engine.connect() as conn:
        for statement, parameters in sent.items():
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            result = conn.exec_driver_sql(prefix + statement, parameters)
            lines = [row[-1] for row in result]
            plans.append((" ".join(statement.split()),
                          [line.strip() for line in lines
                           if any(word in line for word in PLAN_ACCESS)]))
    return plans


def _access(line: str) -> str:
    """`->  Index Only Scan using ix on orders orders_3  (cost=...)` -> `Index Only Scan
    using ix on orders` (PostgreSQL); SQLite's lines as they are."""
    line = re.sub(r"\s+\(cost=.*\)$", "", line.strip().removeprefix("->").strip())
    return re.sub(r"\bon (\w+) \1_\d+$", r"on \1", line)


def render_plans(plans: list[tuple[str, list[str]]]) -> list[str]:
    lines = ["", "Plans (access path of each statement the dashboard functions send):", ""]
    for statement, access in plans:
        short = statement if len(statement) <= 150 else statement[:147] + "..."
        lines.append(f"- `{short}`")
        lines += [f"  - {line}" for line in dict.fromkeys(_access(a) for a in access)]
    return lines


def log_in(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(html)[1]
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302 and "/admin" in response.location, response.status


def run(kind: str, args) -> tuple:
    """Build, fill and measure one database; return (row counts, load seconds, rows,
    plans, the 1-minute load average before and after measuring)."""
    from flask_migrate import upgrade

    from admin_app import create_app
    from admin_app.admin import dashboard
    from admin_app.cli import create_user
    from admin_app.config import normalise_database_url
    from admin_app.extensions import db

    from .dataset import fresh_database, generate

    with fresh_database(kind, PG_ADMIN_URL, keep=args.keep) as url:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "SECURITY_PASSWORD_SALT": os.environ["SECURITY_PASSWORD_SALT"],
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {"argon2__rounds": 1,
                                                       "argon2__memory_cost": 512},
        })
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            counts = generate(db.engine, orders=args.orders, items_per_order=args.items,
                              products=args.products, customers=args.customers,
                              entries=args.entries, seed=args.seed)
            load_seconds = time.perf_counter() - started
            create_user(EMAIL, "admin", PASSWORD)
            db.session.remove()
            engine = db.engine
        counter = StatementCounter(engine)
        today = datetime.now().date()
        rows = []
        load = [os.getloadavg()[0]]
        print(f"Measuring {kind} ({args.repeat} repetitions)...", flush=True)
        with app.test_request_context("/admin/"):
            for label, function in (
                ("business_cards", dashboard.business_cards),
                ("monthly_sales", dashboard.monthly_sales),
                ("weekly_cash_flow", dashboard.weekly_cash_flow),
                ("sales_chart (monthly_sales + SVG)", dashboard.sales_chart),
                ("cash_flow_chart (weekly_cash_flow + SVG)", dashboard.cash_flow_chart),
                ("products_below_minimum (part of business_cards)",
                 lambda _today: dashboard.products_below_minimum()),
            ):
                rows.append(measure(label, lambda f=function: f(today), counter, args.repeat,
                                    after=db.session.remove))
            plans = explain_all(engine, [
                lambda: dashboard.business_cards(today), lambda: dashboard.monthly_sales(today),
                lambda: dashboard.weekly_cash_flow(today)], after=db.session.remove)

        # Outside any app context: each request gets its own, as under a real server.
        client = app.test_client()
        log_in(client)

        def page():
            response = client.get("/admin/")
            assert response.status_code == 200 and "dashboard-cards" in response.text

        rows.append(measure("GET /admin/ (whole page)", page, counter, args.repeat))
        load.append(os.getloadavg()[0])
        engine.dispose()  # PostgreSQL refuses DROP DATABASE while connections are open
    return counts, load_seconds, rows, plans, load


def render(kind: str, counts: dict, load_seconds: float, rows: list[dict],
           repeat: int, plans: list[tuple[str, list[str]]], load: list[float]) -> str:
    sizes = ", ".join(f"{name} {count:,}" for name, count in counts.items())
    lines = [f"### {kind}", "",
             f"Rows: {sizes} (loaded in {load_seconds:.0f} s). {repeat} repetitions after "
             f"{WARMUP} warm-up calls. Load average (1 min) {load[0]:.1f} before measuring, "
             f"{load[1]:.1f} after: the machine's other processes share the CPUs.", "",
             "| scenario | p50 ms | p95 ms | SQL statements |",
             "| --- | ---: | ---: | ---: |"]
    lines += [f"| {r['scenario']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['statements']} |"
              for r in rows]
    slow = [r["scenario"] for r in rows[:-1] if r["p95"] > BUDGET_MS]
    if slow:
        lines += ["", f"Over {BUDGET_MS} ms (p95): " + ", ".join(slow) + "."]
    lines += render_plans(plans)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench dashboard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--items", type=int, default=5, help="mean items per order")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--entries", type=int, default=200_000, help="financial entries")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated databases (their URLs are printed)")
    args = parser.parse_args(argv)

    # Set before create_app so it never writes development secrets into instance/.
    os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)
    os.environ.setdefault("SECURITY_PASSWORD_SALT", "bench-salt-" + uuid.uuid4().hex)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in kinds and not postgres_available():
        if args.db == "postgresql":
            print(f"PostgreSQL unreachable at {PG_ADMIN_URL}")
            return 1
        print(f"PostgreSQL unreachable at {PG_ADMIN_URL}: measuring SQLite only")
        kinds.remove("postgresql")

    sections = []
    for kind in kinds:
        counts, load_seconds, rows, plans, load = run(kind, args)
        sections.append(render(kind, counts, load_seconds, rows, args.repeat, plans, load))
    report = (f"## Dashboard at benchmark sizes ({datetime.now():%Y-%m-%d %H:%M}, "
              f"{os.cpu_count()} CPUs; `{' '.join(['python -m bench dashboard', *argv])}`)"
              "\n\n" + "\n".join(sections))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    earlier = RESULTS.read_text().partition(HISTORY)[2] if RESULTS.exists() else ""
    RESULTS.write_text(report + (f"\n{HISTORY}{earlier}" if earlier else ""))
    print("\n" + report)
    print(f"written to {RESULTS}")
    return 0
