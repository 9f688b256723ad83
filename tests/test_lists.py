"""The generated lists on growing tables: queries per page that do not grow with the page
size or the row count, no page that loads a whole big table, keyset pages that cover every
row once, counts that say when they are estimates, indexed search kept in sync by the
database, an index for every sortable and filterable column, and a streaming export.
Nothing here is timed: the speed itself is measured by `python -m bench lists`."""

import csv
import io
import re
from collections import Counter
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import event, inspect, text

from admin_app.admin import listing
from admin_app.admin.base import GestaoModelView
from admin_app.extensions import db
from admin_app.models import (AuditEntry, Category, Customer, FinancialEntry, Order,
                              OrderItem, Product, StockMovement)
from admin_app.search import SEARCH_COLUMNS
from tests.factories import (AuditEntryFactory, CategoryFactory, CustomerFactory,
                             FinancialEntryFactory, OrderFactory, OrderItemFactory,
                             ProductFactory, StockMovementFactory)

BIG_MODELS = (Product, Customer, Order, OrderItem, StockMovement, FinancialEntry, AuditEntry)
NEXT_RE = re.compile(r'rel="next" href="([^"]+)"')
PREV_RE = re.compile(r'rel="prev" href="([^"]+)"')
LAST_RE = re.compile(r'rel="last" href="([^"]+)"')


def views(app) -> list[GestaoModelView]:
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, GestaoModelView)]


def grow(rows: int) -> None:
    """`rows` more rows in every big table, with their relations."""
    category = CategoryFactory()
    customer = CustomerFactory()
    for _ in range(rows):
        product = ProductFactory(category=category)
        order = OrderFactory(customer=CustomerFactory())
        OrderItemFactory(order=order, product=product)
        StockMovementFactory(product=product)
        FinancialEntryFactory(customer=customer, order=order)
        AuditEntryFactory()


class Watch:
    """SQL statements run and ORM rows loaded while the block runs."""

    def __enter__(self):
        self.statements, self.loaded = [], Counter()
        event.listen(db.engine, "before_cursor_execute", self._statement)
        event.listen(db.Model, "load", self._load, propagate=True)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._statement)
        event.remove(db.Model, "load", self._load)

    def _statement(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    def _load(self, target, context):
        self.loaded[type(target).__name__] += 1


def list_page(client, url: str) -> tuple[str, Watch]:
    with Watch() as watch:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True), watch


def test_queries_per_list_page_do_not_grow(app, admin_client):
    grow(8)
    small = {}
    for view in views(app):
        url = f"/admin/{view.endpoint}/?page_size=20"
        small[view.endpoint] = len(list_page(admin_client, url)[1].statements)
    grow(25)
    for view in views(app):
        for size in (20, 50, 100):
            url = f"/admin/{view.endpoint}/?page_size={size}"
            statements = list_page(admin_client, url)[1].statements
            assert len(statements) == small[view.endpoint], (url, statements)
            # the audit trail names the records its changes point to: one more query per
            # kind of record referenced on the page (tests/test_lists.py::Watch), not per row
            # the users list reads the page's sign-in locks (one query for the page)
            extra = {"auditentry": 3, "user": 1}.get(view.endpoint, 0)
            # plus one per request for every page: the server-side session check; and one
            # per list page: the user's settings of the list and its saved views
            assert len(statements) <= 5 + 1 + 1 + extra, (url, statements)


def test_no_list_or_form_loads_a_whole_big_table(app, admin_client):
    grow(45)  # more rows than a page (20, the smallest size offered)
    order = db.session.scalars(db.select(Order)).first()
    entry = db.session.scalars(db.select(FinancialEntry)).first()
    product = db.session.scalars(db.select(Product)).first()
    urls = [f"/admin/{view.endpoint}/" for view in views(app)]
    urls += [f"/admin/{view.endpoint}/new/" for view in views(app) if "create" in view.writes]
    urls += [f"/admin/order/edit/?id={order.id}", f"/admin/financialentry/edit/?id={entry.id}",
             f"/admin/product/edit/?id={product.id}"]
    for url in urls:
        _html, watch = list_page(admin_client, url)
        for model in BIG_MODELS:
            assert watch.loaded[model.__name__] <= 25, (url, watch.loaded)


