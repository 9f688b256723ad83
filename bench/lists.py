"""List screens at a million rows, ours against stock Flask-Admin (`python -m bench lists`).

Issue 8 asks that the generated list screens stay fast on big tables, and proves it against
a stock Flask-Admin `ModelView` of the same models measured in the same run, on two
databases: ours ("stock", so the gain of the view code alone) and a copy without the indexes
and search objects our later migrations add ("plain", the issue's baseline: stock Flask-Admin
on a plain schema, so the gain of the whole product). For each database kind (a fresh SQLite
file and a fresh PostgreSQL database) this:

1. applies the real migrations (Alembic to head, so the search and sort indexes that the
   migrations create are there) and fills the database with bench/dataset.py: by default
   1,000,000 products (names from a small vocabulary; PLANTED=10 of them contain the rare
   token "zqxw"), 40 categories, 50,000 customers, 200,000 orders with ~1,000,000 items,
   1,000,000 stock movements, 1,000,000 audit entries, 100,000 financial entries. SQLite is
   loaded with Core executemany under `journal_mode=OFF`; PostgreSQL through COPY (psycopg's
   `cursor.copy()`): Core inserts run at ~10,000 rows/s there, 7 minutes for this dataset.
   Then ANALYZE (PostgreSQL: VACUUM ANALYZE, done by the generator), and an administrator;
2. copies that database into the plain one (bench/plain_schema.py: SQLite's backup API, or
   PostgreSQL's `CREATE DATABASE <name>_plain TEMPLATE <name>`, before anything connects
   again), and brings the copy to the initial schema (revision 51185d8beb69, reflected from
   a scratch database migrated to it): every later index dropped, the initial ones later
   migrations replaced recreated, on SQLite the `search_*` FTS5 tables and all triggers
   dropped, primary key and unique indexes and every column kept; then ANALYZE. The copy is
   dropped at exit unless `--keep`;
3. serves the app with gunicorn on 127.0.0.1 (a free port, one sync worker, non-production
   config, bench/wsgi.py as the entry point), three times: one server receives only our
   requests, one only the stock views' (`/stock/...`, no login) on our database, one only
   the stock views' on the plain copy, so each worker's peak memory belongs to one side.
   The bench logs in over HTTP like a browser (GET /login, the csrf_token hidden input,
   POST /login, the session cookie);
4. measures each scenario, on each of the three sides, with `--repeat` sequential requests
   (default 30) after WARMUP requests: p50 / p95 in ms of the whole response (client-side,
   connection included), and the SQL statements of the request (the `X-SQL-Queries` header
   of bench/wsgi.py). Scenarios: the product list's page 1, deep page, name search, category
   filter, sort by price and sort by each sortable column (fewer requests); page 1 of the
   order list (customer column), stock movements and audit trail; an order's edit form
   (customer and item product pickers), the stock movement create form (product picker)
   and that picker's lookup; the dashboard (ours only). The URLs are built as a user would
   reach them: page 1 is the bare list URL; the search, the category filter and the sort
   links are read from each side's own rendered page 1 (the `search` field, the filter
   definitions in `#filter-groups-data`, the column headers' `sort=` links; plain reuses
   the stock URLs), so neither side's URL scheme is hard-coded. The deep page is the page
   after row DEEP_ROW (500,000; half the table at smaller sizes) in name order: stock and
   plain `?page=<row / 20>` (OFFSET 500,000, sorted by name as its default), ours
   `?after=<encode_cursor([name, id] of that row)>` (keyset), the row found with one SQL
   query. Every answer is checked (status, rows shown, the expected first row or matches):
   a wrong page is reported, never timed as if right;
5. on our database only (stock and ours): CSV export of the category-filtered product list
   (time to first byte and total, p50 of `--export-repeat`), and our export of the whole
   product table (once), with the worker's peak memory before and after it (stock
   Flask-Admin loads every exported row into memory first, so its full export is not
   attempted);
6. the three workers' peak memory (VmHWM from /proc, read through /_bench/worker) after all
   the scenarios, and, on our database only, throughput (requests/s) of page 1 with 1 and 2
   sync workers, CONCURRENCY client threads for `--throughput-seconds` each, stock and ours.

Prints and writes bench/results/lists.md: per database what the plain copy lacks, the
scenario table with plain / ours and stock / ours (the speed-ups) and the targets of issue 8
marked met (✓) or not (✗): the speed-ups judged against plain, and shown against the same
database too (`≥ 30× ✓ plain, ✗ same DB`). Timings include the client (same machine, 2 cores
shared with the database server), so they are upper bounds. A default run took ~18 minutes
on 2 cores (~5 of them loading the data) before the plain side was added; that side adds
the copy and its own, slower, scenarios.

    python -m bench lists [--only sqlite|postgresql] [--products N] [--orders N] [--items N]
                          [--movements N] [--audit N] [--customers N] [--entries N]
                          [--repeat N] [--export-repeat N] [--throughput-seconds S]
                          [--no-full-export] [--seed N] [--keep]
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.migrations_page import CSRF_RE, PG_ADMIN_URL, percentile, postgres_available
from bench.plain_schema import INITIAL_REVISION, plain_copy

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "lists.md"
EMAIL, PASSWORD = "bench@exemplo.com.br", "senha-do-bench-123"
PAGE_SIZE = 20
DEEP_ROW = 500_000
WARMUP = 3
CONCURRENCY = 8
FILTER_CATEGORY = "Categoria 007"
TIMEOUT = 900  # seconds; a full export of a million rows may take minutes
HEADER_LINK = re.compile(r'<th class="column-header col-([\w-]+)">\s*<a href="([^"]+)"')
EXPORT_LINK = re.compile(r'href="([^"]*/export/csv/[^"]*)"')
CELL = r'<td class="col-{}"[^>]*>\s*(.*?)\s*</td>'

# Targets of issue 8: ours p50 in ms and the speed-up over stock Flask-Admin (judged on the
# plain copy, shown on the same database too), per scenario key.
LATENCY_TARGETS = {"page1": 15, "deep": 15, "page_jump": 15, "filter": 15, "search": 25, "sort": 20,
                   "sort_any": 20, "order_edit": 20, "movement_new": 20}
SPEEDUP_TARGETS = {"page1": 2.5, "deep": 5, "sort": 5, "sort_any": 5, "search": 30}
LIST_SCENARIOS = {"page1", "deep", "page_jump", "filter", "search", "sort", "sort_any", "orders",
                  "movements", "audit"}
MAX_LIST_QUERIES = 5
# Measured in this order for every scenario: stock views on the plain copy (bench/plain_schema.py),
# stock views on our database, our screens.
SIDES = ("plain", "stock", "ours")
BASELINE_NAMES = {"plain": "plain", "stock": "same DB"}
MEMORY_TARGET_MB = 120
EXPORT_GROWTH_MB = 16  # "constant memory": the full export may not raise the peak more


# -- HTTP ------------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    headers: dict
    text: str
    ttfb: float  # ms
    total: float  # ms
    queries: int | None
    lines: int = 0


class Client:
    """A browser-like client on http.client: its own cookies, one connection per request
    (gunicorn's sync workers close every connection anyway)."""

    def __init__(self, port: int, cookies: dict | None = None):
        self.port = port
        self.cookies = dict(cookies or {})

    def request(self, path: str, form: dict | None = None, stream: bool = False) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            conn.request("POST" if form is not None else "GET", path, body, headers)
            response = conn.getresponse()
            first = response.read(1)
            ttfb = (time.perf_counter() - started) * 1000
            lines, text = 0, ""
            if stream:  # count lines, keep nothing
                lines = first.count(b"\n")
                while chunk := response.read(1 << 16):
                    lines += chunk.count(b"\n")
            else:
                text = (first + response.read()).decode("utf-8", "replace")
            total = (time.perf_counter() - started) * 1000
        finally:
            conn.close()
        for cookie in response.headers.get_all("Set-Cookie") or ():
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        queries = response.headers.get("X-SQL-Queries")
        return Reply(response.status, dict(response.headers), text, ttfb, total,
                     int(queries) if queries is not None else None, lines)

    def get(self, path: str) -> Reply:
        return self.request(path)

    def log_in(self) -> None:
        token = CSRF_RE.search(self.get("/login").text)[1]
        reply = self.request("/login", {"email": EMAIL, "password": PASSWORD,
                                        "csrf_token": token})
        location = reply.headers.get("Location", "")
        assert reply.status == 302 and "/admin" in location, (reply.status, location)


def rows_shown(text: str, column: str) -> int:
    """Rows of a list page: its cells of `column` (a list column of that screen)."""
    return text.count(f'<td class="col-{column}"')


def cells(text: str, column: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(CELL.format(column), text, re.S)]


def with_query(path: str, params: dict) -> str:
    return path + "?" + urllib.parse.urlencode(params)


# -- gunicorn -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn bench.wsgi:application` on 127.0.0.1, `workers` sync workers."""

    def __init__(self, database_url: str, workers: int, log_dir: Path, label: str):
        self.url, self.workers, self.label = database_url, workers, label
        self.log = log_dir / f"gunicorn-{label}-{workers}w.log"
        self.port = free_port()
        self.process = None

    def __enter__(self) -> Gunicorn:
        # Exports are timed in the web process: above GESTAO_JOB_ROWS rows the panel hands
        # them to the worker (a redirect to the job's page), which the bench does not run.
        env = {**os.environ, "DATABASE_URL": self.url, "GESTAO_ENV": "development",
               "GESTAO_JOB_ROWS": str(10**9)}
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(self.workers), "--worker-class", "sync",
                   "--timeout", str(TIMEOUT), "--chdir", str(ROOT),
                   "--error-logfile", str(self.log), "bench.wsgi:application"]
        self.process = subprocess.Popen(command, env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.log.read_text()[-3000:])
            try:
                if Client(self.port).get("/healthz").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not answer in 90 s:\n" + self.log.read_text()[-3000:])

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def worker_memory(self) -> dict:
        """pid, VmHWM (peak) and VmRSS of the (single) worker, in MB."""
        data = json.loads(Client(self.port).get("/_bench/worker").text)
        return {"pid": data["pid"], "peak": data["VmHWM"] / 1024, "rss": data["VmRSS"] / 1024}


