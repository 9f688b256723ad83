"""Who may open and who may change what: every admin URL × every role, GET and POST.

One table, `EXPECTED`, states the outcome of each cell (DESIGN.md "Who uses it"). The tests
build one record of every entity, ask each URL as each role and compare the outcomes they get
with the table:

* `test_matrix_row`: per screen and role, every GET and every refused POST, on one database.
  Nothing there may write: the database (every row of every table) must be the same after each
  request as before it.
* `test_matrix_allowed_write`: each allowed POST on a database of its own. The payloads are
  valid, so an allowed POST must change the database: the same payload a refused POST sends
  would have been noticed had its guard been missing.
"""

import io
import random
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import current_app
from sqlalchemy import select

from admin_app import audit
from admin_app.demo import random_cnpj, random_cpf
from admin_app.extensions import db
from admin_app.models import Category, ImportRun, Job, Role
from admin_app.models.base import utcnow
from admin_app.models.list_views import SavedView
from admin_app.models.signin import FAILURE, LoginLockout, SignInEvent
from tests import factories as f
from tests.helpers.auth import csrf_token, make_user

LOGIN, DENIED, OK, ABSENT = "login", "403", "ok", "404"
TO_AUDIT = "302 /admin/auditentry/"
TO_DASHBOARD = "302 /admin/"
ROLES = ("anonymous", "reader", "editor", "admin")

