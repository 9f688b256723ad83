"""Every mapped model gets a screen by walking the SQLAlchemy registry: no view code per model.

The proof for a *new* model runs in a child interpreter: there a model class is declared on
`db.Model` exactly as a developer would add one (no options entry, no view), its table is
created in this test's database, `create_app()` is called and the screen is driven over HTTP.
A child process keeps the class out of this session's registry, which the other tests walk.
"""

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from sqlalchemy import inspect, select

from admin_app.admin.base import GestaoModelView
from admin_app.admin.options import OPTIONS
from admin_app.admin.registry import mapped_models, view_class_for
from admin_app.extensions import db
from admin_app.models.signin import SignInEvent
from admin_app.models import AuditEntry, Customer, OrderItem
from tests.helpers.words import brl, pt

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent('''
    """Declare a new model, build the app, drive its generated screen; print what was seen."""
    import json, os, re, sys
    from decimal import Decimal

    sys.path.insert(0, os.environ["GESTAO_ROOT"])

    from sqlalchemy import String, Numeric, inspect, select
    from sqlalchemy.orm import Mapped, mapped_column

    from admin_app.extensions import db
    from admin_app.models.base import VersionedMixin


    class Warehouse(VersionedMixin, db.Model):      # the whole "feature": a mapped class
        __tablename__ = os.environ["GESTAO_TABLE"]

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(100), unique=True)
        city: Mapped[str | None] = mapped_column(String(100))
        capacity: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=0)
        active: Mapped[bool] = mapped_column(default=True)

        def __str__(self):
            return self.name


    from admin_app import create_app
    from tests.helpers.auth import log_in, make_user
    from tests.helpers.config import TEST_CONFIG
    from tests.helpers.forms import landed, read_form, submit
    from tests.helpers.pages import alerts, cells, csv_rows, details

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": os.environ["GESTAO_DB"]})
    seen = {}
    with app.app_context():
        Warehouse.__table__.create(db.engine)
        try:
            admin = app.extensions["gestao_admin"]
            view = next(v for v in admin._views if getattr(v, "model", None) is Warehouse)
            seen["endpoint"] = view.endpoint
            seen["view_bases"] = [b.__name__ for b in type(view).__mro__[1:3]]
            seen["category"] = str(view.category)

            make_user("registro@teste.com.br", "admin")
            client = app.test_client()
            assert log_in(client, "registro@teste.com.br").status_code == 302
            seen["menu"] = "/admin/warehouse/" in client.get("/admin/").get_data(as_text=True)
            listing = client.get("/admin/warehouse/")
            seen["list_status"] = listing.status_code
            new_form = read_form(client.get("/admin/warehouse/new/"))
            seen["create_fields"] = sorted(k for k in new_form if k != "csrf_token")

            response = submit(client, "/admin/warehouse/new/", {
                "name": "Depósito Central", "city": "Campinas", "capacity": "1500.50",
                "active": "y"})
            seen["create_status"] = response.status_code
            page = landed(client, response)
            seen["create_alerts"] = alerts(page)
            seen["list_names"] = cells(page, "name")
            seen["list_capacity"] = cells(page, "capacity")
            rows = db.session.scalars(select(Warehouse)).all()
            seen["rows_after_create"] = [(w.name, w.city, str(w.capacity), w.active, w.version)
                                         for w in rows]
            wid = rows[0].id

            refused = submit(client, "/admin/warehouse/new/", {"name": "", "city": "X"})
            seen["empty_name_status"] = refused.status_code
            seen["empty_name_errors"] = re.findall(
                r'id="name"[^>]*>\\s*<div class="invalid-feedback">(.*?)</div>',
                refused.get_data(as_text=True), re.S) != []

            edit_url = f"/admin/warehouse/edit/?id={wid}"
            seen["edit_form"] = {k: v for k, v in read_form(client.get(edit_url)).items()
                                 if k in ("name", "city", "capacity")}
            page = landed(client, submit(client, edit_url, {"city": "Sumaré"}))
            seen["edit_alerts"] = alerts(page)
            db.session.expire_all()
            w = db.session.get(Warehouse, wid)
            seen["row_after_edit"] = (w.name, w.city, str(w.capacity), w.version)

            seen["details"] = details(client.get(f"/admin/warehouse/details/?id={wid}"))
            header, *data = csv_rows(client.get("/admin/warehouse/export/csv/"))
            seen["export"] = [dict(zip(header, row)) for row in data]

            with app.app_context():      # a context of its own: g (CSRF token, user) is per client
                make_user("leitor@teste.com.br", "reader")
                reader = app.test_client()
                assert log_in(reader, "leitor@teste.com.br").status_code == 302
                seen["reader_list"] = reader.get("/admin/warehouse/").status_code
                seen["reader_create"] = reader.get("/admin/warehouse/new/").status_code
            with app.app_context():
                seen["anonymous_list"] = app.test_client().get("/admin/warehouse/").status_code

            listing = client.get("/admin/warehouse/").get_data(as_text=True)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing)[1]
            page = landed(client, client.post("/admin/warehouse/delete/", data={
                "id": str(wid), "url": "/admin/warehouse/", "csrf_token": token}))
            seen["delete_alert_kinds"] = [k for k, _ in alerts(page)]
            db.session.expire_all()
            seen["rows_after_delete"] = len(db.session.scalars(select(Warehouse)).all())
        finally:
            db.session.rollback()
            db.session.remove()
            Warehouse.__table__.drop(db.engine)
    print("SEEN=" + json.dumps(seen, ensure_ascii=False))
''')


