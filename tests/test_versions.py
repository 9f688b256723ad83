"""A record's versions: each audit entry carries the record's version counter after the
change (1 = as created); the history page and `python manage.py history ENTITY ID` number
them. (Issue 16's first part; restoring comes next.)"""

from decimal import Decimal

from admin_app.extensions import db
from admin_app.models import AuditEntry, Customer, Product
from tests.factories import CustomerFactory, ProductFactory
from tests.helpers.words import said


def history(app, *args):
    return app.test_cli_runner().invoke(args=["history", *args])


def edit(model, object_id, **values):
    """Load the record as a screen does, change it and commit."""
    record = db.session.get(model, object_id)
    for name, value in values.items():
        setattr(record, name, value)
    db.session.commit()


def test_each_change_records_the_records_version(app):
    customer = CustomerFactory(name="Ana")
    edit(Customer, customer.id, name="Ana Maria")
    edit(Customer, customer.id, city="Recife", phone="81 3333-4444")
    db.session.delete(db.session.get(Customer, customer.id))
    db.session.commit()
    entries = db.session.query(AuditEntry).filter_by(entity="Customer",
                                                     object_id=str(customer.id))
    assert [(e.action, e.version) for e in entries.order_by(AuditEntry.id)] == [
        ("create", 1), ("update", 2), ("update", 3), ("delete", 3)]


def test_history_command_lists_the_versions(app):
    product = ProductFactory(name="Caneta azul", price=Decimal("2.50"))
    edit(Product, product.id, price=Decimal("2.75"))
    edit(Product, product.id, name="Caneta azul fina", min_stock=Decimal("10"))
    result = history(app, "product", str(product.id))
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    with app.app_context():
        assert [line.split("  ")[0] for line in lines] == [
            said("version %(number)s", number=n) for n in (1, 2, 3)]
        assert said("Created") in lines[0]
        assert said("Changed") in lines[1] and lines[1].endswith(": " + _label(app, "price"))
        assert _label(app, "name") in lines[2] and _label(app, "min_stock") in lines[2]
    assert all("sistema" in line for line in lines)
    # the model's name works too
    assert history(app, "Product", str(product.id)).output == result.output


def _label(app, field):
    from admin_app.admin.history import field_label
    from admin_app.admin.screens import screens

    with app.test_request_context("/"):
        return field_label(screens(app).by_endpoint["product"], field)


def test_history_command_bad_input_exits_two(app):
    customer = CustomerFactory()
    for args in (["nothing", "1"], ["customer", "999999"], ["customer", "abc"],
                 ["customer", str(customer.id) + "0"]):
        result = history(app, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    assert history(app, "customer", str(customer.id)).exit_code == 0


def test_a_deleted_records_history_stays(app):
    customer = CustomerFactory()
    db.session.delete(db.session.get(Customer, customer.id))
    db.session.commit()
    result = history(app, "customer", str(customer.id))
    assert result.exit_code == 0
    with app.app_context():
        assert said("Deleted") in result.output.splitlines()[-1]


def test_the_history_page_numbers_the_versions(app, admin_client):
    customer = CustomerFactory(name="Bruno")
    edit(Customer, customer.id, name="Bruno Lima")
    page = admin_client.get(f"/admin/history/Customer/{customer.id}/").get_data(as_text=True)
    assert 'data-version="2"' in page and 'data-version="1"' in page
    with app.app_context():
        assert said("version %(number)s", number=2) in page