# ---------------------------------------------------------------------------------------------
# The matrix. Columns: anonymous, reader, editor, admin.
#   LOGIN  -> 302 to /login?next=<the URL asked>
#   DENIED -> 403
#   OK     -> GET 200; POST 200 or 302 (not to the login page)
#   ABSENT -> 404: allowed, but the screen has no such thing (no AJAX lookup of that name,
#             no inline-editable list column)
#   TO_AUDIT -> 302 to the audit trail list (which then applies its own rule)
# ---------------------------------------------------------------------------------------------
EXPECTED = {
    # Business entities: everyone reads; editors and admins write.
    "customer": {
        #                     anon.   reader  editor  admin
        "list":               (LOGIN,  OK,     OK,     OK),
        "details":            (LOGIN,  OK,     OK,     OK),
        "export csv":         (LOGIN,  OK,     OK,     OK),
        "create GET":         (LOGIN,  DENIED, OK,     OK),
        "create POST":        (LOGIN,  DENIED, OK,     OK),
        "edit GET":           (LOGIN,  DENIED, OK,     OK),
        "edit POST":          (LOGIN,  DENIED, OK,     OK),
        "delete POST":        (LOGIN,  DENIED, OK,     OK),
        "action delete":      (LOGIN,  DENIED, OK,     OK),
        "ajax lookup":        (LOGIN,  ABSENT, ABSENT, ABSENT),
        "ajax update":        (LOGIN,  DENIED, ABSENT, ABSENT),
        "import GET":         (LOGIN,  DENIED, OK,     OK),
        "import POST":        (LOGIN,  DENIED, OK,     OK),
        "import apply":       (LOGIN,  DENIED, ABSENT, ABSENT),
    },
    "supplier": {
        "list":               (LOGIN,  OK,     OK,     OK),
        "details":            (LOGIN,  OK,     OK,     OK),
        "export csv":         (LOGIN,  OK,     OK,     OK),
        "create GET":         (LOGIN,  DENIED, OK,     OK),
        "create POST":        (LOGIN,  DENIED, OK,     OK),
        "edit GET":           (LOGIN,  DENIED, OK,     OK),
        "edit POST":          (LOGIN,  DENIED, OK,     OK),
        "delete POST":        (LOGIN,  DENIED, OK,     OK),
        "action delete":      (LOGIN,  DENIED, OK,     OK),
        "ajax lookup":        (LOGIN,  ABSENT, ABSENT, ABSENT),
        "ajax update":        (LOGIN,  DENIED, ABSENT, ABSENT),
        "import GET":         (LOGIN,  DENIED, OK,     OK),
        "import POST":        (LOGIN,  DENIED, OK,     OK),
        "import apply":       (LOGIN,  DENIED, ABSENT, ABSENT),
    },
    "category": {
        "list":               (LOGIN,  OK,     OK,     OK),
        "details":            (LOGIN,  OK,     OK,     OK),
        "export csv":         (LOGIN,  OK,     OK,     OK),
        "create GET":         (LOGIN,  DENIED, OK,     OK),
        "create POST":        (LOGIN,  DENIED, OK,     OK),
        "edit GET":           (LOGIN,  DENIED, OK,     OK),
        "edit POST":          (LOGIN,  DENIED, OK,     OK),
        "delete POST":        (LOGIN,  DENIED, OK,     OK),
        "action delete":      (LOGIN,  DENIED, OK,     OK),
        "ajax lookup":        (LOGIN,  ABSENT, ABSENT, ABSENT),
        "ajax update":        (LOGIN,  DENIED, ABSENT, ABSENT),
        "import GET":         (LOGIN,  DENIED, OK,     OK),
        "import POST":        (LOGIN,  DENIED, OK,     OK),
        "import apply":       (LOGIN,  DENIED, ABSENT, ABSENT),
    },
    "product": {
        "list":               (LOGIN,  OK,     OK,     OK),
        "details":            (LOGIN,  OK,     OK,     OK),
        "export csv":         (LOGIN,  OK,     OK,     OK),
        "create GET":         (LOGIN,  DENIED, OK,     OK),
        "create POST":        (LOGIN,  DENIED, OK,     OK),
        "edit GET":           (LOGIN,  DENIED, OK,     OK),
        "edit POST":          (LOGIN,  DENIED, OK,     OK),
        "delete POST":        (LOGIN,  DENIED, OK,     OK),
        "action delete":      (LOGIN,  DENIED, OK,     OK),
        "ajax lookup":        (LOGIN,  OK,     OK,     OK),
        "ajax update":        (LOGIN,  DENIED, ABSENT, ABSENT),
        "import GET":         (LOGIN,  DENIED, OK,     OK),
        "import POST":        (LOGIN,  DENIED, OK,     OK),
        "import apply":       (LOGIN,  DENIED, ABSENT, ABSENT),
    },
    "order": {
        "list":               (LOGIN,  OK,     OK,     OK),
        "details":            (LOGIN,  OK,     OK,     OK),
        "export csv":         (LOGIN,  OK,     OK,     OK),
        "create GET":         (LOGIN,  DENIED, OK,     OK),
        "create POST":        (LOGIN,  DENIED, OK,     OK),
        "edit GET":           (LOGIN,  DENIED, OK,     OK),
        "edit POST":          (LOGIN,  DENIED, OK,     OK),
        "delete POST":        (LOGIN,  DENIED, OK,     OK),
        "action delete":      (LOGIN,  DENIED, OK,     OK),
        "ajax lookup":        (LOGIN,  OK,     OK,     OK),
        "ajax update":        (LOGIN,  DENIED, ABSENT, ABSENT),
        "import GET":         (LOGIN,  DENIED, ABSENT, ABSENT),
        "import POST":        (LOGIN,  DENIED, ABSENT, ABSENT),
        "import apply":       (LOGIN,  DENIED, ABSENT, ABSENT),
    },
    # Items are edited inline on their order: this screen offers no write to anyone.
    "orderitem": {
        "list":               (LOGIN,  OK,     OK,     OK),
        "details":            (LOGIN,  OK,     OK,     OK),
        "export csv":         (LOGIN,  OK,     OK,     OK),
        "create GET":         (LOGIN,  DENIED, DENIED, DENIED),
        "create POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "edit GET":           (LOGIN,  DENIED, DENIED, DENIED),
        "edit POST":          (LOGIN,  DENIED, DENIED, DENIED),
        "delete POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "action delete":      (LOGIN,  DENIED, DENIED, DENIED),
        "ajax lookup":        (LOGIN,  ABSENT, ABSENT, ABSENT),
        "ajax update":        (LOGIN,  DENIED, DENIED, DENIED),
        "import GET":         (LOGIN,  DENIED, DENIED, DENIED),
        "import POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "import apply":       (LOGIN,  DENIED, DENIED, DENIED),
    },
    # Movements are immutable once saved: create only.
    "stockmovement": {
        "list":               (LOGIN,  OK,     OK,     OK),
        "details":            (LOGIN,  OK,     OK,     OK),
        "export csv":         (LOGIN,  OK,     OK,     OK),
        "create GET":         (LOGIN,  DENIED, OK,     OK),
        "create POST":        (LOGIN,  DENIED, OK,     OK),
        "edit GET":           (LOGIN,  DENIED, DENIED, DENIED),
        "edit POST":          (LOGIN,  DENIED, DENIED, DENIED),
        "delete POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "action delete":      (LOGIN,  DENIED, DENIED, DENIED),
        "ajax lookup":        (LOGIN,  OK,     OK,     OK),
        "ajax update":        (LOGIN,  DENIED, DENIED, DENIED),
        "import GET":         (LOGIN,  DENIED, ABSENT, ABSENT),
        "import POST":        (LOGIN,  DENIED, ABSENT, ABSENT),
        "import apply":       (LOGIN,  DENIED, ABSENT, ABSENT),
    },
    "financialentry": {
        "list":               (LOGIN,  OK,     OK,     OK),
        "details":            (LOGIN,  OK,     OK,     OK),
        "export csv":         (LOGIN,  OK,     OK,     OK),
        "create GET":         (LOGIN,  DENIED, OK,     OK),
        "create POST":        (LOGIN,  DENIED, OK,     OK),
        "edit GET":           (LOGIN,  DENIED, OK,     OK),
        "edit POST":          (LOGIN,  DENIED, OK,     OK),
        "delete POST":        (LOGIN,  DENIED, OK,     OK),
        "action delete":      (LOGIN,  DENIED, OK,     OK),
        "action mark_paid":   (LOGIN,  DENIED, OK,     OK),
        "ajax lookup":        (LOGIN,  OK,     OK,     OK),
        "ajax update":        (LOGIN,  DENIED, ABSENT, ABSENT),
        "import GET":         (LOGIN,  DENIED, OK,     OK),
        "import POST":        (LOGIN,  DENIED, OK,     OK),
        "import apply":       (LOGIN,  DENIED, ABSENT, ABSENT),
    },
    # Administration: administrators only.
    "user": {
        "list":               (LOGIN,  DENIED, DENIED, OK),
        "details":            (LOGIN,  DENIED, DENIED, OK),
        "export csv":         (LOGIN,  DENIED, DENIED, OK),
        "create GET":         (LOGIN,  DENIED, DENIED, OK),
        "create POST":        (LOGIN,  DENIED, DENIED, OK),
        "edit GET":           (LOGIN,  DENIED, DENIED, OK),
        "edit POST":          (LOGIN,  DENIED, DENIED, OK),
        "delete POST":        (LOGIN,  DENIED, DENIED, OK),
        "action delete":      (LOGIN,  DENIED, DENIED, OK),
        "action unlock":      (LOGIN,  DENIED, DENIED, OK),
        "action reset_two_factor": (LOGIN, DENIED, DENIED, OK),
        "ajax lookup":        (LOGIN,  DENIED, DENIED, ABSENT),
        "ajax update":        (LOGIN,  DENIED, DENIED, ABSENT),
        "import GET":         (LOGIN,  DENIED, DENIED, ABSENT),
        "import POST":        (LOGIN,  DENIED, DENIED, ABSENT),
        "import apply":       (LOGIN,  DENIED, DENIED, ABSENT),
    },
    "role": {
        "list":               (LOGIN,  DENIED, DENIED, OK),
        "details":            (LOGIN,  DENIED, DENIED, OK),
        "export csv":         (LOGIN,  DENIED, DENIED, OK),
        "create GET":         (LOGIN,  DENIED, DENIED, OK),
        "create POST":        (LOGIN,  DENIED, DENIED, OK),
        "edit GET":           (LOGIN,  DENIED, DENIED, OK),
        "edit POST":          (LOGIN,  DENIED, DENIED, OK),
        "delete POST":        (LOGIN,  DENIED, DENIED, OK),
        "action delete":      (LOGIN,  DENIED, DENIED, OK),
        "ajax lookup":        (LOGIN,  DENIED, DENIED, ABSENT),
        "ajax update":        (LOGIN,  DENIED, DENIED, ABSENT),
        "import GET":         (LOGIN,  DENIED, DENIED, ABSENT),
        "import POST":        (LOGIN,  DENIED, DENIED, ABSENT),
        "import apply":       (LOGIN,  DENIED, DENIED, ABSENT),
    },
    # The audit trail is read-only, administrators included.
    "auditentry": {
        "list":               (LOGIN,  DENIED, DENIED, OK),
        "details":            (LOGIN,  DENIED, DENIED, OK),
        "export csv":         (LOGIN,  DENIED, DENIED, OK),
        "create GET":         (LOGIN,  DENIED, DENIED, DENIED),
        "create POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "edit GET":           (LOGIN,  DENIED, DENIED, DENIED),
        "edit POST":          (LOGIN,  DENIED, DENIED, DENIED),
        "delete POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "action delete":      (LOGIN,  DENIED, DENIED, DENIED),
        "ajax lookup":        (LOGIN,  DENIED, DENIED, ABSENT),
        "ajax update":        (LOGIN,  DENIED, DENIED, DENIED),
        "import GET":         (LOGIN,  DENIED, DENIED, DENIED),
        "import POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "import apply":       (LOGIN,  DENIED, DENIED, DENIED),
    },
    # The imports, like the audit trail: read-only, administrators only.
    "importrun": {
        "list":               (LOGIN,  DENIED, DENIED, OK),
        "details":            (LOGIN,  DENIED, DENIED, OK),
        "export csv":         (LOGIN,  DENIED, DENIED, OK),
        "create GET":         (LOGIN,  DENIED, DENIED, DENIED),
        "create POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "edit GET":           (LOGIN,  DENIED, DENIED, DENIED),
        "edit POST":          (LOGIN,  DENIED, DENIED, DENIED),
        "delete POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "action delete":      (LOGIN,  DENIED, DENIED, DENIED),
        "ajax lookup":        (LOGIN,  DENIED, DENIED, ABSENT),
        "ajax update":        (LOGIN,  DENIED, DENIED, DENIED),
        "import GET":         (LOGIN,  DENIED, DENIED, DENIED),
        "import POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "import apply":       (LOGIN,  DENIED, DENIED, DENIED),
    },
    # The worker's jobs, likewise.
    "job": {
        "list":               (LOGIN,  DENIED, DENIED, OK),
        "details":            (LOGIN,  DENIED, DENIED, OK),
        "export csv":         (LOGIN,  DENIED, DENIED, OK),
        "create GET":         (LOGIN,  DENIED, DENIED, DENIED),
        "create POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "edit GET":           (LOGIN,  DENIED, DENIED, DENIED),
        "edit POST":          (LOGIN,  DENIED, DENIED, DENIED),
        "delete POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "action delete":      (LOGIN,  DENIED, DENIED, DENIED),
        "ajax lookup":        (LOGIN,  DENIED, DENIED, ABSENT),
        "ajax update":        (LOGIN,  DENIED, DENIED, DENIED),
        "import GET":         (LOGIN,  DENIED, DENIED, DENIED),
        "import POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "import apply":       (LOGIN,  DENIED, DENIED, DENIED),
    },
    # A job's own page: the one who started it, or an administrator (this one is nobody's).
    "jobs": {
        "my jobs":            (LOGIN,  OK,     OK,     OK),
        "job page":           (LOGIN,  ABSENT, ABSENT, OK),
        "job status":         (LOGIN,  ABSENT, ABSENT, OK),
        "job download":       (LOGIN,  ABSENT, ABSENT, ABSENT),
    },
    # The sign-in trail, like the audit trail: read-only, administrators only.
    "signinevent": {
        "list":               (LOGIN,  DENIED, DENIED, OK),
        "details":            (LOGIN,  DENIED, DENIED, OK),
        "export csv":         (LOGIN,  DENIED, DENIED, OK),
        "create GET":         (LOGIN,  DENIED, DENIED, DENIED),
        "create POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "edit GET":           (LOGIN,  DENIED, DENIED, DENIED),
        "edit POST":          (LOGIN,  DENIED, DENIED, DENIED),
        "delete POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "action delete":      (LOGIN,  DENIED, DENIED, DENIED),
        "ajax lookup":        (LOGIN,  DENIED, DENIED, ABSENT),
        "ajax update":        (LOGIN,  DENIED, DENIED, DENIED),
        "import GET":         (LOGIN,  DENIED, DENIED, DENIED),
        "import POST":        (LOGIN,  DENIED, DENIED, DENIED),
        "import apply":       (LOGIN,  DENIED, DENIED, DENIED),
    },
    # Per-record history (the "Histórico" link of edit/details): administrators any record,
    # editors the business records they may change, readers none.
    "history": {
        "index":              (LOGIN,  TO_AUDIT, TO_AUDIT, TO_AUDIT),
        "customer history":   (LOGIN,  DENIED, OK,     OK),
        "product history":    (LOGIN,  DENIED, OK,     OK),
        "user history":       (LOGIN,  DENIED, DENIED, OK),
        "role history":       (LOGIN,  DENIED, DENIED, OK),
        # the Lixeira of a list: its deleted records (same rule as their history)
        "customer trash":     (LOGIN,  DENIED, OK,     OK),
        "user trash":         (LOGIN,  DENIED, DENIED, OK),
    },
    # Restores (issue 16): an earlier version by who may edit the record, a deleted record by
    # who may create it; users and roles by administrators only.
    "restore": {
        "index":                    (LOGIN,  TO_AUDIT, TO_AUDIT, TO_AUDIT),
        "customer restore version": (LOGIN,  DENIED, OK,     OK),
        "customer restore version POST": (LOGIN, DENIED, OK,  OK),
        "customer restore deleted": (LOGIN,  DENIED, OK,     OK),
        "user restore deleted":     (LOGIN,  DENIED, DENIED, OK),
        "audit restore deleted":    (LOGIN,  DENIED, DENIED, DENIED),
        "customer import undo":     (LOGIN,  DENIED, OK,     OK),
    },
    # Saved views and columns of a list (issue 19): whoever may see the list, for themselves;
    # a view is removed by its owner only (each role removes one of its own here).
    "listviews": {
        "index":                       (LOGIN,  TO_DASHBOARD, TO_DASHBOARD, TO_DASHBOARD),
        "customer view save":          (LOGIN,  OK,     OK,     OK),
        "user view save":              (LOGIN,  DENIED, DENIED, OK),
        "customer view default":       (LOGIN,  OK,     OK,     OK),
        "customer view default clear": (LOGIN,  OK,     OK,     OK),
        "customer view delete":        (LOGIN,  OK,     OK,     OK),
        "customer view columns":       (LOGIN,  OK,     OK,     OK),
    },
    # Migration status (DESIGN.md: administrators only).
    "migrations": {
        "status page":        (LOGIN,  DENIED, DENIED, OK),
        "status.json":        (LOGIN,  DENIED, DENIED, OK),
    },
}