# -- data -----------------------------------------------------------------------------------
@dataclass
class Facts:
    """What the scenarios need to know about the generated data."""
    deep_row: int
    deep_cursor: str
    deep_next_name: str
    category_count: int
    order_id: int
    planted: int
    counts: dict
    load_seconds: float


def prepare(url: str, args) -> Facts:
    """Migrate, fill, ANALYZE, create the administrator; read the scenarios' facts."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from admin_app import create_app
    from admin_app.admin.paging import encode_cursor
    from admin_app.cli import create_user
    from admin_app.config import normalise_database_url
    from admin_app.extensions import db
    from admin_app.models import Category, Order, Product
    from admin_app.rules import orders as order_rules

    from .dataset import RARE_TOKEN, generate

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {"argon2__rounds": 1,
                                                   "argon2__memory_cost": 512},
    })
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        counts = generate(db.engine, orders=args.orders,
                          items_per_order=max(1, round(args.items / max(args.orders, 1))),
                          products=args.products, customers=args.customers,
                          entries=args.entries, movements=args.movements, audit=args.audit,
                          varied_names=True, copy=True, seed=args.seed)
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                analyze_started = time.perf_counter()
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
                print(f"  ANALYZE in {time.perf_counter() - analyze_started:.1f} s", flush=True)
        load_seconds = time.perf_counter() - started
        create_user(EMAIL, "admin", PASSWORD)

        deep_row = min(DEEP_ROW, args.products // 2 // PAGE_SIZE * PAGE_SIZE)
        by_name = select(Product.name, Product.id).order_by(Product.name, Product.id)
        name, product_id = db.session.execute(by_name.offset(deep_row - 1).limit(1)).one()
        next_name = db.session.execute(by_name.offset(deep_row).limit(1)).one()[0]
        category_count = db.session.scalar(
            select(func.count()).select_from(Product).join(Category)
            .where(Category.name == FILTER_CATEGORY))
        drafts = select(Order.id).where(Order.status == order_rules.DRAFT).order_by(Order.id)
        order_id = db.session.scalar(drafts.where(Order.id >= args.orders // 2).limit(1)) \
            or db.session.scalar(select(func.max(Order.id)))
        planted = db.session.scalar(select(func.count()).select_from(Product)
                                    .where(Product.name.contains(RARE_TOKEN)))
        db.session.remove()
        db.engine.dispose()
    return Facts(deep_row, encode_cursor([name, product_id]), next_name, category_count,
                 order_id, planted, counts, load_seconds)


# -- scenarios ------------------------------------------------------------------------------
@dataclass
class Scenario:
    key: str
    label: str
    ours: str | None
    stock: str | None
    check: object = None  # check(reply, side) -> problem text or None
    note: str = ""
    every: str = ""  # the sort-by-each-column row: every column's p50

    def path(self, side: str) -> str | None:
        """The side's URL; "plain" serves the same stock views, so it gets the stock URL."""
        return self.ours if side == "ours" else self.stock


