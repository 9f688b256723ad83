"""Nothing lost to a mistake (issue 16): restore an earlier version from a record's history,
bring a deleted record back from its trash — through the screens and `manage.py restore` —
and every refusal: a clear message, nothing changed."""

from decimal import Decimal

from sqlalchemy import delete, select

from admin_app.extensions import db
from admin_app.models import AuditEntry, Customer, Order, OrderItem, Product, User
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory
from tests.helpers.auth import csrf_token, make_user
from tests.helpers.words import pt, said


def edit(model, object_id, **values):
    record = db.session.get(model, object_id)
    for name, value in values.items():
        setattr(record, name, value)
    db.session.commit()


def remove(model, object_id):
    db.session.delete(db.session.get(model, object_id))
    db.session.commit()


def fresh(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)


def last_entry(entity, object_id) -> AuditEntry:
    return db.session.scalar(select(AuditEntry).where(
        AuditEntry.entity == entity, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id.desc()).limit(1))


def restore_cli(app, *args):
    return app.test_cli_runner().invoke(args=["restore", *args])


def version_url(entity, object_id, number):
    return f"/admin/restore/{entity}/{object_id}/version/{number}/"


def customer_with_three_versions():
    customer = CustomerFactory(name="Ana Souza", city="Campinas", phone=None)
    edit(Customer, customer.id, name="Ana Maria Souza", phone="19 3333-4444")
    edit(Customer, customer.id, city="Recife")
    return customer.id


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def alerts(client, response) -> str:
    """The messages of the page a POST sent the user to."""
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return " ".join(part.split("</div>")[0].split("</button>")[-1].strip()
                    for part in page.split('class="alert ')[1:])


# -- an earlier version -------------------------------------------------------------------
def test_the_confirmation_shows_each_field_now_and_in_that_version(app, editor_client):
    customer_id = customer_with_three_versions()
    history = editor_client.get(f"/admin/history/Customer/{customer_id}/").get_data(as_text=True)
    assert version_url("Customer", customer_id, 1) in history
    assert version_url("Customer", customer_id, 3) not in history  # the current one
    page = editor_client.get(version_url("Customer", customer_id, 1)).get_data(as_text=True)
    assert said("Restore version %(number)s", number=1) in page
    name_row = page[page.index('data-field="name"'):]
    name_row = name_row[:name_row.index("</tr>")]
    assert 'data-changed="yes"' in name_row
    assert "Ana Maria Souza" in name_row and "Ana Souza" in name_row
    assert 'data-changed="no"' in page[page.index('data-field="email"'):]
    assert fresh(Customer, customer_id).version == 3  # looking changes nothing


def test_restoring_a_version_through_the_screen(app, editor_client):
    customer_id = customer_with_three_versions()
    response = post(editor_client, version_url("Customer", customer_id, 1), version="3")
    assert response.status_code == 302
    customer = fresh(Customer, customer_id)
    assert (customer.name, customer.city, customer.phone) == ("Ana Souza", "Campinas", None)
    assert customer.version == 4
    entry = last_entry("Customer", customer_id)
    assert (entry.action, entry.version, entry.restored_version) == ("update", 4, 1)
    assert entry.actor == "editor@teste.com.br"
    assert set(entry.changes) == {"name", "phone", "city"}
    page = editor_client.get(response.headers["Location"]).get_data(as_text=True)
    assert said("Restored version %(number)s", number=1) in page
    assert said("%(record)s: version %(number)s restored (now version %(now)s).",
                record=customer, number=1, now=4) in page
    # the restored record's history goes on: version 3 can be restored in turn
    assert version_url("Customer", customer_id, 3) in page