# Operation -> (method, URL relative to /admin/<endpoint>/). `{id}` is the endpoint's target
# row, `{<endpoint>}` another endpoint's.
OPERATIONS = {
    "list": ("GET", ""),
    "details": ("GET", "details/?id={id}"),
    "export csv": ("GET", "export/csv/"),
    "create GET": ("GET", "new/"),
    "create POST": ("POST", "new/"),
    "edit GET": ("GET", "edit/?id={id}"),
    "edit POST": ("POST", "edit/?id={id}"),
    "delete POST": ("POST", "delete/"),
    "action delete": ("POST", "action/"),
    "action mark_paid": ("POST", "action/"),
    "action unlock": ("POST", "action/"),
    "action reset_two_factor": ("POST", "action/"),
    "ajax lookup": ("GET", "ajax/lookup/?name={lookup}&query=a"),
    "ajax update": ("POST", "ajax/update/"),
    "index": ("GET", ""),
    "customer history": ("GET", "Customer/{customer}/"),
    "product history": ("GET", "Product/{product}/"),
    "user history": ("GET", "User/{user}/"),
    "role history": ("GET", "Role/{role}/"),
    "customer trash": ("GET", "Customer/trash/"),
    "customer restore version": ("GET", "Customer/{customer}/version/1/"),
    "customer restore version POST": ("POST", "Customer/{customer}/version/1/"),
    "customer restore deleted": ("POST", "Customer/{deleted_customer}/"),
    "user restore deleted": ("POST", "User/{deleted_user}/"),
    "audit restore deleted": ("POST", "AuditEntry/{auditentry}/"),
    "customer import undo": ("POST", "import/{applied_import}/"),
    "user trash": ("GET", "User/trash/"),
    "customer view save": ("POST", "customer/save"),
    "user view save": ("POST", "user/save"),
    "customer view default": ("POST", "customer/{saved_view}/default"),
    "customer view default clear": ("POST", "customer/default/clear"),
    "customer view delete": ("POST", "customer/{own_view}/delete"),
    "customer view columns": ("POST", "customer/columns"),
    "status page": ("GET", ""),
    "status.json": ("GET", "status.json"),
    "import GET": ("GET", "import/"),
    "import POST": ("POST", "import/"),
    "import apply": ("POST", "import/{importrun}/apply"),
    "my jobs": ("GET", ""),
    "job page": ("GET", "{job}/"),
    "job status": ("GET", "{job}/status.json"),
    "job download": ("GET", "{job}/download"),
}
MODEL_OPERATIONS = ("list", "details", "export csv", "create GET", "create POST", "edit GET",
                    "edit POST", "delete POST", "action delete", "ajax lookup", "ajax update",
                    "import GET", "import POST", "import apply")
