"""Benchmark data: a migrated database filled with a business-sized history, fast.

`generate(engine, ...)` writes customers, suppliers, categories, products, orders with their
items and financial entries straight through SQLAlchemy Core (`conn.execute(table.insert(),
rows)` in chunks of CHUNK rows, one transaction per table). The ORM is bypassed on purpose:
its session listeners (business rules, audit log, stock movements) would make a million rows
take an hour, and the dashboard only reads these tables. The rows still satisfy every CHECK
constraint and foreign key (valid CPF/CNPJ check digits, known statuses and kinds, positive
amounts, unique document / SKU / order number), so the app reads them like its own.

Shape (relative to today, so the dashboard's "this month", "next 7 days" and "last 12 months"
always have data): orders spread uniformly over the last 14 months, 1..2k-1 items each
(mean k = items_per_order); financial entries due within ±60 days of today, most past ones
paid, a few future ones paid early; about 5 % of the products below their minimum stock.
Stock movements and the audit log are left empty unless asked for (`movements=`, `audit=`:
the dashboard does not read them; the list benchmark does). `varied_names=True` gives the
products names from a small hardware-store vocabulary instead of `Produto 0000001`, so
sorting by name is not sorting by id, and plants PLANTED names containing the rare token
RARE_TOKEN (a substring search with a known, small result).

`copy=True` loads PostgreSQL through COPY ... FROM STDIN (psycopg's `cursor.copy()`)
instead of Core inserts: 25,000-65,000 rows/s against ~10,000 (products are the slowest, their
trigram search index is updated row by row), so the list benchmark's 4.35 M rows load in
~2 minutes, VACUUM ANALYZE included, instead of ~7. SQLite always uses Core inserts (~25,000
rows/s: 3 minutes for the same rows).

`fresh_database(kind, admin_url, keep)` gives a throw-away SQLite file or PostgreSQL
database (gestao_bench_<random>, dropped on exit unless `keep`).

Speed on a 2-core machine at the default sizes (1.55 M rows): ~50 s on SQLite (~30,000
rows/s), ~150 s on PostgreSQL (~10,000 rows/s: psycopg sends an executemany as one pipelined
INSERT per row and the server checks foreign keys and updates indexes row by row; sending
multi-row VALUES through `.returning()` measured slower, and COPY would bypass the Core
insert path this module is meant to exercise).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text
from stdnum.br import cnpj as cnpj_rules
from stdnum.br.cpf import _calc_check_digits as cpf_check_digits

from admin_app.models import (AuditEntry, Category, Customer, FinancialEntry, Order, OrderItem,
                              Product, StockMovement, Supplier)
from admin_app.models.catalog import UNITS
from admin_app.models.parties import UFS
from admin_app.rules import finance as finance_rules
from admin_app.rules import orders as order_rules
from admin_app.rules import stock as stock_rules

CHUNK = 10_000
CATEGORIES = 40
SUPPLIERS = 500
CENT = Decimal("0.01")
# Mostly delivered, as in a business that has been running for a while.
STATUS_WEIGHTS = {order_rules.DRAFT: 4, order_rules.CONFIRMED: 4, order_rules.INVOICED: 3,
                  order_rules.SHIPPED: 4, order_rules.DELIVERED: 75, order_rules.CANCELLED: 10}
assert set(STATUS_WEIGHTS) == set(order_rules.STATUSES)


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount between `low` and `high` reais, with centavos."""
    return Decimal(rng.randint(low * 100, high * 100)) * CENT


def _unique_documents(rng: random.Random, count: int, make) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        seen.add(make(rng))
    return list(seen)


def _cpf(rng: random.Random) -> str:
    """9 random digits + the two check digits; never all-equal digits (rejected by the app)."""
    while True:
        base = f"{rng.randrange(10 ** 9):09d}"
        if len(set(base)) > 1:
            return base + cpf_check_digits(base)


def _cnpj(rng: random.Random) -> str:
    base = f"{rng.randrange(10 ** 8):08d}0001"
    return base + cnpj_rules.calc_check_digits(base)


