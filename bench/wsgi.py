"""The list benchmark's WSGI entry point: `gunicorn bench.wsgi:application` (bench only).

It serves the real app (`admin_app.create_app`, configured from the environment as in
production: DATABASE_URL, SECRET_KEY, SECURITY_PASSWORD_SALT) with three bench-only
additions, none of which exists in admin_app:

* every response carries `X-SQL-Queries`, the number of SQL statements the request sent
  (a `before_cursor_execute` listener counting per thread; a WSGI middleware resets the count
  when a request starts and reads it when the response starts, so a streamed body's later
  statements are not in it);
* `/_bench/worker` answers the worker's pid and, from /proc/self/status, its peak (VmHWM)
  and current (VmRSS) resident memory in kB;
* a second Flask-Admin at `/stock/` (endpoint prefix `stock_`, no login) with plain
  `flask_admin.contrib.sqla.ModelView`s of the same models: the same columns, search,
  filters, sorting, default sort, form fields, AJAX pickers and inline items as our screens
  (options copied here by hand from admin_app/admin/options/ as of issue 8), and nothing
  else: no custom count, no keyset pages, no formatters, no eager-loading choices of ours.
  It renders Flask-Admin's own templates, untouched: the app's templates/admin/ overrides
  (master.html, model/row_actions.html, ...) would otherwise apply to every view, so the
  stock views read Flask-Admin's bootstrap4 files under the prefix `stock/` (a Jinja loader
  serving them with their `extends`/`import`/`include` names prefixed the same way).
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import flask_admin
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme
from jinja2 import ChoiceLoader, FunctionLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import AuditEntry, Order, OrderItem, Product, StockMovement

HEADER = "X-SQL-Queries"
STOCK_PREFIX = "stock/"
FLASK_ADMIN_TEMPLATES = Path(flask_admin.__file__).parent / "templates" / "bootstrap4"
TEMPLATE_REF = re.compile(r"(\{%-?\s*(?:extends|import|include|from)\s+)(['\"])admin/")
_counter = threading.local()

STOCK_VIEWS = {
    Product: dict(
        column_list=("sku", "name", "category", "supplier", "unit", "price", "stock",
                     "min_stock", "active"),
        column_searchable_list=("sku", "name"),
        column_filters=("category.name", "supplier.legal_name", "unit", "active", "price",
                        "stock"),
        column_sortable_list=("sku", "name", ("category", "category.name"), "price", "stock",
                              "active"),
        column_default_sort="name",
        form_columns=("sku", "name", "description", "category", "supplier", "unit", "price",
                      "cost", "min_stock", "active"),
        form_ajax_refs={"supplier": {"fields": ("legal_name", "trade_name", "cnpj"),
                                     "page_size": 10}},
    ),
    Order: dict(
        column_list=("number", "customer", "status", "ordered_at", "discount", "total"),
        column_searchable_list=("number", "customer.name"),
        column_filters=("status", "ordered_at", "customer.name"),
        column_sortable_list=("number", ("customer", "customer.name"), "status", "ordered_at"),
        column_default_sort=("ordered_at", True),
        form_columns=("customer", "status", "ordered_at", "discount", "notes", "items"),
        form_ajax_refs={"customer": {"fields": ("name", "document"), "page_size": 10}},
        inline_models=[(OrderItem, {
            "form_columns": ("id", "product", "quantity", "unit_price"),
            "form_ajax_refs": {"product": {"fields": ("sku", "name"), "page_size": 10}},
        })],
    ),
    StockMovement: dict(
        column_list=("created_at", "product", "kind", "quantity", "balance_after", "reason",
                     "order", "author"),
        column_searchable_list=("product.sku", "product.name", "reason"),
        column_filters=("kind", "created_at", "product.name"),
        column_sortable_list=("created_at", "kind", "quantity"),
        column_default_sort=("created_at", True),
        form_columns=("product", "kind", "quantity", "reason"),
        form_ajax_refs={"product": {"fields": ("sku", "name"), "page_size": 10}},
    ),
    AuditEntry: dict(
        column_list=("created_at", "actor", "action", "entity", "object_id", "changes"),
        column_searchable_list=("object_id",),
        column_filters=("actor", "entity", "action", "created_at"),
        column_sortable_list=("created_at", "actor", "action", "entity"),
        column_default_sort=("created_at", True),
    ),
}


@event.listens_for(Engine, "before_cursor_execute")
def _count_statement(*args) -> None:
    _counter.value = getattr(_counter, "value", 0) + 1


class CountQueries:
    """WSGI middleware: the request's SQL statement count in the response headers."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        _counter.value = 0

        def start(status, headers, exc_info=None):
            headers.append((HEADER, str(_counter.value)))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def worker_memory() -> dict:
    fields = {"pid": os.getpid()}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                fields[name] = int(value.split()[0])  # kB
    return fields


def stock_template(name: str):
    """`stock/admin/...`: Flask-Admin's own template, its references to other admin
    templates prefixed too, so none of the app's overrides is picked up."""
    if not name.startswith(STOCK_PREFIX + "admin/"):
        return None
    path = FLASK_ADMIN_TEMPLATES / name[len(STOCK_PREFIX):]
    if not path.is_file():
        return None
    source = TEMPLATE_REF.sub(lambda m: m[1] + m[2] + STOCK_PREFIX + "admin/", path.read_text())
    return source, str(path), lambda: True


def add_stock_admin(app) -> Admin:
    app.jinja_loader = ChoiceLoader([FunctionLoader(stock_template), app.jinja_loader])
    templates = {f"{kind}_template": f"{STOCK_PREFIX}admin/model/{kind}.html"
                 for kind in ("list", "edit", "create", "details")}
    stock = Admin(app, name="Flask-Admin (stock)", url="/stock", endpoint="stock",
                  theme=Bootstrap4Theme(base_template=f"{STOCK_PREFIX}admin/base.html"))
    for model, options in STOCK_VIEWS.items():
        name = model.__name__.lower()
        view_class = type(f"Stock{model.__name__}View", (ModelView,),
                          {"can_export": True, "export_types": ["csv"], **templates,
                           **options})
        stock.add_view(view_class(model, db.session, name=model.__name__,
                                  endpoint=f"stock_{name}", url=name))
    return stock


def build():
    app = create_app({
        # Cheap hashing: the bench logs in once; nothing here measures argon2.
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {"argon2__rounds": 1,
                                                   "argon2__memory_cost": 512},
    })
    add_stock_admin(app)
    app.add_url_rule("/_bench/worker", "bench_worker", worker_memory)
    return app


app = build()
app.wsgi_app = CountQueries(app.wsgi_app)
application = app