# The AJAX lookup asked for on each screen (a field of its form_ajax_refs); others have none.
AJAX_LOOKUPS = {"product": "supplier", "order": "customer", "stockmovement": "product",
                "financialentry": "customer"}
# Flask-Admin view method (or "endpoint.method") -> the operation of the table that walks it.
ROUTE_OPERATIONS = {
    "index_view": "list", "details_view": "details", "export": "export csv",
    "create_view": "create GET", "quick_create_view": "create GET",
    "edit_view": "edit GET", "delete_view": "delete POST",
    "action_view": "action delete", "ajax_lookup": "ajax lookup", "ajax_update": "ajax update",
    "import_view": "import GET", "import_apply": "import apply",
    "jobs.index": "my jobs", "jobs.job_page": "job page", "jobs.job_status": "job status",
    "jobs.download": "job download",
    "history.index": "index", "history.object_history": "customer history",
    "history.trash": "customer trash",
    "restore.index": "index", "restore.version": "customer restore version",
    "restore.import_run": "customer import undo", "restore.deleted": "customer restore deleted",
    "listviews.index": "index", "listviews.save": "customer view save",
    "listviews.make_default": "customer view default",
    "listviews.clear_default": "customer view default clear",
    "listviews.delete": "customer view delete", "listviews.columns": "customer view columns",
    "migrations.index": "status page", "migrations.status_json": "status.json",
}