def follow(client, url: str, pattern) -> list[str]:
    """The product names on each page reached by following `pattern` links."""
    names = []
    while url:
        page, _watch = list_page(client, url)
        names += re.findall(r'<td class="col-name"[^>]*>\s*(.*?)\s*</td>', page, re.S)
        found = pattern.search(page)
        url = unescape(found[1]) if found else None
    return names


def test_keyset_pages_cover_every_row_once(app, admin_client):
    category = CategoryFactory()
    for n in range(97):  # equal prices: the id decides among ties
        ProductFactory(category=category, name=f"Item {n % 9}", price=Decimal(n % 3))
    expected = [p.name for p in db.session.scalars(
        db.select(Product).order_by(Product.name, Product.id))]
    names = follow(admin_client, "/admin/product/?page_size=20", NEXT_RE)
    assert names == expected
    page, _ = list_page(admin_client, "/admin/product/?page_size=20")
    assert "Página 1 de 5" in page
    # backwards from the last page reaches the first, in order
    last = unescape(LAST_RE.search(page)[1])
    backwards = follow(admin_client, last, PREV_RE)
    assert len(backwards) == 97 and sorted(backwards) == sorted(expected)
    # sorted by price, descending, through the list's own sort link
    sort_link = re.search(r'href="([^"]*sort=\d+[^"]*)"[^>]*>\s*Preço', page)
    url = unescape(sort_link[1]) + "&desc=1&page_size=20"
    by_price = follow(admin_client, url, NEXT_RE)
    assert by_price == [p.name for p in db.session.scalars(
        db.select(Product).order_by(Product.price.desc(), Product.id.desc()))]


