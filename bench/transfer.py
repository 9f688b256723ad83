"""Import and export speed and memory, ours against a naive baseline (`python -m bench transfer`).

Importing and exporting spreadsheets must stay usable at business sizes: a 100,000-line
import previewed and applied in reasonable time and memory, a million-product export that
starts at once and does not grow with the table. Each figure is compared with a naive
implementation measured in the same run, on SQLite and on PostgreSQL:

1. Import (customers and products, `--sizes` lines, default 10,000 and 100,000). The file
   is what a Brazilian user's Excel writes: `;` between cells, UTF-8, the Portuguese headers
   of the app's export, CPFs with valid check digits (`admin_app.demo.random_cpf`), prices
   like `1.234,56`, `Sim`/`Não`; products name an existing category and a supplier by CNPJ
   (a few empty). Every measurement gets a fresh migrated database (for products: with the
   40 categories and 500 suppliers of bench/dataset.py) and its own subprocess, so the peak
   memory reported (VmHWM, see `peak_mb`) is that import's alone.
   - ours: `transfer.plan.preview` (reads and classifies every line through the screen's
     form, writes nothing), then `transfer.apply.apply` (one transaction, audit trail and
     business rules included), each timed alone; recording the run between them is not.
   - naive, like django-import-export without its optimisations: `csv.DictReader`, and per
     row one ORM query for the record by its natural key (CPF digits, SKU), one for the
     category by name and one for the supplier by CNPJ (products), values converted by
     hand, the object created or updated and added to the session; the dry run (its
     "preview") rolls back at the end, the apply commits once. The same session listeners
     (audit trail, rules) run for both.
2. Export of all products (`--export-rows`, default 1,000,000; one database per kind,
   filled once by bench/dataset.py), CSV and XLSX, each in its own subprocess killed after
   `--timeout` seconds (reported as "timeout"):
   - ours: what `manage.py export product` does: `view._export_data()` (rows read in
     batches) into `transfer.export.csv_chunks` or `write_xlsx` (XlsxWriter, constant memory);
     total time, time to the first chunk holding rows (CSV; the header chunk is written
     before any query), and the process's peak memory before exporting and after;
   - naive: `select(Product)` `.all()`, then `csv.writer` with `str()` of each exported
     column (category and supplier by `str()`), or an ordinary openpyxl `Workbook` with
     `ws.append` per row, saved at the end.

Prints two Markdown tables and writes them to bench/results/transfer.md. `--quick` (1,000
lines and 20,000 products) takes about a minute per database.

    python -m bench transfer [--db sqlite|postgresql|both] [--sizes 10000,100000]
                             [--export-rows N] [--timeout S] [--quick] [--seed N] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from bench.migrations_page import PG_ADMIN_URL, postgres_available

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "transfer.md"
MAX_ROWS, MAX_MB = 1_000_000, 500          # the import's limits, far above the files here
UFS = ("SP", "RJ", "MG", "PR", "RS", "BA", "SC", "PE")
CITIES = ("São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Porto Alegre",
          "Salvador", "Florianópolis", "Recife")
UNITS = ("UN", "KG", "L", "CX", "M")
CUSTOMER_HEADER = ("CPF/CNPJ", "Nome", "E-mail", "Telefone", "Cidade", "UF", "Ativo")
PRODUCT_HEADER = ("SKU", "Nome", "Categoria", "Fornecedor", "Unidade", "Preço", "Custo",
                  "Estoque mínimo", "Ativo")
ENTITIES = ("customer", "product")
QUICK_SIZES, QUICK_EXPORT_ROWS = [1000], 20_000


# -- the files to import ---------------------------------------------------------------------
def brl(amount: Decimal) -> str:
    """1234.5 -> `1.234,50`, as Brazilian Excel writes money."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def unique_cpfs(count: int, seed: int) -> list[str]:
    from admin_app.demo import random_cpf

    rng, seen = random.Random(seed), {}
    while len(seen) < count:
        seen.setdefault(random_cpf(rng), None)
    return list(seen)