class _Loader:
    """Inserts rows in chunks, one transaction per table, and keeps the counts for rows/s."""

    def __init__(self, conn):
        self.conn = conn
        self.counts: dict[str, tuple[int, float]] = {}

    def load(self, table, rows) -> None:
        started = time.perf_counter()
        count, chunk = 0, []
        with self.conn.begin():
            for row in rows:
                chunk.append(row)
                if len(chunk) == CHUNK:
                    self.conn.execute(table.insert(), chunk)
                    count, chunk = count + len(chunk), []
            if chunk:
                self.conn.execute(table.insert(), chunk)
                count += len(chunk)
        seconds = time.perf_counter() - started
        self.counts[table.name] = (count, seconds)
        print(f"  {table.name:<18} {count:>9,} rows in {seconds:6.1f} s "
              f"({count / max(seconds, 1e-9):>9,.0f} rows/s)", flush=True)


def _category_rows(stamps: dict):
    for i in range(1, CATEGORIES + 1):
        yield {"id": i, "name": f"Categoria {i:03d}", "description": None, **stamps}


def _supplier_rows(rng: random.Random, stamps: dict):
    for i, doc in enumerate(_unique_documents(rng, SUPPLIERS, _cnpj), start=1):
        yield {"id": i, "cnpj": doc, "legal_name": f"Fornecedor {i:05d} Ltda.",
               "trade_name": f"Fornecedor {i:05d}", "contact_name": None,
               "email": f"fornecedor{i}@exemplo.com.br", "phone": None, "active": True,
               **stamps}


def _customer_rows(rng: random.Random, count: int, stamps: dict):
    for i, doc in enumerate(_unique_documents(rng, count, _cpf), start=1):
        yield {"id": i, "document": doc, "name": f"Cliente {i:07d}",
               "email": f"cliente{i}@exemplo.com.br", "phone": None, "city": None,
               "state": rng.choice(UFS), "active": i % 13 != 0, "notes": None, **stamps}


def _product_rows(rng: random.Random, prices: list[Decimal], stamps: dict):
    """About 5 % of the products below their minimum stock (the dashboard counts them)."""
    for i, price in enumerate(prices, start=1):
        min_stock = rng.randint(0, 50)
        if min_stock > 0 and rng.random() < 0.05:
            stock = rng.randint(0, min_stock - 1)
        else:
            stock = rng.randint(min_stock, 500)
        yield {"id": i, "sku": f"SKU-{i:08d}", "name": f"Produto {i:07d}", "description": None,
               "category_id": rng.randint(1, CATEGORIES), "supplier_id": rng.randint(1, SUPPLIERS),
               "unit": rng.choice(UNITS), "price": price,
               "cost": (price * Decimal("0.6")).quantize(CENT), "stock": Decimal(stock),
               "min_stock": Decimal(min_stock), "active": True, **stamps}


def _order_rows(rng: random.Random, count: int, customers: int, now: datetime):
    """Dates uniform over ~14 months, sorted so numbers follow them (YYYY-NNNNNN per year,
    as the app gives them). Every order's items total at least 10.00, so a discount of at
    most 10.00 never makes an order negative."""
    span = int(timedelta(days=426).total_seconds())
    dates = sorted(now - timedelta(seconds=rng.randrange(span)) for _ in range(count))
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    per_year: dict[int, int] = {}
    for i, at in enumerate(dates, start=1):
        per_year[at.year] = per_year.get(at.year, 0) + 1
        yield {"id": i, "number": f"{at.year}-{per_year[at.year]:06d}",
               "customer_id": rng.randint(1, customers),
               "status": rng.choices(statuses, weights)[0], "ordered_at": at,
               "discount": _money(rng, 1, 10) if rng.random() < 0.1 else Decimal(0),
               "notes": None, "created_at": at, "updated_at": at, "version": 1}