def test_a_confirmation_older_than_the_record_is_refused(app, editor_client, admin_client):
    customer_id = customer_with_three_versions()
    editor_client.get(version_url("Customer", customer_id, 1))
    # someone else restores version 2 in between: two people restoring at once
    assert post(admin_client, version_url("Customer", customer_id, 2),
                version="3").status_code == 302
    assert fresh(Customer, customer_id).version == 4
    response = post(editor_client, version_url("Customer", customer_id, 1), version="3")
    customer = fresh(Customer, customer_id)
    assert said("%(record)s was changed by %(who)s since the confirmation was shown; nothing "
                "was restored. Look at the values again before restoring.",
                record=customer, who="admin@teste.com.br") in alerts(editor_client, response)
    assert (customer.name, customer.city, customer.version) == ("Ana Maria Souza", "Campinas", 4)


def test_restoring_a_version_from_the_command_line(app):
    product = ProductFactory(name="Caneta", price=Decimal("2.50"))
    edit(Product, product.id, price=Decimal("2.75"), name="Caneta azul")
    result = restore_cli(app, "product", str(product.id), "--version", "1")
    assert result.exit_code == 0, result.output
    restored = fresh(Product, product.id)
    assert (restored.name, restored.price, restored.version) == ("Caneta", Decimal("2.50"), 3)
    assert last_entry("Product", product.id).restored_version == 1
    history = app.test_cli_runner().invoke(args=["history", "product", str(product.id)])
    lines = history.output.strip().splitlines()
    assert len(lines) == 3
    with app.app_context():
        assert lines[-1].endswith(said("Restored version %(number)s", number=1))


def test_command_line_refusals_and_unknowns(app):
    customer_id = customer_with_three_versions()
    for args, code in ((["nothing", "1"], 2), (["customer", "999999"], 2),
                       (["customer", "abc", "--version", "1"], 2),
                       (["customer", "999999", "--version", "1"], 2),
                       (["customer", str(customer_id), "--version", "9"], 1),
                       (["customer", str(customer_id), "--version", "3"], 1),
                       (["customer", str(customer_id)], 1)):
        result = restore_cli(app, *args)
        assert result.exit_code == code, (args, result.output)
        assert "Traceback" not in result.output
    assert fresh(Customer, customer_id).version == 3
    with app.app_context():
        result = restore_cli(app, "customer", str(customer_id), "--version", "9")
        assert said("%(record)s has no version %(number)s in its history.",
                    record=fresh(Customer, customer_id), number=9) in result.output


def test_a_version_that_breaks_a_rule_now_is_refused(app, editor_client):
    product = ProductFactory(stock=Decimal("10"))
    order = OrderFactory()
    OrderItemFactory(order=order, product=product, quantity=Decimal("2"))
    edit(Order, order.id, status="confirmado")
    edit(Order, order.id, status="cancelado")
    version = fresh(Order, order.id).version
    confirmed = last_entry("Order", order.id).version - 1
    response = post(editor_client, version_url("Order", order.id, confirmed),
                    version=str(version))
    assert said("An order cannot go from %(old)s to %(new)s.", old=pt("Cancelled"),
                new=pt("Confirmed")) in alerts(editor_client, response)
    assert fresh(Order, order.id).status == "cancelado"
    assert fresh(Product, product.id).stock == Decimal("10")


def test_history_without_its_creation_says_what_it_cannot_know(app, editor_client):
    customer = CustomerFactory(name="Ana", city="Campinas", phone=None)
    edit(Customer, customer.id, name="Ana Maria", phone="19 3333-4444")
    edit(Customer, customer.id, name="Ana Maria Souza", city="Recife")
    with db.engine.begin() as conn:  # as if the record predated the audit trail
        conn.execute(delete(AuditEntry.__table__).where(
            AuditEntry.entity == "Customer", AuditEntry.object_id == str(customer.id),
            AuditEntry.action == "create"))
    page = editor_client.get(version_url("Customer", customer.id, 2)).get_data(as_text=True)
    city = page[page.index('data-field="city"'):]
    assert said("not known") in city[:city.index("</tr>")]
    assert said("The history of this record starts before the audit trail kept whole "
                "records: the value of %(fields)s in that version is not known, so it stays "
                "as it is now.", fields="")[:60] in page
    assert post(editor_client, version_url("Customer", customer.id, 2),
                version="3").status_code == 302
    restored = fresh(Customer, customer.id)
    assert (restored.name, restored.phone, restored.city) == ("Ana Maria", "19 3333-4444",
                                                              "Recife")