# Cells known to fail because of a bug in the application: (endpoint, operation, role) -> why.
KNOWN_BUGS: dict = {}


def _is_allowed_write(operation, outcome) -> bool:
    return OPERATIONS[operation][0] == "POST" and outcome == OK


def _rows():
    for endpoint, rows in EXPECTED.items():
        for role_index, role in enumerate(ROLES):
            expected = {op: outcomes[role_index] for op, outcomes in rows.items()
                        if not _is_allowed_write(op, outcomes[role_index])}
            yield pytest.param(endpoint, role, expected, id=f"{endpoint}-{role}")


def _allowed_writes():
    for endpoint, rows in EXPECTED.items():
        for operation, outcomes in rows.items():
            for role, outcome in zip(ROLES, outcomes, strict=True):
                if not _is_allowed_write(operation, outcome):
                    continue
                bug = KNOWN_BUGS.get((endpoint, operation, role))
                marks = [pytest.mark.xfail(reason=bug, strict=True)] if bug else []
                yield pytest.param(endpoint, operation, role, marks=marks,
                                   id=f"{endpoint}-{operation.replace(' ', '_')}-{role}")


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------
@pytest.fixture()
def records(app):
    """One record of every entity, each free of references so it can really be deleted;
    returns endpoint -> id of the row the matrix's URLs act on. Built, then saved in one
    commit (a commit per factory call would double the suite's time)."""
    draft = f.OrderFactory.build()
    item = f.OrderItemFactory.build(order=draft)
    targets = {
        "customer": f.CustomerFactory.build(),
        "supplier": f.SupplierFactory.build(),
        "category": f.CategoryFactory.build(),
        "product": f.ProductFactory.build(),
        "order": f.OrderFactory.build(),
        "orderitem": item,
        "stockmovement": f.StockMovementFactory.build(),
        "financialentry": f.FinancialEntryFactory.build(),
        "auditentry": f.AuditEntryFactory.build(),
    }
    db.session.add_all([draft, f.OrderItemFactory.build(order=draft), *targets.values()])
    datastore = current_app.extensions["security"].datastore
    for name in ("admin", "editor", "reader"):
        datastore.find_or_create_role(name=name)
    targets["role"] = datastore.find_or_create_role(name="temporario", description="Temporário")
    db.session.commit()
    # Without a role: deleting a user who has one is refused (test_users_cli.py, strict xfail).
    targets["user"] = make_user("alvo@teste.com.br", None)
    # Locked out and with a second factor, so that unlocking and resetting it write; and one
    # line of the sign-in trail.
    targets["user"].tf_primary_method = "authenticator"
    targets["user"].tf_totp_secret = "segredo-cifrado"
    db.session.add(LoginLockout(email="alvo@teste.com.br", failures=5, window_started_at=utcnow(),
                                locked_until=utcnow() + timedelta(minutes=15)))
    targets["signinevent"] = SignInEvent(kind=FAILURE, email="alvo@teste.com.br", ip="10.0.0.9")
    targets["importrun"] = ImportRun(actor="cli", entity="customer", file_name="clientes.csv")
    targets["job"] = Job(kind="export", entity="customer", status="failed", message="teste")
    db.session.add_all([targets["signinevent"], targets["importrun"], targets["job"]])
    db.session.commit()
    ids = {endpoint: obj.id for endpoint, obj in targets.items()}
    # An earlier version of the customer, a deleted customer and a deleted user to restore.
    targets["customer"].notes = "Alterado"
    deleted = {"deleted_customer": f.CustomerFactory(), "deleted_user": make_user(
        "excluido@teste.com.br", None)}
    ids.update({name: record.id for name, record in deleted.items()})
    for record in deleted.values():
        db.session.delete(record)
    db.session.commit()
    ids["applied_import"] = _applied_import()
    # A view of the customer list shared by another user (anyone may make it their default;
    # each role removes a view of its own, saved first: see _prepared).
    shared = SavedView(owner_id=ids["user"], list_endpoint="customer", name="Compartilhada",
                       query="search=a", shared=True)
    db.session.add(shared)
    db.session.commit()
    ids["saved_view"] = ids["own_view"] = shared.id
    return ids