@dataclass
class Result:
    scenario: Scenario
    sides: dict = field(default_factory=dict)  # side -> {"p50", "p95", "queries", "problem"}


def measure(client: Client, path: str, repeat: int, check=None, side: str = "") -> dict:
    """p50 / p95 (ms) of `repeat` sequential GETs after WARMUP, statements min–max, and the
    first problem the check found (None if every answer was right)."""
    timings, queries, problem, first = [], [], None, None
    for i in range(WARMUP + repeat):
        reply = client.get(path)
        first = reply.total if first is None else first
        if problem is None:
            problem = (f"HTTP {reply.status}" if reply.status != 200
                       else check(reply, side) if check else None)
        if i >= WARMUP:
            timings.append(reply.total)
            queries.append(reply.queries)
    low, high = min(queries), max(queries)
    return {"p50": percentile(timings, 50), "p95": percentile(timings, 95),
            "queries": low if low == high else f"{low}–{high}", "max_queries": high,
            "problem": problem, "first": first}


def expect_rows(count: int, column: str = "sku"):
    def check(reply, side):
        shown = rows_shown(reply.text, column)
        return None if shown == count else f"{shown} rows shown, {count} expected"
    return check


def expect_sorted(column: str):
    """Page 1 with PAGE_SIZE rows, ascending by `column` (money read as its digits)."""
    def check(reply, side):
        values = [int(re.sub(r"\D", "", v) or 0) for v in cells(reply.text, column)]
        if len(values) != PAGE_SIZE:
            return f"{len(values)} rows shown, {PAGE_SIZE} expected"
        return None if values == sorted(values) else f"not sorted by {column}"
    return check