# -- a deleted record ---------------------------------------------------------------------
def test_a_deleted_customer_comes_back_with_its_id(app, editor_client):
    customer = CustomerFactory(name="Bruno Lima", city="Santos")
    customer_id, document = customer.id, customer.document
    edit(Customer, customer_id, phone="13 3222-1111")
    remove(Customer, customer_id)
    trash = editor_client.get("/admin/history/Customer/trash/").get_data(as_text=True)
    assert f"/admin/restore/Customer/{customer_id}/" in trash
    response = post(editor_client, f"/admin/restore/Customer/{customer_id}/")
    assert response.status_code == 302
    back = fresh(Customer, customer_id)
    assert (back.name, back.city, back.phone, back.document) == (
        "Bruno Lima", "Santos", "13 3222-1111", document)
    assert back.version == 3  # goes on numbering where it stopped
    entry = last_entry("Customer", customer_id)
    assert (entry.action, entry.version, entry.restored_version) == ("create", 3, 2)
    trash = editor_client.get("/admin/history/Customer/trash/").get_data(as_text=True)
    assert f'data-id="{customer_id}"' not in trash
    # restoring it again: it is not deleted
    response = post(editor_client, f"/admin/restore/Customer/{customer_id}/")
    page = editor_client.get(response.headers["Location"]).get_data(as_text=True)
    assert said("%(entity)s #%(id)s is not deleted: it is in the list. To bring back earlier "
                "values, restore one of its versions.", entity="Cliente", id=customer_id) in page


def test_a_deleted_order_comes_back_with_all_its_items(app, editor_client):
    order = OrderFactory(notes="Entregar cedo")
    items = [OrderItemFactory(order=order, quantity=Decimal(q), unit_price=Decimal("3.50"))
             for q in ("2", "5")]
    order_id, number, item_ids = order.id, order.number, [i.id for i in items]
    response = post(editor_client, "/admin/order/delete/", id=str(order_id))
    assert response.status_code == 302 and fresh(Order, order_id) is None
    assert all(fresh(OrderItem, i) is None for i in item_ids)
    response = post(editor_client, f"/admin/restore/Order/{order_id}/")
    assert response.status_code == 302
    back = fresh(Order, order_id)
    assert (back.number, back.notes) == (number, "Entregar cedo")
    assert back.items_total == Decimal("24.50")
    assert [item.id for item in back.items] == item_ids
    assert [item.quantity for item in back.items] == [Decimal("2"), Decimal("5")]
    page = editor_client.get(response.headers["Location"]).get_data(as_text=True)
    assert said("%(record)s restored from the trash with id %(id)s, with %(count)s items.",
                record=number, id=order_id, count=2) in page


def test_a_new_record_never_takes_a_deleted_ones_id(app):
    newest = CustomerFactory()
    remove(Customer, newest.id)
    assert CustomerFactory().id > newest.id
    trash = deleted_entries_of("Customer")
    assert [entry.object_id for entry in trash] == [str(newest.id)]


def deleted_entries_of(entity):
    from admin_app.admin.screens import screens
    from admin_app.admin.trash import deleted_entries

    return deleted_entries(screens().by_model_name[entity])[0]


def test_restoring_a_deleted_record_from_the_command_line(app):
    customer = CustomerFactory(name="Carla Dias")
    remove(Customer, customer.id)
    result = restore_cli(app, "customer", str(customer.id))
    assert result.exit_code == 0, result.output
    assert fresh(Customer, customer.id).name == "Carla Dias"
    # and once back, its history can be restored version by version
    edit(Customer, customer.id, name="Carla D.")
    assert restore_cli(app, "Customer", str(customer.id), "--version", "2").exit_code == 0
    assert fresh(Customer, customer.id).name == "Carla Dias"