def _prepared(client, operation, ids) -> dict:
    """What an allowed write needs first, done by the same user: a view of their own to
    remove, a default to clear."""
    token = {"csrf_token": csrf_token(client)}
    if operation == "customer view delete":
        client.post("/admin/listviews/customer/save", data={**token, "name": "Minha"})
        own = db.session.scalar(select(SavedView.id).where(SavedView.name == "Minha"))
        return {**ids, "own_view": own}
    if operation == "customer view default clear":
        client.post(f"/admin/listviews/customer/{ids['saved_view']}/default", data=token)
    return ids


def _applied_import() -> int:
    """An applied import of one customer, to undo."""
    run = ImportRun(actor="cli", entity="customer", file_name="novos.csv", status="applied")
    db.session.add(run)
    db.session.flush()
    db.session.info[audit.IMPORT_KEY] = run.id
    try:
        f.CustomerFactory()
    finally:
        db.session.info.pop(audit.IMPORT_KEY)
    return run.id


def snapshot() -> dict:
    """Every row of every table, read on a connection of its own (committed data only)."""
    with db.engine.connect() as conn:
        return {
            table.name: conn.execute(
                select(table).order_by(*(table.primary_key.columns or table.columns))
            ).all()
            for table in db.metadata.sorted_tables
        }


# ---------------------------------------------------------------------------------------------
# POST payloads: valid data, so that an allowed POST really writes and a refused one would
# have written had the guard been missing.
# ---------------------------------------------------------------------------------------------
_rng = random.Random(2026)


def _role_id(name):
    return db.session.scalar(select(Role.id).where(Role.name == name))


