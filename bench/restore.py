"""A list's trash and the restores at a million audit entries (`python -m bench restore`).

Issue 16's goal: a trash page (GET /admin/history/Customer/trash/, page 1 and a search by
name) and a restore (POST /admin/restore/Customer/<id>/ re-creates a deleted customer from
its delete entry; POST .../<id>/version/1/ brings back an earlier version) under GOAL_MS p50
with 1,000,000 audit entries; a 10,000-entry trail in the same run shows what grows with it.
Per database (SQLite, PostgreSQL) and size: real customers created, edited twice and most
deleted through the app's session (the audit listener writes their entries), synthetic
entries up to the size (bench/dataset.py's loaders; over 2 years and the ENTITIES, 35 %
create / 60 % update / 5 % delete, `changes` as audit.py writes them), ANALYZE; then
`--repeat` requests of each operation through the Flask test client as an administrator
(bench/dashboard.py's `measure`, plus the time in SQL), each restore on another customer,
all checked in the database afterwards. The search term, a deleted customer's name, is rare:
the search reads every Customer delete entry. Writes bench/results/restore.md (what follows
its NOTES heading, the analysis, is kept).

    python -m bench restore [--db sqlite|postgresql|both] [--entries N] [--baseline N]
                            [--repeat N] [--seed N] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event, func, select

from admin_app import create_app
from admin_app.admin.trash import PAGE_SIZE
from admin_app.cli import create_user
from admin_app.config import normalise_database_url
from admin_app.extensions import db
from admin_app.models import AuditEntry, Customer
from admin_app.models.base import utcnow
from bench.dashboard import EMAIL, PASSWORD, WARMUP, StatementCounter, log_in, measure
from bench.dataset import (_CopyLoader, _cpf, _fast_sqlite, _Loader, _postgres_after_load,
                           fresh_database)
from bench.migrations_page import (CSRF_RE, PG_ADMIN_URL, percentile, pg_admin,
                                   postgres_available)

RESULTS = Path(__file__).resolve().parent / "results" / "restore.md"
NOTES = "## Notes"
GOAL_MS = 50
TRASH = "/admin/history/Customer/trash/"
SYNTHETIC_IDS = 10_000_000  # synthetic object ids start here: never a real record's
FIRST = ("Ana", "João", "Maria", "José", "Antônio", "Adriana", "Márcia", "Lucas", "Patrícia")
LAST = ("Silva", "Santos", "Oliveira", "Souza", "Ferreira", "Alves", "Lima", "Costa", "Lopes")
CITIES = ("São Paulo", "Campinas", "Recife", "Curitiba", "Salvador", "Porto Alegre", "Manaus")
ACTIONS = ("create",) * 7 + ("update",) * 12 + ("delete",)  # 35 % / 60 % / 5 %


def _customer(rng, i):
    return {"id": i, "document": _cpf(rng),
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}",
            "email": f"cliente{i}@exemplo.com.br", "phone": f"11 9{rng.randrange(10**8):08d}",
            "city": rng.choice(CITIES), "state": "SP", "active": True}


def _item(rng, i):
    """Any other record's fields (an order item's, a product's, a stock movement's...)."""
    return {"id": i, "order_id": rng.randint(1, 200_000), "product_id": rng.randint(1, 10**5),
            "quantity": f"{rng.randint(1, 10)}.000", "status": rng.choice(("rascunho", "pago")),
            "unit_price": f"{rng.randint(100, 500_000) / 100:.2f}"}


#: entity: (its share of the trail in %, its fields as a snapshot holds them)
ENTITIES = {"Customer": (10, _customer), "Product": (15, _item), "Order": (22, _item),
            "OrderItem": (35, _item), "FinancialEntry": (10, _item), "StockMovement": (8, _item)}


def _audit_rows(rng: random.Random, count: int, now: datetime):
    """`count` entries, oldest first, over the 2 years before `now`."""
    names = list(ENTITIES)
    cumulative = list(itertools.accumulate(share for share, _ in ENTITIES.values()))
    start, step = now - timedelta(days=730), timedelta(days=730) / max(count, 1)
    for n in range(count):
        entity = rng.choices(names, cum_weights=cumulative)[0]
        share, fields = ENTITIES[entity]
        object_id = SYNTHETIC_IDS + rng.randrange(max(1, count * share // 400))
        action, values = rng.choice(ACTIONS), fields(rng, object_id)
        if action == "update":
            new = fields(rng, object_id)
            keys = rng.sample([k for k in values if k != "id"], rng.randint(1, 2))
            changes = {k: {"old": values[k], "new": new[k]} for k in keys}
        else:
            side = "new" if action == "create" else "old"
            changes = {k: {"old": None, "new": None, side: v} for k, v in values.items()}
        yield {"created_at": start + step * (n + rng.random()), "user_id": None,
               "actor": f"usuario{rng.randint(1, 20)}@exemplo.com.br", "action": action,
               "entity": entity, "object_id": str(object_id), "changes": changes,
               "import_id": None, "version": 1 if action == "create" else rng.randint(2, 6),
               "restored_version": None}


@contextlib.contextmanager
def _database(kind: str, keep: bool):
    """bench/dataset.py's throw-away SQLite file, or a PostgreSQL database of this bench's
    own name (gestao_bench_restore_<random>), dropped on exit unless `keep`."""
    if kind == "sqlite":
        with fresh_database(kind, PG_ADMIN_URL, keep) as url:
            yield url
        return
    name = f"gestao_bench_restore_{uuid.uuid4().hex[:8]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        if keep:
            print(f"kept: {url}")
        else:
            pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


def _real_customers(rng: random.Random, count: int) -> dict:
    """Customers at version 3, a commit per change: `count` to restore version 1 of; the
    others deleted, `count` to restore and the rest (one at least) left in the trash, so
    page 1 is full when measured."""
    gone = max(count + 1, PAGE_SIZE)
    customers = [Customer(**{k: v for k, v in _customer(rng, 0).items() if k != "id"})
                 for _ in range(gone + count)]
    for change in (db.session.add, (lambda c: setattr(c, "city", "Recife")),
                   (lambda c: setattr(c, "name", c.name + " Filho"))):
        for customer in customers:
            change(customer)
            db.session.commit()
    ids, term = [c.id for c in customers], customers[0].name
    for customer in customers[:gone]:
        db.session.delete(customer)
        db.session.commit()
    return {"kept": ids[0], "term": term, "deleted": ids[gone - count:gone],
            "versioned": ids[gone:]}


def _fill(rng: random.Random, size: int, count: int) -> dict:
    """Real customers, then synthetic entries up to `size`, ANALYZE; the facts to measure."""
    facts, engine = _real_customers(rng, count), db.engine
    missing = size - db.session.scalar(select(func.count()).select_from(AuditEntry))
    db.session.remove()
    with engine.connect() as conn, _fast_sqlite(conn):
        loader = (_CopyLoader if engine.dialect.name == "postgresql" else _Loader)(conn)
        loader.load(AuditEntry.__table__, _audit_rows(rng, max(missing, 0), utcnow()))
    if engine.dialect.name == "postgresql":
        _postgres_after_load(engine, ["audit_entries", "customers"])
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    trash = select(func.count()).where(AuditEntry.entity == "Customer",
                                       AuditEntry.action == "delete")
    return {**facts, "trash": db.session.scalar(trash),
            "entries": db.session.scalar(select(func.count()).select_from(AuditEntry))}


class SqlClock(StatementCounter):
    """Also the milliseconds a call waits for cursor executes: a slow query or slow Python.
    Not on SQLite, which computes the rows while they are fetched, after the execute."""

    def __init__(self, engine):
        super().__init__(engine)
        self.spent, self.samples, self.sqlite = 0.0, [], engine.dialect.name == "sqlite"
        event.listen(engine, "after_cursor_execute", self._done)

    def _seen(self, *args) -> None:
        super()._seen()
        self.started = time.perf_counter()

    def _done(self, *args) -> None:
        self.spent += (time.perf_counter() - self.started) * 1000

    def measure(self, label: str, call, repeat: int) -> dict:
        """bench/dashboard.py's measure, with "sql": the p50 of the time in SQL."""
        def timed():
            self.spent = 0.0
            call()
            self.samples.append(self.spent)

        self.samples = []
        row = measure(label, timed, self, repeat)
        return {**row, "sql": None if self.sqlite else percentile(self.samples[WARMUP:], 50)}