def as_csv(header, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def customers_csv(cpfs: list[str], seed: int) -> bytes:
    rng = random.Random(seed)
    return as_csv(CUSTOMER_HEADER, (
        (cpf, f"Cliente {i:07d}", f"cliente{i}@exemplo.com.br",
         f"(11) 9{rng.randrange(10 ** 8):08d}", rng.choice(CITIES), rng.choice(UFS),
         "Sim" if rng.random() < 0.9 else "Não")
        for i, cpf in enumerate(cpfs, 1)))


def products_csv(count: int, categories: list[str], suppliers: list[str], seed: int) -> bytes:
    rng = random.Random(seed)

    def row(i):
        price = Decimal(rng.randint(100, 250_000)) / 100
        return (f"IMP-{i:08d}", f"Produto importado {i:07d}", rng.choice(categories),
                rng.choice(suppliers) if rng.random() < 0.9 else "", rng.choice(UNITS),
                brl(price), brl(price * Decimal("0.6")), str(rng.randint(0, 50)),
                "Sim" if rng.random() < 0.95 else "Não")
    return as_csv(PRODUCT_HEADER, (row(i) for i in range(1, count + 1)))


# -- the app ----------------------------------------------------------------------------------
def build_app(url: str):
    from admin_app import create_app
    from admin_app.config import normalise_database_url

    return create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                       "SECRET_KEY": os.environ["SECRET_KEY"],
                       "SECURITY_PASSWORD_SALT": os.environ["SECURITY_PASSWORD_SALT"]})


def screen(app, endpoint: str):
    return next(v for v in app.extensions["gestao_admin"]._views if v.endpoint == endpoint)


def peak_mb() -> int:
    """This process's peak resident memory so far, in MB: VmHWM of /proc/self/status.
    Not `ru_maxrss`: Linux carries it over from the parent through fork and exec, so a
    child spawned by a 300 MB parent reports at least 300 MB whatever it does (measured:
    ru_maxrss 311 MB, VmHWM 11 MB for a bare `python -c`). ru_maxrss only without /proc."""
    try:
        with open("/proc/self/status") as status:
            kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb // 1024