def _form(endpoint, ids):
    """The form fields of a create/edit POST for this endpoint."""
    product_id = ids["product"]
    forms = {
        "customer": lambda: {"document": random_cpf(_rng), "name": "Cliente Novo",
                             "email": "novo@exemplo.com.br", "city": "Santos", "state": "SP",
                             "active": "y"},
        "supplier": lambda: {"cnpj": random_cnpj(_rng), "legal_name": "Fornecedor Novo Ltda",
                             "active": "y"},
        "category": lambda: {"name": "Categoria Nova", "description": "Nova"},
        "product": lambda: {"sku": "SKU-NOVO", "name": "Produto Novo",
                            "category": str(db.session.scalar(
                                select(Category.id).order_by(Category.id).limit(1))),
                            "unit": "KG", "price": "12.50", "cost": "7.00", "min_stock": "1",
                            "active": "y"},
        "order": lambda: {"customer": str(ids["customer"]), "status": "rascunho",
                          "ordered_at": "2026-03-01 10:00:00", "discount": "1.00",
                          "notes": "Pedido novo"},
        "orderitem": lambda: {"order": str(ids["order"]), "product": str(product_id),
                              "quantity": "7", "unit_price": "3.00"},
        "stockmovement": lambda: {"product": str(product_id), "kind": "entrada",
                                  "quantity": "5", "reason": "Compra nova"},
        "financialentry": lambda: {"kind": "pagar", "description": "Lançamento novo",
                                   "amount": "55.00",
                                   "due_date": (date.today() + timedelta(days=3)).isoformat()},
        "user": lambda: {"email": "novo.usuario@teste.com.br", "active": "y",
                         "roles": str(_role_id("reader")),
                         "new_password": "uma-senha-bem-longa"},
        "role": lambda: {"name": "novo-papel", "description": "Papel novo"},
        "auditentry": lambda: {"actor": "intruso", "action": "delete", "entity": "Customer",
                               "object_id": "999"},
        "importrun": lambda: {"actor": "intruso", "entity": "customer", "file_name": "x.csv"},
        "job": lambda: {"kind": "export", "entity": "customer", "status": "done"},
        "signinevent": lambda: {"kind": "login", "email": "intruso@teste.com.br",
                                "ip": "10.0.0.66"},
    }
    return forms[endpoint]()


def _first_category_name() -> str:
    return db.session.scalar(select(Category.name).order_by(Category.id).limit(1))


# A file of one valid line per importable screen (another screen gets the customers').
IMPORT_FILES = {
    "customer": lambda ids: f"CPF/CNPJ;Nome\r\n{random_cpf(_rng)};Cliente Importado\r\n",
    "supplier": lambda ids: f"CNPJ;Razão social\r\n{random_cnpj(_rng)};Fornecedor Importado\r\n",
    "category": lambda ids: "Nome\r\nCategoria Importada\r\n",
    "product": lambda ids: "SKU;Nome;Categoria\r\nSKU-IMP;Produto Importado;"
                           + _first_category_name() + "\r\n",
    "financialentry": lambda ids: ("Tipo;Descrição;Valor;Vencimento\r\n"
                                   "pagar;Importado;10,00;01/03/2026\r\n"),
}


# The forms of the POSTs that post the same whatever the screen.
FIXED_PAYLOADS = {
    **dict.fromkeys(("import apply", "customer restore deleted", "user restore deleted",
                     "audit restore deleted", "customer import undo", "customer view default",
                     "customer view default clear", "customer view delete"), {}),
    "customer restore version POST": {"version": "2"},
    "customer view save": {"name": "Visão do teste", "query": "search=a"},
    "user view save": {"name": "Visão do teste", "query": "search=a"},
    "customer view columns": {"column": "name", "action": "save"},
}


def payload(endpoint, operation, ids) -> dict:
    target = str(ids.get(endpoint))
    if operation == "import POST":
        content = IMPORT_FILES.get(endpoint, IMPORT_FILES["customer"])(ids)
        return {"file": (io.BytesIO(content.encode()), "importado.csv")}
    if operation in FIXED_PAYLOADS:
        return dict(FIXED_PAYLOADS[operation])
    if operation in ("create POST", "edit POST"):
        return _form(endpoint, ids)
    if operation == "delete POST":
        return {"id": target}
    if operation.startswith("action "):
        return {"action": operation.split(" ", 1)[1], "rowid": target}
    if operation == "ajax update":
        return {"list_form_pk": target, **_form(endpoint, ids)}
    raise AssertionError(operation)


# ---------------------------------------------------------------------------------------------
# The matrix test
# ---------------------------------------------------------------------------------------------
def _registered_endpoints(app) -> set[str]:
    return {view.endpoint for view in app.extensions["gestao_admin"]._views}


def _url(endpoint, operation, records) -> str:
    relative = OPERATIONS[operation][1]
    return f"/admin/{endpoint}/" + relative.format(
        id=records.get(endpoint), lookup=AJAX_LOOKUPS.get(endpoint, "nenhum"), **records)


def _outcome(response, url) -> str:
    """LOGIN, DENIED or OK as the table spells them; anything else described in words."""
    status, location = response.status_code, response.headers.get("Location", "")
    if status == 302 and location.startswith("/login"):
        parts = urlsplit(location)
        if parts.path == "/login" and parse_qs(parts.query).get("next") == [url]:
            return LOGIN
        return f"302 to {location} (login without the way back)"
    if status == 403:
        return DENIED
    if status == 200 or (status == 302 and response.request.method == "POST"):
        return OK
    return f"{status} {location}".strip()