def _item_rows(rng: random.Random, orders: int, per_order: int, prices: list[Decimal]):
    """1..2k-1 items per order (mean k), sold at the product's price."""
    item_id = 0
    for order_id in range(1, orders + 1):
        for _ in range(rng.randint(1, 2 * per_order - 1)):
            item_id += 1
            product_id = rng.randrange(len(prices)) + 1
            yield {"id": item_id, "order_id": order_id, "product_id": product_id,
                   "quantity": Decimal(rng.randint(1, 10)), "unit_price": prices[product_id - 1]}


def _items_totals(rng: random.Random, orders: int, customers: int, now: datetime,
                  per_order: int, prices: list[Decimal]) -> list[Decimal]:
    """What each order's items sum to (index: order id), for `orders.items_total`. Orders
    are loaded before their items (foreign key), so a copy of the generator runs over the
    orders and then the items first; `rng` itself, and so the dataset, is left as it is."""
    twin = random.Random()
    twin.setstate(rng.getstate())
    for _ in _order_rows(twin, orders, customers, now):
        pass
    totals = [Decimal(0)] * (orders + 1)
    for item in _item_rows(twin, orders, per_order, prices):
        totals[item["order_id"]] += item["quantity"] * item["unit_price"]
    return totals


def _with_items_totals(rows, totals: list[Decimal]):
    for row in rows:
        yield {**row, "items_total": totals[row["id"]]}


def _entry_rows(rng: random.Random, count: int, customers: int, today: date, stamps: dict):
    """Due within ±60 days of today; 80 % of the past ones paid, 10 % of the future ones."""
    for i in range(1, count + 1):
        kind = rng.choice(finance_rules.KINDS)
        due = today + timedelta(days=rng.randint(-60, 60))
        paid_at = None
        if rng.random() < (0.8 if due < today else 0.1):
            paid_at = min(today, due + timedelta(days=rng.randint(-5, 5)))
        receivable = kind == finance_rules.RECEIVABLE
        yield {"id": i, "kind": kind, "description": f"Título {i:07d}",
               "amount": _money(rng, 10, 5000), "due_date": due, "paid_at": paid_at,
               "customer_id": rng.randint(1, customers) if receivable else None,
               "supplier_id": None if receivable else rng.randint(1, SUPPLIERS),
               "order_id": None, **stamps}


# -- the list benchmark's additions (bench/lists.py) -----------------------------------------
RARE_TOKEN = "zqxw"  # in PLANTED product names only: a substring search with a known result
PLANTED = 10
NOUNS = ("Parafuso", "Porca", "Arruela", "Bucha", "Prego", "Cabo", "Tomada", "Interruptor",
         "Lâmpada", "Fita", "Tinta", "Cola", "Luva", "Broca", "Martelo", "Chave", "Alicate",
         "Serra", "Mangueira", "Torneira", "Registro", "Cano", "Joelho", "Luva PVC", "Trena",
         "Pincel", "Rolo", "Lixa", "Disjuntor", "Dobradiça", "Fechadura", "Cadeado", "Corrente",
         "Abraçadeira", "Rebite", "Silicone", "Veda rosca", "Escada", "Carrinho", "Balde")
QUALIFIERS = ("sextavado", "galvanizado", "inox", "branco", "preto", "cinza", "reforçado",
              "profissional", "econômico", "zincado", "de aço", "de latão", "de nylon",
              "bivolt", "flexível", "rígido", "soldável", "roscável", "antiderrapante",
              "com trava")
SIZES = ("3mm", "4mm", "6mm", "8mm", "10mm", "12mm", "1/2\"", "3/4\"", "1\"", "20mm",
         "25mm", "32mm", "1m", "5m", "10m", "50m", "100ml", "500ml", "1L", "3,6L")