def discover_filter(text: str) -> tuple[str, str] | None:
    """(query name, value) of the category "equals" filter, from the page's filter data."""
    match = re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', text, re.S)
    if not match:
        return None
    groups = json.loads(html.unescape(match[1]))
    for label, items in groups.items():
        if "categor" not in label.lower():
            continue
        chosen = next((i for i in items if re.search(r"igual|equal", str(i["operation"]), re.I)
                       and not re.search(r"não|not|dif", str(i["operation"]), re.I)), items[0])
        value = FILTER_CATEGORY
        for option in chosen.get("options") or ():
            if str(option[1]) == FILTER_CATEGORY:
                value = str(option[0])
        return f"flt0_{chosen['arg']}", value
    return None


def sort_links(text: str) -> dict[str, str]:
    """Column -> the header's sort link (page 1 sorted by it, ascending)."""
    return {column: html.unescape(href) for column, href in HEADER_LINK.findall(text)}


def build_scenarios(ours: Client, stock: Client,
                    facts: Facts) -> tuple[list[Scenario], dict]:
    from .dataset import RARE_TOKEN

    pages = {"ours": ours.get("/admin/product/"), "stock": stock.get("/stock/product/")}
    for side, reply in pages.items():
        assert reply.status == 200, f"{side} product list: HTTP {reply.status}"
    links = {side: sort_links(reply.text) for side, reply in pages.items()}
    filters = {side: discover_filter(reply.text) for side, reply in pages.items()}
    assert all(filters.values()), f"category filter not found: {filters}"
    for side, reply in pages.items():
        assert 'name="search"' in reply.text, f"{side}: no search field"

    def category_check(reply, side):
        shown = cells(reply.text, "category")
        wrong = [c for c in shown if c != FILTER_CATEGORY]
        expected = min(PAGE_SIZE, facts.category_count)
        return (f"{len(shown)} rows, {len(wrong)} of another category" if wrong
                or len(shown) != expected else None)

    def deep_check(reply, side):
        names = cells(reply.text, "name")
        return None if names[:1] == [facts.deep_next_name] else \
            f"first row {names[:1]}, expected {facts.deep_next_name!r}"

    def search_check(reply, side):
        shown = rows_shown(reply.text, "sku")
        expected = min(PAGE_SIZE, facts.planted)
        return None if shown == expected and RARE_TOKEN in reply.text else \
            f"{shown} rows shown, {expected} expected"

    def picker_check(reply, side):
        found = len(json.loads(reply.text))
        return None if found == min(10, facts.planted) else f"{found} choices"

    def contains(mark):
        return lambda reply, side: None if mark in reply.text else f"{mark!r} missing"

    def filtered(side, base):
        name, value = filters[side]
        return with_query(base, {name: value})

    return [
        Scenario("page1", "product list, page 1", "/admin/product/", "/stock/product/",
                 expect_rows(PAGE_SIZE)),
        Scenario("deep", f"product list, page after row {facts.deep_row:,} (by name)",
                 with_query("/admin/product/", {"after": facts.deep_cursor}),
                 with_query("/stock/product/", {"page": facts.deep_row // PAGE_SIZE}),
                 deep_check),
        Scenario("page_jump", f"product list, ?page={facts.deep_row // PAGE_SIZE} (by name)",
                 with_query("/admin/product/", {"page": facts.deep_row // PAGE_SIZE}),
                 with_query("/stock/product/", {"page": facts.deep_row // PAGE_SIZE}),
                 deep_check),
        Scenario("search", f"product search \"{RARE_TOKEN}\" ({facts.planted} matches)",
                 with_query("/admin/product/", {"search": RARE_TOKEN}),
                 with_query("/stock/product/", {"search": RARE_TOKEN}), search_check),
        Scenario("filter", f"product filter category = {FILTER_CATEGORY} "
                 f"({facts.category_count:,} rows)", filtered("ours", "/admin/product/"),
                 filtered("stock", "/stock/product/"), category_check),
        Scenario("sort", "product list sorted by price, page 1", links["ours"].get("price"),
                 links["stock"].get("price"), expect_sorted("price")),
        Scenario("orders", "order list, page 1 (customer column)", "/admin/order/",
                 "/stock/order/", expect_rows(PAGE_SIZE, "number")),
        Scenario("movements", "stock movement list, page 1", "/admin/stockmovement/",
                 "/stock/stockmovement/", expect_rows(PAGE_SIZE, "created_at")),
        Scenario("audit", "audit trail, page 1", "/admin/auditentry/", "/stock/auditentry/",
                 expect_rows(PAGE_SIZE, "created_at")),
        Scenario("order_edit", f"order edit form (id {facts.order_id}; customer and item "
                 "product pickers)", with_query("/admin/order/edit/", {"id": facts.order_id}),
                 with_query("/stock/order/edit/", {"id": facts.order_id}),
                 contains('name="customer"')),
        Scenario("movement_new", "stock movement create form (product picker)",
                 "/admin/stockmovement/new/", "/stock/stockmovement/new/",
                 contains('name="product"')),
        Scenario("picker", f"product picker lookup \"{RARE_TOKEN}\"",
                 with_query("/admin/stockmovement/ajax/lookup/",
                            {"name": "product", "query": RARE_TOKEN}),
                 with_query("/stock/stockmovement/ajax/lookup/",
                            {"name": "product", "query": RARE_TOKEN}), picker_check),
        Scenario("dashboard", "dashboard /admin/", "/admin/", None,
                 contains("dashboard-cards")),
    ], links


def measure_scenarios(clients: dict, scenarios: list[Scenario], repeat: int) -> list[Result]:
    results = []
    for scenario in scenarios:
        result = Result(scenario)
        for side in SIDES:
            path = scenario.path(side)
            if path is None:
                continue
            result.sides[side] = measure(clients[side], path, repeat, scenario.check, side)
        problems = [f"{s}: {v['problem']}" for s, v in result.sides.items() if v["problem"]]
        print(f"  {scenario.label:<62} " + "  ".join(
            f"{s} {v['p50']:8.1f} ms" for s, v in result.sides.items())
            + (f"  PROBLEM {'; '.join(problems)}" if problems else ""), flush=True)
        results.append(result)
    return results


def deep_page_fallback(ours: Client, results: list[Result], facts: Facts, repeat: int):
    """If our list ignores `?after=` (before keyset pagination), time `?page=` instead and
    say so: a page 1 timed as a deep page would flatter us."""
    deep = next(r for r in results if r.scenario.key == "deep")
    if deep.sides["ours"]["problem"] is None:
        return
    problem = deep.sides["ours"]["problem"]
    deep.scenario.ours = with_query("/admin/product/", {"page": facts.deep_row // PAGE_SIZE})
    deep.sides["ours"] = measure(ours, deep.scenario.ours, repeat, deep.scenario.check, "ours")
    deep.scenario.note = f"ours ignored ?after= ({problem}); timed ?page= instead"
    print(f"  deep page, ours: {deep.scenario.note}: {deep.sides['ours']['p50']:.1f} ms",
          flush=True)


def sort_every_column(clients: dict, links: dict, repeat: int) -> Result:
    """Page 1 sorted by each sortable product column: the worst p50 of each side (plain
    follows the stock page's header links)."""
    worst, every = {}, {}
    for side in SIDES:
        for column, path in links["ours" if side == "ours" else "stock"].items():
            timing = measure(clients[side], path, repeat, expect_rows(PAGE_SIZE), side)
            timing["column"] = column
            every.setdefault(side, []).append(f"{column} {timing['p50']:.0f}")
            if side not in worst or timing["p50"] > worst[side]["p50"]:
                worst[side] = timing
    scenario = Scenario("sort_any", "product list sorted by each sortable column, page 1 "
                        "(worst)", "?sort=… (each header link)", "?sort=… (each header link)")
    scenario.note = "worst column: " + ", ".join(f"{s} {v['column']}" for s, v in worst.items())
    scenario.every = "; ".join(f"{side}: " + ", ".join(p50s) for side, p50s in every.items())
    print(f"  {scenario.label:<62} " + "  ".join(
        f"{s} {v['p50']:8.1f} ms ({v['column']})" for s, v in worst.items()), flush=True)
    return Result(scenario, worst)


# -- exports, memory, throughput ------------------------------------------------------------
def export_path(client: Client, list_path: str) -> str:
    match = EXPORT_LINK.search(client.get(list_path).text)
    assert match, f"no CSV export link on {list_path}"
    return html.unescape(match[1])


def time_export(client: Client, path: str, repeat: int, warmup: int = 1) -> dict:
    replies = [client.request(path, stream=True) for _ in range(warmup + repeat)][warmup:]
    assert all(r.status == 200 for r in replies), [r.status for r in replies]
    return {"ttfb": percentile([r.ttfb for r in replies], 50),
            "total": percentile([r.total for r in replies], 50),
            "lines": replies[-1].lines, "queries": replies[-1].queries}


def throughput(port: int, cookies: dict, path: str, seconds: float) -> tuple[float, int]:
    """Requests/s of CONCURRENCY threads GETting `path` for `seconds`; and the failures."""
    done, failed, lock = [0], [0], threading.Lock()
    deadline = time.monotonic() + seconds

    def hammer():
        client = Client(port, cookies)
        while time.monotonic() < deadline:
            try:
                ok = client.get(path).status == 200
            except OSError:  # refused or reset: a failure, not the end of this client
                ok = False
            with lock:
                done[0] += ok
                failed[0] += not ok

    started = time.monotonic()
    threads = [threading.Thread(target=hammer) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.monotonic() - started), failed[0]


# -- one database ---------------------------------------------------------------------------
def run(kind: str, args, log_dir: Path) -> dict:
    from .dataset import fresh_database

    with fresh_database(kind, PG_ADMIN_URL, keep=args.keep) as url:
        facts = prepare(url, args)
        report = {"kind": kind, "facts": facts}
        # The copy first: PostgreSQL copies a database only while nothing is connected to it.
        with plain_copy(kind, url, PG_ADMIN_URL, keep=args.keep) as plain_database, \
                Gunicorn(url, 1, log_dir, "ours") as ours, \
                Gunicorn(url, 1, log_dir, "stock") as stock:
            report["plain_schema"] = plain_database
            ours_client, stock_client = Client(ours.port), Client(stock.port)
            ours_client.log_in()
            with Gunicorn(plain_database.url, 1, log_dir, "plain") as plain:
                clients = {"plain": Client(plain.port), "stock": stock_client,
                           "ours": ours_client}
                print(f"Measuring {kind} ({args.repeat} requests per scenario after {WARMUP} "
                      "warm-up)...", flush=True)
                scenarios, links = build_scenarios(ours_client, stock_client, facts)
                results = measure_scenarios(clients, scenarios, args.repeat)
                deep_page_fallback(ours_client, results, facts, args.repeat)
                results.insert(5, sort_every_column(clients, links, max(5, args.repeat // 3)))
                report["results"] = results
                report["memory"] = {side: server.worker_memory() for side, server in
                                    (("plain", plain), ("stock", stock), ("ours", ours))}
            # Exports and throughput: our database only (stock views and ours), as before.
            report["exports"] = exports(clients, scenarios, args, ours)
            report["throughput"] = {1: measure_throughput(ours, stock, ours_client, args)}
        with Gunicorn(url, 2, log_dir, "ours") as ours, \
                Gunicorn(url, 2, log_dir, "stock") as stock:
            ours_client = Client(ours.port)
            ours_client.log_in()
            report["throughput"][2] = measure_throughput(ours, stock, ours_client, args)
    return report


def exports(clients: dict, scenarios: list[Scenario], args, ours: Gunicorn) -> dict:
    filtered = next(s for s in scenarios if s.key == "filter")
    result = {}
    for side in ("stock", "ours"):
        path = export_path(clients[side], getattr(filtered, side))
        result[side] = time_export(clients[side], path, args.export_repeat)
        result[side]["path"] = path
        print(f"  CSV export, filtered, {side}: first byte {result[side]['ttfb']:.0f} ms, "
              f"total {result[side]['total']:.0f} ms, {result[side]['lines']:,} lines",
              flush=True)
    if args.full_export:
        before = ours.worker_memory()
        full = time_export(clients["ours"], "/admin/product/export/csv/", 1, warmup=0)
        full.update(before=before["peak"], after=ours.worker_memory()["peak"])
        result["full"] = full
        print(f"  CSV export, all products, ours: first byte {full['ttfb']:.0f} ms, total "
              f"{full['total'] / 1000:.1f} s, {full['lines']:,} lines, worker peak "
              f"{full['before']:.0f} -> {full['after']:.0f} MB", flush=True)
    return result


def measure_throughput(ours: Gunicorn, stock: Gunicorn, ours_client: Client, args) -> dict:
    result = {}
    for side, server, cookies, path in (("stock", stock, {}, "/stock/product/"),
                                        ("ours", ours, ours_client.cookies, "/admin/product/")):
        rate, failed = throughput(server.port, cookies, path, args.throughput_seconds)
        result[side] = (rate, failed)
        print(f"  throughput, {server.workers} worker(s), {side}: {rate:.1f} requests/s"
              + (f" ({failed} failed)" if failed else ""), flush=True)
    return result


# -- report ---------------------------------------------------------------------------------
def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def targets(result: Result) -> str:
    """Issue 8's targets for ours; a speed-up is judged against the issue's baseline, stock
    Flask-Admin on a plain schema ("plain"), and shown against the stock views on our
    database ("same DB") too."""
    key, ours = result.scenario.key, result.sides.get("ours")
    if ours is None:
        return ""
    parts = []
    if key in LATENCY_TARGETS:
        limit = LATENCY_TARGETS[key]
        parts.append(f"< {limit} ms {mark(ours['p50'] < limit)}")
    baselines = [side for side in ("plain", "stock") if side in result.sides]
    if key in SPEEDUP_TARGETS and baselines:
        wanted = SPEEDUP_TARGETS[key]
        parts.append(f"≥ {wanted:g}× " + ", ".join(
            f"{mark(result.sides[side]['p50'] / ours['p50'] >= wanted)} {BASELINE_NAMES[side]}"
            for side in baselines))
    if key in LIST_SCENARIOS:
        parts.append(f"≤ {MAX_LIST_QUERIES} queries "
                     f"{mark(ours['max_queries'] <= MAX_LIST_QUERIES)}")
    return ", ".join(parts)


def table_row(result: Result) -> str:
    sides, ours = result.sides, result.sides.get("ours")

    def each(name: str, fmt: str) -> list[str]:
        return [fmt.format(sides[side][name]) if side in sides else "—" for side in SIDES]

    def ratio(side: str) -> str:
        return f"{sides[side]['p50'] / ours['p50']:.1f}×" if side in sides and ours else "—"

    label = result.scenario.label
    problems = [f"{s}: {v['problem']}" for s, v in sides.items() if v.get("problem")]
    notes = [n for n in (result.scenario.note, *problems) if n]
    if notes:
        label += " (" + "; ".join(notes) + ")"
    p50s = " | ".join(each("p50", "{:.1f}"))
    return (f"| {label} | {p50s} | {' / '.join(each('p95', '{:.1f}'))} | {ratio('plain')} | "
            f"{ratio('stock')} | {' / '.join(each('queries', '{}'))} | {targets(result)} |")


def plain_schema_lines(plain) -> list[str]:
    """What the plain copy lacks, with every name (bench/plain_schema.py)."""
    lines = [f"Plain: stock views on a copy of this database brought to the initial schema "
             f"(revision {INITIAL_REVISION}): {plain.summary()}, analysed, in "
             f"{plain.seconds:.0f} s.", "", "<details><summary>The plain copy's changes</summary>",
             ""]
    for label, names in (("Dropped indexes", plain.dropped_indexes),
                         ("Dropped FTS5 tables", plain.dropped_tables),
                         ("Dropped triggers", plain.dropped_triggers),
                         ("Recreated initial indexes", plain.restored_indexes)):
        if names:
            lines.append(f"- {label} ({len(names)}): " + ", ".join(f"`{n}`" for n in names))
    return lines + ["", "</details>"]


def render(report: dict, args) -> str:
    facts, memory, exports_ = report["facts"], report["memory"], report["exports"]
    sizes = ", ".join(f"{name} {count:,}" for name, count in facts.counts.items())
    lines = [f"### {report['kind']}", "",
             f"Rows: {sizes} (loaded and analysed in {facts.load_seconds:.0f} s). "
             f"p50 / p95 in ms of {args.repeat} sequential requests after {WARMUP} warm-up "
             "(the sort-by-each-column row: fewer), one sync gunicorn worker per side. "
             "plain: stock Flask-Admin on the plain copy; stock: the same views on our "
             "database; ours: our screens. Speed-up targets are judged against plain (the "
             "issue's baseline) and shown against the same database.", "",
             *plain_schema_lines(report["plain_schema"]), "",
             "| scenario | plain p50 | stock p50 | ours p50 | p95 plain / stock / ours | "
             "plain/ours | stock/ours | queries plain / stock / ours | targets (ours) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    lines += [table_row(r) for r in report["results"]]
    jump = next(r for r in report["results"] if r.scenario.key == "page_jump")
    page1 = next(r for r in report["results"] if r.scenario.key == "page1")
    lines += ["", f"`{jump.scenario.ours}`: ours {jump.sides['ours']['p50']:.1f} ms p50 against "
              f"its page 1's {page1.sides['ours']['p50']:.1f} ms (no slower "
              f"{mark(jump.sides['ours']['p50'] <= page1.sides['ours']['p50'] * 1.1)}, within "
              "10 %); its first request, which walks the list once to build the page map "
              f"(admin_app/admin/page_map.py), took {jump.sides['ours']['first']:.0f} ms "
              "(stock: every request walks; its first took "
              f"{jump.sides['stock']['first']:.0f} ms)."]
    sort_any = next(r for r in report["results"] if r.scenario.key == "sort_any")
    lines += ["", f"Page 1 sorted by each column, p50 ms ({sort_any.scenario.every})."]
    peak = memory["ours"]["peak"]
    lines += ["", f"- Worker peak memory (VmHWM) after every scenario above: ours {peak:.0f} MB "
              f"(< {MEMORY_TARGET_MB} MB {mark(peak < MEMORY_TARGET_MB)}), stock "
              f"{memory['stock']['peak']:.0f} MB, plain {memory['plain']['peak']:.0f} MB."]
    for side in ("stock", "ours"):
        e = exports_[side]
        lines.append(f"- CSV export of the filtered list, {side}: first byte {e['ttfb']:.0f} ms, "
                     f"total {e['total']:.0f} ms (p50 of {args.export_repeat}), "
                     f"{e['lines']:,} lines, SQL queries before the first byte: "
                     f"{e['queries']}.")
    if "full" in exports_:
        f = exports_["full"]
        grew = f["after"] - f["before"]
        ok = f["after"] < MEMORY_TARGET_MB and grew <= EXPORT_GROWTH_MB
        lines.append(f"- CSV export of all products, ours: first byte {f['ttfb']:.0f} ms, total "
                     f"{f['total'] / 1000:.1f} s, {f['lines']:,} lines; worker peak "
                     f"{f['before']:.0f} → {f['after']:.0f} MB (constant memory: grows ≤ "
                     f"{EXPORT_GROWTH_MB} MB and stays < {MEMORY_TARGET_MB} MB {mark(ok)}).")
    for workers, sides in sorted(report["throughput"].items()):
        text = ", ".join(f"{side} {rate:.1f}" + (f" ({failed} failed)" if failed else "")
                         for side, (rate, failed) in sides.items())
        lines.append(f"- Throughput of page 1, {workers} sync worker(s), {CONCURRENCY} "
                     f"concurrent clients for {args.throughput_seconds:g} s: {text} "
                     "requests/s.")
    lines += ["", "<details><summary>URLs measured</summary>", ""]
    lines += [f"- {r.scenario.label}: ours `{r.scenario.ours}`"
              + (f", stock and plain `{r.scenario.stock}`" if r.scenario.stock else "")
              for r in report["results"]]
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


HOW = """Three sides, each served by its own gunicorn worker. Stock: plain
`flask_admin.contrib.sqla.ModelView`s at /stock/ with the same columns, search, filters,
sorting, form fields and AJAX pickers as ours (bench/wsgi.py). "stock" runs them on our
database, so they profit from the indexes our migrations create (on PostgreSQL the pg_trgm
index also serves stock Flask-Admin's `ILIKE '%…%'` search; SQLite's FTS5 table serves ours
only): stock/ours is what our view code alone gains. "plain" runs the same views on a copy of
that database brought to the initial schema, what a plain app over these models has (revision
51185d8beb69: every index it lacks dropped, the ones later migrations replaced recreated, on
SQLite the `search_*` FTS5 tables and all triggers dropped, then ANALYZE; bench/plain_schema.py):
plain/ours is what the whole product gains, and the issue's speed-up targets are judged on it.
How the URLs were built: page 1 is the bare list URL on each side; search, filter and sort URLs
come from each side's rendered page 1 (`search=`, the category "equals" filter of
`#filter-groups-data`, the column headers' sort links; plain uses the stock page's); the deep
page shows the rows after row N in name order: stock and plain `?page=N/20` (Flask-Admin's
OFFSET, its default sort set to name), ours `?after=<cursor of row N>` (keyset). CSV exports
and throughput are measured on our database only (stock and ours). Timings are client-side
over loopback, with the database server on the same 2 cores, shared with other work."""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench lists", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--items", type=int, default=1_000_000, help="order items in all")
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--entries", type=int, default=100_000, help="financial entries")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--export-repeat", type=int, default=5)
    parser.add_argument("--throughput-seconds", type=float, default=10)
    parser.add_argument("--no-full-export", dest="full_export", action="store_false",
                        help="skip our export of the whole product table")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated databases (their URLs are printed)")
    args = parser.parse_args(argv)
    if args.products < 2 * PAGE_SIZE:
        parser.error(f"--products must be at least {2 * PAGE_SIZE}")

    # Set before any app is built, so nothing writes development secrets into instance/;
    # the gunicorn workers inherit them (sessions made by one are valid in the other).
    os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)
    os.environ.setdefault("SECURITY_PASSWORD_SALT", "bench-salt-" + uuid.uuid4().hex)
    kinds = [args.only] if args.only else ["sqlite", "postgresql"]
    if "postgresql" in kinds and not postgres_available():
        print(f"PostgreSQL unreachable at {PG_ADMIN_URL}" + (
            ": measuring SQLite only" if len(kinds) > 1 else ""))
        if len(kinds) == 1:
            return 1
        kinds.remove("postgresql")

    started = time.perf_counter()
    sections = []
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as log_dir:
        for kind in kinds:
            sections.append(render(run(kind, args, Path(log_dir)), args))
    report = (f"## List screens, ours against stock Flask-Admin ({datetime.now():%Y-%m-%d %H:%M}, "
              f"{os.cpu_count()} CPUs, whole run {(time.perf_counter() - started) / 60:.0f} min; "
              f"`{' '.join(['python -m bench lists', *argv])}`)\n\n{HOW}\n\n"
              + "\n".join(sections))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print("\n" + report)
    print(f"written to {RESULTS}")
    return 0