def _request(client, method, url, data):
    if method == "GET":
        return client.get(url)
    return client.post(url, data=data)


@pytest.mark.parametrize("endpoint, role, expected", _rows())
def test_matrix_row(app, actors, records, endpoint, role, expected):
    """Every GET and every refused POST of one screen for one role; none of them writes."""
    client = actors(None if role == "anonymous" else role)
    token = csrf_token(client)
    actual = {}
    for operation in expected:
        method = OPERATIONS[operation][0]
        url = _url(endpoint, operation, records)
        data = {**payload(endpoint, operation, records), "csrf_token": token} \
            if method == "POST" else None
        before = snapshot()
        actual[operation] = _outcome(_request(client, method, url, data), url)
        if snapshot() != before:
            actual[operation] += f" and {method} {url} changed the database"
    assert actual == expected


@pytest.mark.parametrize("endpoint, operation, role", _allowed_writes())
def test_matrix_allowed_write(app, actors, records, endpoint, operation, role):
    """An allowed POST answers 200/302 and, its payload being valid, writes."""
    client = actors(role)
    records = _prepared(client, operation, records)
    url = _url(endpoint, operation, records)
    data = {**payload(endpoint, operation, records), "csrf_token": csrf_token(client)}
    before = snapshot()
    response = client.post(url, data=data)
    assert _outcome(response, url) == OK
    assert "/login" not in response.headers.get("Location", "")
    assert snapshot() != before, f"{role} {operation} {url}: allowed, yet nothing was written"


# ---------------------------------------------------------------------------------------------
# The matrix covers every screen there is
# ---------------------------------------------------------------------------------------------
def test_matrix_names_every_admin_screen(app):
    """A new screen (a new model gets one automatically) must be added to EXPECTED."""
    assert _registered_endpoints(app) - {"admin"} == set(EXPECTED)


def test_matrix_walks_every_admin_url(app):
    """Every URL rule under /admin/ (but static files and the dashboard, tested below) is one
    the table asks for."""
    for rule in app.url_map.iter_rules():
        view, _, method = rule.endpoint.partition(".")
        if not rule.rule.startswith("/admin/") or method == "static" or view == "admin":
            continue
        operation = ROUTE_OPERATIONS.get(rule.endpoint) or ROUTE_OPERATIONS.get(method)
        assert operation in EXPECTED.get(view, {}), (rule.rule, rule.endpoint)


def test_matrix_names_every_operation_and_action_of_each_model_screen(app):
    """So is a new bulk action (`@action` on an options class) or AJAX lookup."""
    for view in app.extensions["gestao_admin"]._views:
        if getattr(view, "model", None) is None:
            continue
        actions = {f"action {name}" for name in view._actions_data}
        assert "action delete" in actions, view.endpoint
        assert set(EXPECTED[view.endpoint]) == set(MODEL_OPERATIONS) | actions, view.endpoint
        lookups = set(view._form_ajax_refs or {})
        assert (AJAX_LOOKUPS.get(view.endpoint) in lookups) if lookups else \
            view.endpoint not in AJAX_LOOKUPS, view.endpoint


# ---------------------------------------------------------------------------------------------
# Dashboard, home and menu
# ---------------------------------------------------------------------------------------------
def test_home_redirects_to_the_dashboard(client):
    response = client.get("/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/admin/"


def test_anonymous_dashboard_redirects_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    parts = urlsplit(response.headers["Location"])
    assert parts.path == "/login"
    assert parse_qs(parts.query)["next"] == ["/admin/"]


@pytest.mark.parametrize("role", ["reader", "editor", "admin"])
def test_every_role_sees_the_dashboard(actors, role):
    response = actors(role).get("/admin/")
    assert response.status_code == 200
    assert f"{role}@teste.com.br" in response.get_data(as_text=True)


@pytest.mark.parametrize("role, sees_administration", [
    ("reader", False), ("editor", False), ("admin", True),
])
def test_menu_shows_administration_only_to_admins(actors, role, sees_administration):
    page = actors(role).get("/admin/").get_data(as_text=True)
    assert 'href="/admin/customer/"' in page
    for endpoint in ("user", "role", "auditentry", "migrations"):
        assert (f'href="/admin/{endpoint}/"' in page) is sees_administration, endpoint


@pytest.mark.parametrize("role, can_write", [("reader", False), ("editor", True)])
def test_list_offers_create_and_edit_only_to_writers(actors, records, role, can_write):
    page = actors(role).get("/admin/customer/").get_data(as_text=True)
    target = records["customer"]
    assert f"/admin/customer/details/?id={target}" in page
    assert ('href="/admin/customer/new/' in page) is can_write
    assert (f"/admin/customer/edit/?id={target}" in page) is can_write
    assert ('action="/admin/customer/delete/"' in page) is can_write