def _calls(client, token: str, facts: dict) -> dict:
    """operation: a call making one request (each restore on the next customer)."""
    deleted, versioned = iter(facts["deleted"]), iter(facts["versioned"])

    def get(path, mark, rows=None):
        def call():
            response = client.get(path)
            assert response.status_code == 200 and mark in response.text, response.status
            assert rows in (None, response.text.count('class="trash-row"'))
        return call

    def post(path, ids, **form):
        def call():
            response = client.post(path.format(next(ids)), data={"csrf_token": token, **form})
            assert response.status_code == 302 and "/history/" in response.location
        return call

    query = urllib.parse.urlencode({"q": facts["term"]})
    return {"trash page 1": get(TRASH, 'id="trash-more"', PAGE_SIZE),
            "trash search by name": get(f"{TRASH}?{query}", f'data-id="{facts["kept"]}"'),
            "restore a deleted customer": post("/admin/restore/Customer/{}/", deleted),
            "restore version 1 of a customer": post(
                "/admin/restore/Customer/{}/version/1/", versioned, version="3")}


def run(kind: str, args) -> list[dict]:
    rng, results, count = random.Random(args.seed), [], WARMUP + args.repeat
    with _database(kind, args.keep) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                          "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
                              "argon2__rounds": 1, "argon2__memory_cost": 512}})
        with app.app_context():
            upgrade()
            create_user(EMAIL, "admin", PASSWORD)
            db.session.remove()
            engine = db.engine
        client, clock = app.test_client(), SqlClock(engine)
        log_in(client)
        for size in (args.baseline, args.entries):
            started = time.perf_counter()
            with app.app_context():
                facts = _fill(rng, size, count)
            facts.update(seconds=time.perf_counter() - started, load=os.getloadavg()[0])
            print(f"Measuring {kind} at {facts['entries']:,} entries...", flush=True)
            calls = _calls(client, CSRF_RE.search(client.get(TRASH).text)[1], facts)
            facts["rows"] = [clock.measure(label, call, args.repeat)
                             for label, call in calls.items()]
            with app.app_context():
                done = select(func.count()).select_from(Customer)  # every restore took
                assert db.session.scalar(done.where(Customer.id.in_(facts["deleted"]))) == count
                assert db.session.scalar(done.where(Customer.id.in_(facts["versioned"]),
                                                    Customer.version == 4)) == count
                db.session.remove()
            results.append(facts)
        engine.dispose()  # PostgreSQL refuses DROP DATABASE while connections are open
    return results