def test_a_unique_value_now_taken_refuses_the_restore(app, editor_client):
    gone = CustomerFactory(name="Primeiro Dono")
    gone_id, document = gone.id, gone.document
    remove(Customer, gone_id)
    CustomerFactory(name="Novo Dono", document=document)
    response = post(editor_client, f"/admin/restore/Customer/{gone_id}/")
    page = alerts(editor_client, response)
    assert "Novo Dono" in page and document in page
    assert fresh(Customer, gone_id) is None
    result = restore_cli(app, "customer", str(gone_id))
    assert result.exit_code == 1 and "Novo Dono" in result.output


def test_a_deleted_reference_is_offered_first(app, editor_client):
    order = OrderFactory()
    OrderItemFactory(order=order)
    order_id, customer_id = order.id, order.customer_id
    remove(Order, order_id)
    remove(Customer, customer_id)
    response = post(editor_client, f"/admin/restore/Order/{order_id}/")
    assert response.headers["Location"].endswith(f"/admin/history/Customer/trash/?q={customer_id}")
    page = editor_client.get(response.headers["Location"]).get_data(as_text=True)
    assert said("%(field)s %(target)s has been deleted; nothing was restored. Restore it first.",
                field="Cliente", target=f"#{customer_id}") in page
    assert f"/admin/restore/Customer/{customer_id}/" in page
    assert fresh(Order, order_id) is None and db.session.scalar(
        select(OrderItem.id).where(OrderItem.order_id == order_id)) is None
    assert post(editor_client, f"/admin/restore/Customer/{customer_id}/").status_code == 302
    assert post(editor_client, f"/admin/restore/Order/{order_id}/").status_code == 302
    assert fresh(Order, order_id).customer_id == customer_id


def test_bad_requests_change_nothing(app, editor_client):
    customer_id = customer_with_three_versions()
    for url, data in ((version_url("Customer", customer_id, 99), {"version": "3"}),
                      (version_url("Customer", "abc", 1), {"version": "3"}),
                      (version_url("Customer", "99999999999999", 1), {}),
                      (version_url("Order", customer_id, 1), {"version": "1"}),
                      (f"/admin/restore/Customer/{customer_id}/", {}),
                      ("/admin/restore/Customer/abc/", {}),
                      ("/admin/restore/Customer/424242/", {})):
        response = post(editor_client, url, **data)
        assert response.status_code == 302, url
        assert response.status_code != 500
    assert editor_client.get(version_url("Nothing", customer_id, 1)).status_code == 404
    assert fresh(Customer, customer_id).version == 3


# -- who may ------------------------------------------------------------------------------
def test_who_may_restore(app, actors, reader_client, editor_client, admin_client):
    customer_id = customer_with_three_versions()
    gone = make_user("antigo@teste.com.br", None)
    gone_id = gone.id
    remove(User, gone_id)
    assert reader_client.get(version_url("Customer", customer_id, 1)).status_code == 403
    assert post(reader_client, version_url("Customer", customer_id, 1),
                version="3").status_code == 403
    assert post(editor_client, f"/admin/restore/User/{gone_id}/").status_code == 403
    # a forged POST without the CSRF token
    response = editor_client.post(version_url("Customer", customer_id, 1), data={"version": "3"})
    assert response.status_code in (302, 400) and fresh(Customer, customer_id).version == 3
    assert fresh(User, gone_id) is None
    response = post(admin_client, f"/admin/restore/User/{gone_id}/")
    assert response.status_code == 302
    user = fresh(User, gone_id)
    assert user.email == "antigo@teste.com.br" and user.password is None and not user.roles
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert said("The user comes back without a password and without roles: set a new "
                "password and the roles before they sign in.") in page


# -- an import ----------------------------------------------------------------------------
CPF, CPF_2 = "52998224725", "39053344705"
HEADER = "CPF/CNPJ;Nome;E-mail;Cidade;UF;Ativo\r\n"