@pytest.mark.parametrize("descending", [False, True])
def test_sorting_by_a_related_column_pages_through_every_row(app, admin_client, descending):
    """Sorted by a related record's name (PostgreSQL reads it parent by parent): every
    page in order, also when only some rows match."""
    categories = [CategoryFactory(name=name) for name in ("Bravo", "Alfa", "Charlie")]
    for n in range(47):
        ProductFactory(category=categories[1 if n % 6 else n % 3],  # Alfa: 39 of 47
                       name=f"Peça {'verde' if n % 4 else 'azul'} {n:02d}")
    customers = [CustomerFactory(name=name) for name in ("Zeta", "Beta", "Ômega", "Beta")]
    for n in range(23):
        OrderFactory(customer=customers[n % 4])
    cases = [
        ("product", "Categoria", "", "name", db.select(Product.name).join(Product.category)
         .order_by(*_directed(descending, Category.name, Product.id))),
        ("product", "Categoria", "&search=verde", "name",
         db.select(Product.name).join(Product.category).where(Product.name.contains("verde"))
         .order_by(*_directed(descending, Category.name, Product.id))),
        ("order", "Cliente", "", "number", db.select(Order.number).join(Order.customer)
         .order_by(*_directed(descending, Customer.name, Order.id))),
    ]
    for endpoint, header, extra, column, expected in cases:
        page, _ = list_page(admin_client, f"/admin/{endpoint}/")
        link = unescape(re.search(rf'href="([^"]*sort=\d+[^"]*)"[^>]*>\s*{header}', page)[1])
        shown, expected = [], list(db.session.scalars(expected))
        for number in range(-(-len(expected) // 20)):
            url = f"{link}{'&desc=1' if descending else ''}{extra}&page_size=20&page={number}"
            shown += re.findall(rf'<td class="col-{column}"[^>]*>\s*(.*?)\s*</td>',
                                list_page(admin_client, url)[0], re.S)
        assert shown == expected, (endpoint, extra)


def _directed(descending: bool, *columns):
    return [c.desc() for c in columns] if descending else list(columns)


def test_a_broken_cursor_shows_the_first_page(app, admin_client):
    ProductFactory(name="Único")
    for cursor in ("xyz", "W10", "WyJhIiwxLDJd", "%00"):
        page, _ = list_page(admin_client, f"/admin/product/?after={cursor}")
        assert "Único" in page


def test_counts_say_when_they_are_not_exact(app, admin_client, monkeypatch):
    category = CategoryFactory()
    for n in range(25):
        ProductFactory(category=category, name=f"Peça {'verde' if n < 11 else 'azul'} {n}")
    page, _ = list_page(admin_client, "/admin/product/?search=Peça")
    assert "Listar (25)" in page
    monkeypatch.setattr(listing, "COUNT_LIMITS", {"postgresql": 5, "sqlite": 5})
    page, _ = list_page(admin_client, "/admin/product/?search=Peça")
    if db.engine.dialect.name == "postgresql":
        assert re.search(r"Listar \(cerca de \d+\)", page)
    else:
        assert "Listar (mais de 5)" in page
    # above ESTIMATE_ABOVE an unfiltered list shows the table's statistics, on both databases
    monkeypatch.setattr(listing, "ESTIMATE_ABOVE", 5)
    db.session.execute(text("ANALYZE products"))
    db.session.commit()
    page, _ = list_page(admin_client, "/admin/product/")
    assert re.search(r"Listar \(cerca de \d+\)", page)
    assert "Página 1 de cerca de" in page
    # when one page holds every match, the count is exact whatever the estimate said
    page, _ = list_page(admin_client, "/admin/product/?search=verde")
    assert "Listar (11)" in page


def test_a_stale_sqlite_estimate_never_exceeds_the_id_range(app, admin_client, monkeypatch):
    """Old rows purged since the last ANALYZE: the estimate must not show them."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's statistics")
    products = [ProductFactory(name=f"Peça {n}") for n in range(30)]
    db.session.execute(text("ANALYZE products"))
    db.session.commit()
    monkeypatch.setattr(listing, "ESTIMATE_ABOVE", 10)
    page, _ = list_page(admin_client, "/admin/product/")
    assert "Listar (cerca de 30)" in page
    for product in products[:26]:
        db.session.delete(product)
    db.session.commit()
    page, _ = list_page(admin_client, "/admin/product/")
    assert "Listar (4)" in page


def search(client, endpoint: str, term: str) -> str:
    from urllib.parse import quote

    return list_page(client, f"/admin/{endpoint}/?search={quote(term)}")[0]


def test_search_finds_substrings_and_follows_every_change(app, admin_client):
    product = ProductFactory(name="Parafuso sextavado inox", sku="PX-9931")
    ProductFactory(name="Arruela lisa")
    assert "Parafuso sextavado" in search(admin_client, "product", "xtava")
    assert "Parafuso sextavado" in search(admin_client, "product", "X-99")
    assert "Parafuso sextavado" in search(admin_client, "product", "TAVADO INOX")
    assert "Arruela" not in search(admin_client, "product", "xtava")
    assert "Arruela" in search(admin_client, "product", "la")  # shorter than a trigram
    product.name = "Porca borboleta"
    db.session.commit()
    assert "Porca borboleta" not in search(admin_client, "product", "xtava")
    assert "Porca borboleta" in search(admin_client, "product", "borbo")
    db.session.delete(product)
    db.session.commit()
    assert "Porca borboleta" not in search(admin_client, "product", "borbo")
    for term in ('"', "50%", "a_b", "*", "{name}:x", "NEAR(a b)"):
        assert "Arruela" not in search(admin_client, "product", term)


def test_search_through_a_related_column(app, admin_client):
    OrderFactory(customer=CustomerFactory(name="Mercearia Bom Preço"))
    OrderFactory(customer=CustomerFactory(name="Padaria Central"))
    page = search(admin_client, "order", "cearia")
    assert "Mercearia" in page and "Padaria" not in page


def test_every_searched_column_has_a_substring_index(app):
    for view in views(app):
        for column, _path in view._search_fields or ():
            assert column.key in SEARCH_COLUMNS.get(column.table.name, ()), \
                (view.endpoint, column)
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        triggers = {row[0] for row in connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
        for table in SEARCH_COLUMNS:
            assert {f"search_{table}_ai", f"search_{table}_ad", f"search_{table}_au"} <= triggers
        plan = " ".join(str(row) for row in connection.execute(text(
            "EXPLAIN QUERY PLAN SELECT id FROM products WHERE id IN (SELECT rowid FROM "
            "search_products WHERE search_products MATCH '\"abc\"')")))
        assert "VIRTUAL TABLE INDEX" in plan
    else:
        indexes = {row[0] for row in connection.execute(
            text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'search_%'"))}
        for table, columns in SEARCH_COLUMNS.items():
            assert {f"search_{table}_{column}" for column in columns} <= indexes


def test_every_sortable_and_filterable_column_has_an_index(app):
    inspector = inspect(db.engine)
    leading = {}
    for table in db.metadata.tables:
        first = [ix["column_names"][0] for ix in inspector.get_indexes(table)]
        first += [uq["column_names"][0] for uq in inspector.get_unique_constraints(table)]
        first += inspector.get_pk_constraint(table)["constrained_columns"][:1]
        leading[table] = set(first)
    for view in views(app):
        columns = [c for c in view._sortable_columns.values() if not isinstance(c, list)]
        columns += [f.column for f in view._filters or () if hasattr(f, "column")]
        for attribute in columns:
            prop = getattr(attribute, "property", None)
            if prop is None or not hasattr(prop, "columns"):
                continue  # an expression (a status computed from dates): nothing to index
            column = prop.columns[0]
            if hasattr(column, "table") and column.table.name in leading:
                assert column.name in leading[column.table.name], (view.endpoint, column)


def test_export_streams_every_matching_row(app, admin_client):
    """Rows are read in batches while the file is written (constant memory is measured by
    the benchmark), as plain rows: no product is mapped to an object, and their category,
    the same on every row, is loaded once."""
    category = CategoryFactory()
    for n in range(120):
        ProductFactory(category=category, name=f"Exportado {n:03d}")
    ProductFactory(category=category, name="Outro")
    with Watch() as watch:
        response = admin_client.get("/admin/product/export/csv/?search=Exportado")
        body = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 121 and all("Exportado" in " ".join(r) for r in rows[1:])
    assert watch.loaded["Product"] == 0 and watch.loaded["Category"] == 1


@pytest.mark.parametrize("url", ["/admin/product/?page=3", "/admin/product/?last=1",
                                 "/admin/auditentry/?before=W1sxXV0", "/admin/user/?after=abc"])
def test_odd_page_requests_are_not_errors(app, admin_client, url):
    grow(3)
    list_page(admin_client, url)


@pytest.mark.parametrize("url", ["/admin/order/ajax/lookup/?name=orderitem-product&query={q}",
                                 "/admin/stockmovement/ajax/lookup/?name=product&query={q}"])
def test_pickers_search_through_the_index(app, admin_client, url):
    ProductFactory(name="Parafuso sextavado inox", sku="PX-9931")
    ProductFactory(name="Arruela lisa")
    with Watch() as watch:
        found = admin_client.get(url.format(q="xtavado ino")).get_json()
    assert [label for _id, label in found] == ["PX-9931 — Parafuso sextavado inox"]
    assert admin_client.get(url.format(q="li")).get_json()[0][1].endswith("Arruela lisa")
    if db.engine.dialect.name == "sqlite":
        assert any("search_products" in statement for statement in watch.statements)
    else:
        assert not any("CAST" in statement for statement in watch.statements)