def _with_varied_names(rows, seed: int, count: int):
    """Product rows renamed `Parafuso inox 8mm ref. 48213`; PLANTED of them, spread over
    the table, also carry RARE_TOKEN. A separate generator, so every other column stays
    what the same seed gives without it."""
    rng = random.Random(seed * 7919)
    planted = set(rng.sample(range(1, count + 1), min(PLANTED, count)))
    for row in rows:
        name = (f"{rng.choice(NOUNS)} {rng.choice(QUALIFIERS)} {rng.choice(SIZES)} "
                f"ref. {rng.randrange(100_000):05d}")
        if row["id"] in planted:
            name = f"{name} lote {RARE_TOKEN}{row['id'] % 97:02d}"
        yield {**row, "name": name}


def _movement_rows(rng: random.Random, count: int, products: int, orders: int, now: datetime):
    """Over the last 14 months in id order (as the app writes them), mostly out and in, a
    few adjustments; a third of the outs name an order."""
    span = int(timedelta(days=426).total_seconds())
    dates = sorted(now - timedelta(seconds=rng.randrange(span)) for _ in range(count))
    kinds = [stock_rules.IN] * 4 + [stock_rules.OUT] * 5 + [stock_rules.ADJUST]
    for i, at in enumerate(dates, start=1):
        kind = rng.choice(kinds)
        order_id = rng.randint(1, orders) if orders and kind == stock_rules.OUT \
            and rng.random() < 0.33 else None
        yield {"id": i, "product_id": rng.randint(1, products), "kind": kind,
               "quantity": Decimal(rng.randint(1, 50)),
               "balance_after": Decimal(rng.randint(0, 500)),
               "reason": f"Pedido {order_id}" if order_id else rng.choice(
                   ("Compra", "Inventário", "Devolução", None)),
               "order_id": order_id, "author_id": None, "created_at": at, "updated_at": at}


def _audit_rows(rng: random.Random, count: int, products: int, now: datetime):
    """Price and stock edits of products (and a few creations), as audit.py records them."""
    span = int(timedelta(days=426).total_seconds())
    dates = sorted(now - timedelta(seconds=rng.randrange(span)) for _ in range(count))
    for i, at in enumerate(dates, start=1):
        old, new = _money(rng, 10, 2000), _money(rng, 10, 2000)
        if rng.random() < 0.9:
            action, changes = "update", {"price": {"old": str(old), "new": str(new)}}
        else:
            action, changes = "create", {"price": {"old": None, "new": str(new)}}
        yield {"id": i, "created_at": at, "user_id": None,
               "actor": f"usuario{rng.randint(1, 20)}@exemplo.com.br", "action": action,
               "entity": "Product", "object_id": str(rng.randint(1, products)),
               "changes": changes}


class _CopyLoader(_Loader):
    """PostgreSQL: COPY ... FROM STDIN through psycopg, in the same transaction per table."""

    def load(self, table, rows) -> None:
        started = time.perf_counter()
        rows = iter(rows)
        first = next(rows, None)
        count = 0
        with self.conn.begin():
            if first is not None:
                columns = list(first)
                names = ", ".join(f'"{c}"' for c in columns)
                cursor = self.conn.connection.dbapi_connection.cursor()
                with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                    for row in itertools.chain([first], rows):
                        copy.write_row([json.dumps(v) if isinstance(v, (dict, list)) else v
                                        for v in row.values()])
                        count += 1
        seconds = time.perf_counter() - started
        self.counts[table.name] = (count, seconds)
        print(f"  {table.name:<18} {count:>9,} rows in {seconds:6.1f} s "
              f"({count / max(seconds, 1e-9):>9,.0f} rows/s, COPY)", flush=True)