def imported(app, tmp_path, lines) -> int:
    from admin_app.models import ImportRun
    from admin_app.transfer.cli import import_command

    path = tmp_path / "clientes.csv"
    path.write_bytes((HEADER + "".join(lines)).encode())
    result = app.test_cli_runner().invoke(import_command, ["customer", str(path)])
    assert result.exit_code == 0, result.output
    return db.session.scalar(select(ImportRun.id).order_by(ImportRun.id.desc()).limit(1))


def by_document(document):
    db.session.expire_all()
    return db.session.scalar(select(Customer).where(Customer.document == document))


def test_an_import_is_undone_as_a_whole(app, tmp_path, editor_client):
    CustomerFactory(document=CPF, name="Ana", city="Campinas", state="SP")
    run_id = imported(app, tmp_path, [f"{CPF};Ana;;Sorocaba;SP;Sim\r\n",
                                      f"{CPF_2};Caio;;Rio;RJ;Sim\r\n"])
    assert by_document(CPF).city == "Sorocaba" and by_document(CPF_2) is not None
    page = editor_client.get("/admin/customer/import/").get_data(as_text=True)
    assert f"/admin/restore/import/{run_id}/" in page
    response = post(editor_client, f"/admin/restore/import/{run_id}/")
    assert said("Import no. %(id)s undone: %(deleted)s records it created deleted, "
                "%(reverted)s it changed given back their values.",
                id=run_id, deleted=1, reverted=1) in alerts(editor_client, response)
    assert by_document(CPF).city == "Campinas" and by_document(CPF_2) is None
    # once undone, there is nothing left to undo
    response = post(editor_client, f"/admin/restore/import/{run_id}/")
    assert said("Import no. %(id)s is not applied (or was undone already): there is nothing "
                "to undo.", id=run_id) in alerts(editor_client, response)
    assert restore_cli(app, "import", str(run_id)).exit_code == 1


def test_an_import_whose_records_changed_since_is_not_undone(app, tmp_path):
    run_id = imported(app, tmp_path, [f"{CPF};Ana;;Sorocaba;SP;Sim\r\n",
                                      f"{CPF_2};Caio;;Rio;RJ;Sim\r\n"])
    caio = by_document(CPF_2)
    edit(Customer, caio.id, city="Niterói")
    result = restore_cli(app, "import", str(run_id))
    assert result.exit_code == 1
    assert "Caio" in result.output and f"#{caio.id}" in result.output
    assert by_document(CPF) is not None and by_document(CPF_2).city == "Niterói"
    assert restore_cli(app, "import", "424242").exit_code == 2
    # an order now pointing to an imported customer keeps it too
    run_id = imported(app, tmp_path, ["11144477735;Duda;;Rio;RJ;Sim\r\n"])
    OrderFactory(customer=by_document("11144477735"))
    result = restore_cli(app, "import", str(run_id))
    assert result.exit_code == 1 and by_document("11144477735") is not None


def test_who_may_undo_an_import(app, tmp_path, reader_client, editor_client):
    run_id = imported(app, tmp_path, [f"{CPF};Ana;;Sorocaba;SP;Sim\r\n"])
    assert post(reader_client, f"/admin/restore/import/{run_id}/").status_code == 403
    assert editor_client.post(f"/admin/restore/import/{run_id}/").status_code in (302, 400)
    assert by_document(CPF) is not None
    assert post(editor_client, "/admin/restore/import/424242/").status_code == 404


def test_a_record_deleted_twice_is_once_in_the_trash(app):
    customer = CustomerFactory(name="Duas Vezes")
    remove(Customer, customer.id)
    assert restore_cli(app, "customer", str(customer.id)).exit_code == 0
    assert deleted_entries_of("Customer") == []
    remove(Customer, customer.id)
    assert [e.object_id for e in deleted_entries_of("Customer")] == [str(customer.id)]
    assert restore_cli(app, "customer", str(customer.id)).exit_code == 0
    assert fresh(Customer, customer.id).name == "Duas Vezes"