@contextlib.contextmanager
def migrated_database(kind: str, keep: bool, **fill):
    """A fresh migrated database; `fill` goes to dataset.generate (its progress hidden
    unless the load is big). Yields (url, category names, supplier CNPJs)."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from admin_app.extensions import db
    from admin_app.models import Category, Supplier

    from .dataset import fresh_database, generate

    with fresh_database(kind, PG_ADMIN_URL, keep=keep) as url:
        app = build_app(url)
        with app.app_context():
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines
                upgrade()
            if fill:
                quiet = fill.get("products", 0) < 100_000
                with contextlib.redirect_stdout(io.StringIO()) if quiet \
                        else contextlib.nullcontext():
                    generate(db.engine, **fill)
            categories = sorted(db.session.scalars(select(Category.name)))
            suppliers = sorted(db.session.scalars(select(Supplier.cnpj)))
            db.session.remove()
            db.engine.dispose()  # the children connect on their own; DROP needs none left
        yield url, categories, suppliers


# -- what runs in the subprocesses ------------------------------------------------------------
def child_import_ours(url: str, entity: str, path: str) -> dict:
    from admin_app.extensions import db
    from admin_app.transfer import apply as applying
    from admin_app.transfer import plan as planning

    app = build_app(url)
    view = screen(app, entity)
    data = Path(path).read_bytes()
    base = peak_mb()
    with app.test_request_context(view.url + "/"):
        started = time.perf_counter()
        plan = planning.preview(view, Path(path).name, data, MAX_ROWS, MAX_MB)
        preview = time.perf_counter() - started
        assert plan.ok, plan.error_messages()[:5]
        started = time.perf_counter()
        run = applying.record_preview(plan, None, "bench")
        db.session.commit()
        record = time.perf_counter() - started
        started = time.perf_counter()
        applying.apply(view, plan, run, None, "bench")
        apply = time.perf_counter() - started
        lines = len(plan.lines)
    return {"lines": lines, "preview": preview, "record": record, "apply": apply,
            "base_mb": base, "peak_mb": peak_mb()}


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", ".")) if text else Decimal(0)


def _naive_customer(session, row) -> None:
    from sqlalchemy import select

    from admin_app.models import Customer

    digits = _digits(row["CPF/CNPJ"])
    customer = session.scalars(select(Customer).where(Customer.document == digits)).first()
    if customer is None:
        customer = Customer(document=digits)
    customer.name = row["Nome"]
    customer.email = row["E-mail"] or None
    customer.phone = row["Telefone"] or None
    customer.city = row["Cidade"] or None
    customer.state = row["UF"] or None
    customer.active = row["Ativo"] == "Sim"
    session.add(customer)


def _naive_product(session, row) -> None:
    from sqlalchemy import select

    from admin_app.models import Category, Product, Supplier

    sku = row["SKU"].strip()
    product = session.scalars(select(Product).where(Product.sku == sku)).first()
    if product is None:
        product = Product(sku=sku)
    product.name = row["Nome"]
    product.category = session.scalars(
        select(Category).where(Category.name == row["Categoria"])).first()
    cnpj = _digits(row["Fornecedor"])
    product.supplier = session.scalars(
        select(Supplier).where(Supplier.cnpj == cnpj)).first() if cnpj else None
    product.unit = row["Unidade"]
    product.price = _decimal(row["Preço"])
    product.cost = _decimal(row["Custo"])
    product.min_stock = _decimal(row["Estoque mínimo"])
    product.active = row["Ativo"] == "Sim"
    session.add(product)


def _naive_pass(entity: str, data: bytes, commit: bool) -> int:
    from admin_app.extensions import db

    write = _naive_customer if entity == "customer" else _naive_product
    count = 0
    for row in csv.DictReader(io.StringIO(data.decode("utf-8")), delimiter=";"):
        write(db.session, row)
        count += 1
    db.session.commit() if commit else db.session.rollback()
    return count


def child_import_naive(url: str, entity: str, path: str) -> dict:
    app = build_app(url)
    view = screen(app, entity)
    data = Path(path).read_bytes()
    base = peak_mb()
    with app.test_request_context(view.url + "/"):
        started = time.perf_counter()
        lines = _naive_pass(entity, data, commit=False)   # the dry run
        preview = time.perf_counter() - started
        started = time.perf_counter()
        _naive_pass(entity, data, commit=True)
        apply = time.perf_counter() - started
    return {"lines": lines, "preview": preview, "apply": apply, "base_mb": base,
            "peak_mb": peak_mb()}


def child_export_ours(url: str, file_format: str, path: str) -> dict:
    from admin_app.transfer import export

    app = build_app(url)
    view = screen(app, "product")
    base = peak_mb()
    first = None
    with app.test_request_context(view.url + "/", query_string={"lang": "pt_BR"}):
        started = time.perf_counter()
        _count, rows = view._export_data()
        rows = export.Counted(rows)
        if file_format == "csv":
            with open(path, "w", encoding="utf-8", newline="") as out:
                for chunk in export.csv_chunks(view, rows):
                    if first is None and rows.count:
                        first = time.perf_counter() - started
                    out.write(chunk)
        else:
            export.write_xlsx(view, rows, path)
        seconds = time.perf_counter() - started
    return {"rows": rows.count, "seconds": seconds, "first": first, "base_mb": base,
            "peak_mb": peak_mb()}


def _naive_values(product) -> list:
    return [product.sku, product.name, str(product.category),
            str(product.supplier) if product.supplier else "", product.unit, product.price,
            product.stock, product.min_stock, product.active]


def child_export_naive(url: str, file_format: str, path: str) -> dict:
    from sqlalchemy import select

    from admin_app.extensions import db
    from admin_app.models import Product
    from admin_app.transfer import export

    app = build_app(url)
    view = screen(app, "product")
    base = peak_mb()
    with app.test_request_context(view.url + "/", query_string={"lang": "pt_BR"}):
        started = time.perf_counter()
        header = export.headers(view)
        products = db.session.scalars(select(Product)).all()
        if file_format == "csv":
            with open(path, "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out, delimiter=";")
                writer.writerow(header)
                for product in products:
                    writer.writerow([str(v) for v in _naive_values(product)])
        else:
            from openpyxl import Workbook

            book = Workbook()
            sheet = book.active
            sheet.append(header)
            for product in products:
                sheet.append(_naive_values(product))
            book.save(path)
        seconds = time.perf_counter() - started
    return {"rows": len(products), "seconds": seconds, "base_mb": base,
            "peak_mb": peak_mb()}


CHILDREN = {"import-ours": child_import_ours, "import-naive": child_import_naive,
            "export-ours": child_export_ours, "export-naive": child_export_naive}
RESULT_MARK = "BENCH-RESULT "


def run_child(task: str, timeout: float, **params) -> dict | None:
    """`task` in a new `python -m bench transfer --child` process; its result, or None if
    it ran past `timeout` seconds (it is killed)."""
    command = [sys.executable, "-m", "bench", "transfer", "--child",
               json.dumps({"task": task, **params})]
    try:
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    results = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not results:
        raise RuntimeError(f"{task} {params} failed (exit {done.returncode}):\n"
                           + done.stdout[-3000:])
    return json.loads(results[-1].removeprefix(RESULT_MARK))


def child_main(spec: str) -> int:
    params = json.loads(spec)
    result = CHILDREN[params.pop("task")](**params)
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


# -- the measurements --------------------------------------------------------------------------
def measure_imports(kind: str, args, folder: Path, cpfs: list[str]) -> list[dict]:
    rows = []
    for entity in ENTITIES:
        for size in args.sizes:
            row = {"kind": kind, "entity": entity, "lines": size}
            for side in ("ours", "naive"):
                fill = {} if entity == "customer" else dict(
                    orders=0, products=0, customers=0, entries=0, seed=args.seed)
                with migrated_database(kind, args.keep, **fill) as (url, categories,
                                                                    suppliers):
                    path = folder / f"{entity}-{size}.csv"
                    data = customers_csv(cpfs[:size], args.seed) if entity == "customer" \
                        else products_csv(size, categories, suppliers, args.seed)
                    path.write_bytes(data)
                    row[side] = run_child(f"import-{side}", args.timeout, url=url,
                                          entity=entity, path=str(path))
                    row["mb"] = len(data) / 2 ** 20
                print(f"  {kind} {entity} {size:,} lines, {side}: {describe_import(row[side])}",
                      flush=True)
            rows.append(row)
    return rows


def describe_import(result: dict | None) -> str:
    if result is None:
        return "timeout"
    return (f"preview {result['preview']:.1f} s, apply {result['apply']:.1f} s, "
            f"peak {result['peak_mb']} MB")


def measure_exports(kind: str, args, folder: Path) -> list[dict]:
    rows = []
    fill = dict(products=args.export_rows, orders=0, customers=0, entries=0,
                seed=args.seed, copy=True)
    with migrated_database(kind, args.keep, **fill) as (url, _categories, _suppliers):
        for file_format in ("csv", "xlsx"):
            row = {"kind": kind, "format": file_format, "rows": args.export_rows}
            for side in ("ours", "naive"):
                path = folder / f"export-{side}.{file_format}"
                row[side] = run_child(f"export-{side}", args.timeout, url=url,
                                      file_format=file_format, path=str(path))
                path.unlink(missing_ok=True)
                print(f"  {kind} export {file_format} {args.export_rows:,} rows, {side}: "
                      f"{describe_export(row[side])}", flush=True)
            rows.append(row)
    return rows


def describe_export(result: dict | None) -> str:
    if result is None:
        return "timeout"
    return (f"{result['rows']:,} rows in {result['seconds']:.1f} s, "
            f"{result['base_mb']} -> {result['peak_mb']} MB")


# -- the report --------------------------------------------------------------------------------
def rate(result: dict | None, phase: str) -> str:
    if result is None:
        return "timeout"
    return f"{result['lines'] / max(result[phase], 1e-9):,.0f}"


def peak(result: dict | None) -> str:
    return "timeout" if result is None else f"{result['peak_mb']}"


def render_imports(rows: list[dict], timeout: float) -> str:
    lines = ["### Import (rows/s; peak MB of the process that did it)", "",
             "| database | entity | lines | ours preview rows/s | ours apply rows/s | "
             "ours peak MB | naive preview rows/s | naive apply rows/s | naive peak MB |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        ours, naive = r["ours"], r["naive"]
        lines.append(f"| {r['kind']} | {r['entity']} | {r['lines']:,} | {rate(ours, 'preview')} "
                     f"| {rate(ours, 'apply')} | {peak(ours)} | {rate(naive, 'preview')} | "
                     f"{rate(naive, 'apply')} | {peak(naive)} |")
    done = [side for r in rows for side in (r["ours"], r["naive"]) if side]
    sizes = ", ".join(f"{r['entity']} {r['lines']:,} lines {r['mb']:.1f} MB"
                      for r in rows if r["kind"] == rows[0]["kind"])
    lines += ["", f"Files: {sizes}."]
    if done:
        low, high = min(d["base_mb"] for d in done), max(d["base_mb"] for d in done)
        lines[-1] += (f" Each process's memory after creating the app and reading the file: "
                      f"{low if low == high else f'{low}–{high}'} MB. "
                      "Recording the import's run between preview and apply (in neither "
                      f"figure): at most {max(d.get('record', 0) for d in done):.2f} s.")
    lines[-1] += f" Each process was given {timeout:g} s."
    return "\n".join(lines) + "\n"


def render_exports(rows: list[dict], timeout: float) -> str:
    def seconds(result):
        return "timeout" if result is None else f"{result['seconds']:.1f}"

    def first(result):
        return "timeout" if result is None or result.get("first") is None \
            else f"{result['first'] * 1000:.0f}"

    def memory(result):
        return "timeout" if result is None else f"{result['base_mb']} → {result['peak_mb']}"

    lines = ["### Export of all products", "",
             "| database | format | rows | ours seconds | ours first chunk ms | "
             "ours peak MB (before → peak) | naive seconds | naive peak MB (before → peak) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        ours, naive = r["ours"], r["naive"]
        lines.append(f"| {r['kind']} | {r['format']} | {r['rows']:,} | {seconds(ours)} | "
                     f"{first(ours) if r['format'] == 'csv' else '—'} | {memory(ours)} | "
                     f"{seconds(naive)} | {memory(naive)} |")
    wrong = [f"{r['kind']} {r['format']} {side}: {r[side]['rows']:,} rows"
             for r in rows for side in ("ours", "naive")
             if r[side] and r[side]["rows"] != r["rows"]]
    lines += ["", "First chunk: the first chunk holding rows (the header chunk is written "
              "before any query). Before: the process's peak after creating the app. "
              f"Each process was given {timeout:g} s."]
    if wrong:
        lines.append("Row counts that differ from the table: " + "; ".join(wrong) + ".")
    return "\n".join(lines) + "\n"


def sizes_list(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench transfer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sizes", type=sizes_list, default=[10_000, 100_000],
                        help="lines of the imported files, comma-separated")
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds each measuring subprocess may take")
    parser.add_argument("--quick", action="store_true",
                        help=f"imports of {QUICK_SIZES[0]:,} lines, export of "
                             f"{QUICK_EXPORT_ROWS:,} products")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated databases (their URLs are printed)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child)
    if args.quick:
        args.sizes, args.export_rows = QUICK_SIZES, QUICK_EXPORT_ROWS

    # Set before any app is built (so nothing writes development secrets into instance/);
    # the subprocesses inherit them.
    os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)
    os.environ.setdefault("SECURITY_PASSWORD_SALT", "bench-salt-" + uuid.uuid4().hex)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in kinds and not postgres_available():
        if args.db == "postgresql":
            print(f"PostgreSQL unreachable at {PG_ADMIN_URL}")
            return 1
        print(f"PostgreSQL unreachable at {PG_ADMIN_URL}: measuring SQLite only")
        kinds.remove("postgresql")

    started = time.perf_counter()
    print(f"Generating {max(args.sizes):,} CPFs...", flush=True)
    cpfs = unique_cpfs(max(args.sizes), args.seed)
    imports, exports = [], []
    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as folder:
        for kind in kinds:
            print(f"Imports on {kind}...", flush=True)
            imports += measure_imports(kind, args, Path(folder), cpfs)
            print(f"Exports on {kind}...", flush=True)
            exports += measure_exports(kind, args, Path(folder))
    report = (f"## Import and export, ours against a naive baseline "
              f"({datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs, whole run "
              f"{(time.perf_counter() - started) / 60:.1f} min; "
              f"`{' '.join(['python -m bench transfer', *argv])}`)\n\n"
              + render_imports(imports, args.timeout) + "\n"
              + render_exports(exports, args.timeout))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print("\n" + report)
    print(f"written to {RESULTS}")
    return 0