@contextlib.contextmanager
def _fast_sqlite(conn):
    """On SQLite, no rollback journal and no fsync while loading (a crash only loses a
    bench database); the connection goes back to the app's pool afterwards, so the safe
    settings are restored on the way out."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.exec_driver_sql("PRAGMA journal_mode=OFF")
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.commit()  # ends SQLAlchemy's autobegun transaction; each table opens its own
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        if sqlite:
            conn.exec_driver_sql("PRAGMA synchronous=FULL")
            conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
            conn.commit()


def generate(engine: Engine, orders: int = 200_000, items_per_order: int = 5,
             products: int = 100_000, customers: int = 50_000, entries: int = 200_000,
             seed: int = 1, movements: int = 0, audit: int = 0, varied_names: bool = False,
             copy: bool = False) -> dict[str, int]:
    """Fill the (migrated, empty) database behind `engine`; return the row count per table.
    `movements`, `audit`, `varied_names` and `copy`: see the module docstring.

    Ids are given explicitly so children can reference parents without reading them back;
    on PostgreSQL the id sequences are moved past them afterwards and the tables are
    VACUUM ANALYZEd (what autovacuum would soon do), so plans match a live database.
    """
    if orders > 999_999:
        raise ValueError("order numbers are YYYY-NNNNNN: at most 999,999 orders per year")
    rng = random.Random(seed)
    today = date.today()
    now = datetime.now().replace(microsecond=0)
    stamps = {"created_at": now, "updated_at": now, "version": 1}
    print(f"Generating on {engine.dialect.name}: {customers:,} customers, {products:,} "
          f"products, {orders:,} orders x ~{items_per_order} items, {entries:,} entries",
          flush=True)
    started = time.perf_counter()
    with engine.connect() as conn, _fast_sqlite(conn):
        loader = (_CopyLoader if copy and engine.dialect.name == "postgresql" else _Loader)(conn)
        loader.load(Category.__table__, _category_rows(stamps))
        loader.load(Supplier.__table__, _supplier_rows(rng, stamps))
        loader.load(Customer.__table__, _customer_rows(rng, customers, stamps))
        prices = [_money(rng, 10, 2000) for _ in range(products)]
        product_rows = _product_rows(rng, prices, stamps)
        if varied_names:
            product_rows = _with_varied_names(product_rows, seed, products)
        loader.load(Product.__table__, product_rows)
        totals = _items_totals(rng, orders, customers, now, items_per_order, prices)
        loader.load(Order.__table__,
                    _with_items_totals(_order_rows(rng, orders, customers, now), totals))
        loader.load(OrderItem.__table__, _item_rows(rng, orders, items_per_order, prices))
        loader.load(FinancialEntry.__table__,
                    _entry_rows(rng, entries, customers, today, stamps))
        if movements:
            loader.load(StockMovement.__table__,
                        _movement_rows(rng, movements, products, orders, now))
        if audit:
            loader.load(AuditEntry.__table__, _audit_rows(rng, audit, products, now))

    if engine.dialect.name == "postgresql":
        _postgres_after_load(engine, list(loader.counts))
    total = sum(count for count, _ in loader.counts.values())
    seconds = time.perf_counter() - started
    note = ", including VACUUM ANALYZE" if engine.dialect.name == "postgresql" else ""
    print(f"  {'total':<18} {total:>9,} rows in {seconds:6.1f} s "
          f"({total / seconds:>9,.0f} rows/s{note})", flush=True)
    return {name: count for name, (count, _) in loader.counts.items()}


def _postgres_after_load(engine: Engine, tables: list[str]) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in tables:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                              f"(SELECT max(id) FROM \"{name}\"))"))
            conn.exec_driver_sql(f'VACUUM ANALYZE "{name}"')


@contextlib.contextmanager
def fresh_database(kind: str, admin_url: str, keep: bool = False):
    """Yield the URL of a new empty database of `kind` ("sqlite" or "postgresql").

    `admin_url` is a PostgreSQL URL with rights to CREATE/DROP DATABASE. Unless `keep`,
    the database (or the SQLite file's folder) is removed on exit; with `keep` its URL is
    printed so it can be explored afterwards.
    """
    import psycopg

    def admin(sql: str) -> None:
        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as conn:
            conn.execute(sql)

    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="gestao-bench-"))
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        name = f"gestao_bench_{uuid.uuid4().hex[:10]}"
        admin(f'CREATE DATABASE "{name}"')
        url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        if keep:
            print(f"kept: {url}")
        elif kind == "sqlite":
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
        else:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