def test_a_newly_mapped_model_gets_a_working_screen_with_no_view_code(app, tmp_path):
    table = f"test_warehouses_{uuid.uuid4().hex[:8]}"
    script = tmp_path / "new_model.py"
    script.write_text(CHILD)
    env = {**os.environ, "GESTAO_ROOT": str(ROOT), "GESTAO_TABLE": table,
           "GESTAO_DB": app.config["SQLALCHEMY_DATABASE_URI"]}
    db.session.remove()
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.split("SEEN=", 1)[1])

    # the registry walk found it and built a plain generated screen under the default endpoint
    assert seen["endpoint"] == "warehouse"
    assert seen["view_bases"][0] == "GestaoModelView"
    assert seen["category"] == pt("Other")
    assert seen["menu"] is True
    assert seen["list_status"] == 200
    assert {"active", "capacity", "city", "name"} <= set(seen["create_fields"])
    assert not {"id", "version", "created_at", "updated_at"} & set(seen["create_fields"])

    # create
    assert seen["create_status"] == 302
    assert ["success", "Registro criado com sucesso."] in seen["create_alerts"]
    assert seen["rows_after_create"] == [["Depósito Central", "Campinas", "1500.50", True, 1]]
    assert seen["list_names"] == ["Depósito Central"]
    assert seen["list_capacity"] == [brl("1500.50")]          # money formatted with no options
    assert seen["empty_name_status"] == 200 and seen["empty_name_errors"] is True

    # edit
    assert seen["edit_form"]["name"] == "Depósito Central"
    assert ["success", "Registro salvo com sucesso."] in seen["edit_alerts"]
    assert seen["row_after_edit"] == ["Depósito Central", "Sumaré", "1500.50", 2]

    # details, export, access rules, delete: all inherited
    # with no options, labels are Flask-Admin's prettified column names
    assert seen["details"]["Name"] == "Depósito Central"
    assert seen["details"]["City"] == "Sumaré"
    assert seen["details"]["Capacity"] == brl("1500.50")
    assert [(r["Name"], r["Capacity"]) for r in seen["export"]] == \
        [("Depósito Central", brl("1500.50"))]
    assert (seen["reader_list"], seen["reader_create"]) == (200, 403)
    assert seen["anonymous_list"] == 302
    assert seen["delete_alert_kinds"] == ["success"]
    assert seen["rows_after_delete"] == 0

    # the audit trail covered the new model too, and the child left no table behind
    db.session.expire_all()
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "Warehouse")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["create", "update", "delete"]
    assert not inspect(db.engine).has_table(table)


def test_every_mapped_model_has_a_screen_named_after_its_class(app, admin_client):
    admin = app.extensions["gestao_admin"]
    views = {v.endpoint: v for v in admin._views if hasattr(v, "model")}
    # the business registry, plus the sign-in trail (a registry of its own, shown read-only)
    mapped = [m.class_ for m in db.Model.registry.mappers] + [SignInEvent]
    assert len(mapped) >= 12
    for model in mapped:
        endpoint = model.__name__.lower()
        assert endpoint in views, f"{model.__name__} has no screen"
        assert views[endpoint].model is model
        assert isinstance(views[endpoint], GestaoModelView)
        assert f"{endpoint}.index_view" in app.view_functions
        assert admin_client.get(f"/admin/{endpoint}/").status_code == 200, endpoint
    assert len(views) == len(mapped), "a screen without a mapped model, or twice the same"


def test_mapped_models_lists_the_tuned_models_first_then_the_rest_by_name(app):
    models = mapped_models()
    assert sorted(models, key=lambda m: m.__name__) == \
        sorted((m.class_ for m in db.Model.registry.mappers), key=lambda m: m.__name__)
    tuned = [m for m in models if m in OPTIONS]
    assert tuned == [m for m in OPTIONS if m in tuned]
    rest = models[len(tuned):]
    assert all(m not in OPTIONS for m in rest)
    assert [m.__name__ for m in rest] == sorted(m.__name__ for m in rest)


def test_options_only_tune_the_generated_view(app):
    customer_view = view_class_for(Customer)
    assert customer_view.__mro__[1:3] == (OPTIONS[Customer], GestaoModelView)
    assert customer_view.column_searchable_list == OPTIONS[Customer].column_searchable_list
    for options in OPTIONS.values():          # options are plain classes, not views
        assert not issubclass(options, GestaoModelView), options

    class Untuned:                       # a model class with no entry in OPTIONS
        pass

    plain = view_class_for(Untuned)
    assert plain.__mro__[1] is GestaoModelView
    assert plain.__name__ == "UntunedView"
    # items are edited inline on their order: their own screen is read-only
    item_view = view_class_for(OrderItem)
    assert item_view.writes == frozenset()