def render(measured: dict[str, list[dict]], repeat: int) -> str:
    """One table of every backend's figures, then what each trail held."""
    base, full = next(iter(measured.values()))
    lines = [f"| operation | database | {base['entries']:,}: p50 | p95 | SQL | "
             f"{full['entries']:,}: p50 | p95 | SQL | statements | p50 < {GOAL_MS} ms |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |"]
    for index, row in enumerate(base["rows"]):
        for kind, sizes in measured.items():
            small, big = (size["rows"][index] for size in sizes)
            figures = " | ".join("—" if r[key] is None else f"{r[key]:.1f}"
                                 for r in (small, big) for key in ("p50", "p95", "sql"))
            lines.append(f"| {row['scenario']} | {kind} | {figures} | {big['statements']} | "
                         f"{'✓' if big['p50'] < GOAL_MS else '✗'} |")
    lines += ["", f"Milliseconds per request through the test client, {repeat} requests after "
              f"{WARMUP} warm-up; SQL: p50 of the time a request waited for its statements "
              "(not on SQLite: it computes rows while they are fetched)."]
    lines += [f"{kind}: {base['trash']:,} and {full['trash']:,} Customer delete entries (what a "
              f"search reads); {full['entries'] - base['entries']:,} entries added in "
              f"{full['seconds']:.0f} s; load average (1 min) {base['load']:.1f} and "
              f"{full['load']:.1f} before measuring." for kind, (base, full) in measured.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench restore", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    for option, default in (("--entries", 1_000_000), ("--baseline", 10_000), ("--repeat", 30),
                            ("--seed", 1)):
        parser.add_argument(option, type=int, default=default)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args(argv)

    # Set before create_app so it never writes development secrets into instance/.
    os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)
    os.environ.setdefault("SECURITY_PASSWORD_SALT", "bench-salt-" + uuid.uuid4().hex)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in kinds and not postgres_available():
        print(f"PostgreSQL unreachable at {PG_ADMIN_URL}: measuring SQLite only")
        kinds.remove("postgresql")
    measured = {kind: run(kind, args) for kind in kinds}
    report = (f"## Trash and restores ({datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs "
              f"shared with the database server; `{' '.join(['python -m bench restore', *argv])}`"
              f")\n\n{render(measured, args.repeat)}")
    notes = RESULTS.read_text().partition(NOTES)[2] if RESULTS.exists() else ""
    RESULTS.write_text(report + (f"\n{NOTES}{notes}" if notes else ""))
    print(f"\n{report}\nwritten to {RESULTS}")
    return 0
