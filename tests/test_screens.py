"""The generated business screens, driven the way a browser drives them: the form is read from
the rendered page, filled in and POSTed back with its CSRF token; what is checked is what a
person sees (status, flashed message, field error, list cell, exported file) and what the
database holds afterwards."""

import html
import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from admin_app.extensions import db
from admin_app.models import (
    Category, Customer, FinancialEntry, Order, OrderItem, Product, StockMovement, Supplier,
)
from tests.factories import (
    CategoryFactory, CustomerFactory, FinancialEntryFactory, OrderFactory, OrderItemFactory,
    ProductFactory, StockMovementFactory, SupplierFactory,
)
from tests.helpers.data import count, fresh, snapshot
from tests.helpers.forms import filter_arg, landed, read_form, submit
from tests.helpers.pages import alerts, cells, csv_rows, details, field_errors
from tests.helpers.words import brl, pt, ptn, said

VALID_CPF = "52998224725"            # 529.982.247-25
VALID_CNPJ = "11222333000181"        # 11.222.333/0001-81
OTHER_CNPJ = "45723174000110"        # 45.723.174/0001-10


# -- helpers: what the page says ----------------------------------------------------------------

def blocked(record, *refs: tuple[int, str]) -> str:
    """The message refusing to delete `record` referenced by (count, plural label) rows."""
    return said("%(record)s cannot be deleted: it is referenced by %(refs)s.", record=str(record),
                refs=", ".join(f"{n} × {pt(label)}" for n, label in refs))


def duplicate_refused(page, field: str, label) -> bool:
    """A unique value typed again is refused in Portuguese, next to the field (Flask-Admin's
    Unique validator) or in a flash naming the field (the database's unique constraint)."""
    return field_errors(page, field) == ["Já existe."] or (
        "danger", said("Another record already has this %(field)s.", field=pt(label))
    ) in alerts(page)


CREATED = "Registro criado com sucesso."   # Flask-Admin's pt_BR catalog
SAVED = "Registro salvo com sucesso."


# -- lists, details, HTML escaping --------------------------------------------------------------

def test_customer_list_details_and_formatted_document(admin_client):
    customer = CustomerFactory(document=VALID_CPF, name="Ana Ribeiro", city="Campinas", state="SP")
    company = CustomerFactory(document=VALID_CNPJ, name="Mercado Azul Ltda", state="RJ")

    listing = admin_client.get("/admin/customer/")
    assert listing.status_code == 200
    assert cells(listing, "name") == ["Ana Ribeiro", "Mercado Azul Ltda"]       # sorted by name
    assert cells(listing, "document") == ["529.982.247-25", "11.222.333/0001-81"]

    page = admin_client.get(f"/admin/customer/details/?id={customer.id}")
    assert page.status_code == 200
    shown = details(page)
    assert shown[pt("CPF/CNPJ")] == "529.982.247-25"
    assert shown[pt("Name")] == "Ana Ribeiro"
    assert details(admin_client.get(f"/admin/customer/details/?id={company.id}"))[
        pt("CPF/CNPJ")] == "11.222.333/0001-81"


def test_html_typed_in_a_text_field_is_shown_escaped(admin_client):
    hostile = '<script>alert("x")</script><b>Zé</b>'
    customer = CustomerFactory(name=hostile, notes=hostile)
    OrderFactory(customer=customer)
    category = CategoryFactory(name="<img src=x onerror=alert(1)>", description=hostile)

    for url in ("/admin/customer/", f"/admin/customer/details/?id={customer.id}",
                "/admin/order/", "/admin/category/", f"/admin/category/details/?id={category.id}"):
        body = admin_client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body, url
        assert "<img src=x" not in body, url
    listing = admin_client.get("/admin/customer/")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in listing.get_data(as_text=True) \
        or "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in listing.get_data(as_text=True)
    assert cells(listing, "name") == [hostile]                  # the user sees what was typed
    assert cells(admin_client.get("/admin/category/"), "name") == ["<img src=x onerror=alert(1)>"]


@pytest.mark.parametrize("endpoint", ["customer", "supplier", "category", "product", "order",
                                      "stockmovement", "financialentry"])
def test_every_business_list_and_details_page_opens(admin_client, endpoint):
    customer = CustomerFactory(name="Cliente Visível")
    product = ProductFactory(name="Produto Visível")
    StockMovementFactory(product=product, quantity=Decimal("5"))
    order = OrderFactory(customer=customer)
    OrderItemFactory(order=order, product=product)
    FinancialEntryFactory(description="Lançamento Visível", customer=customer)
    SupplierFactory(legal_name="Fornecedor Visível Ltda")
    model = {"customer": Customer, "supplier": Supplier, "category": Category,
             "product": Product, "order": Order, "stockmovement": StockMovement,
             "financialentry": FinancialEntry}[endpoint]
    row = fresh(model)[0]

    listing = admin_client.get(f"/admin/{endpoint}/")
    assert listing.status_code == 200
    assert f"/admin/{endpoint}/details/?id={row.id}" in listing.get_data(as_text=True)
    page = admin_client.get(f"/admin/{endpoint}/details/?id={row.id}")
    assert page.status_code == 200
    assert details(page), "the details page shows no fields"
    assert admin_client.get(f"/admin/{endpoint}/details/?id=999999",
                            follow_redirects=True).status_code in (200, 404)


# -- customers ----------------------------------------------------------------------------------

def test_customer_create_stores_digits_and_lists_formatted(admin_client):
    response = submit(admin_client, "/admin/customer/new/", {
        "document": "529.982.247-25", "name": "Beatriz Souza", "email": "bia@exemplo.com.br",
        "phone": "(19) 99999-0000", "city": "Campinas", "state": "SP", "active": "y",
        "notes": "Cliente desde 2020",
    })
    assert response.status_code == 302
    page = landed(admin_client, response)
    assert ("success", CREATED) in alerts(page)
    [customer] = fresh(Customer)
    assert (customer.document, customer.name, customer.state, customer.active) == \
        (VALID_CPF, "Beatriz Souza", "SP", True)
    assert cells(page, "document") == ["529.982.247-25"]


def test_customer_edit_changes_the_record(admin_client):
    customer = CustomerFactory(name="Carlos Lima", city="Campinas", state="SP")
    url = f"/admin/customer/edit/?id={customer.id}"
    form = read_form(admin_client.get(url))
    assert form["name"] == "Carlos Lima"
    response = submit(admin_client, url, {"name": "Carlos Lima Filho", "city": "Santos",
                                          "active": None})
    page = landed(admin_client, response)
    assert ("success", SAVED) in alerts(page)
    [saved] = fresh(Customer)
    assert (saved.name, saved.city, saved.active, saved.version) == \
        ("Carlos Lima Filho", "Santos", False, 2)


def test_invalid_cpf_is_shown_next_to_the_field_and_nothing_is_saved(admin_client):
    before = snapshot()
    response = submit(admin_client, "/admin/customer/new/",
                      {"document": "529.982.247-24", "name": "Dígito Errado", "state": "SP"})
    assert response.status_code == 200
    assert field_errors(response, "document") == [said("Invalid CPF: check the digits.")]
    assert field_errors(response, "name") == []
    assert snapshot() == before


def test_document_of_neither_length_is_refused(admin_client):
    before = snapshot()
    response = submit(admin_client, "/admin/customer/new/",
                      {"document": "1234567", "name": "Curto", "state": "SP"})
    assert response.status_code == 200
    assert field_errors(response, "document") == [
        said("Enter a CPF (11 digits) or a CNPJ (14 digits).")]
    assert snapshot() == before


def test_duplicate_document_is_refused_with_a_message(admin_client):
    CustomerFactory(document=VALID_CPF)
    before = snapshot()
    response = submit(admin_client, "/admin/customer/new/",
                      {"document": VALID_CPF, "name": "Outra Pessoa", "state": "SP"})
    page = landed(admin_client, response)
    assert duplicate_refused(page, "document", "CPF/CNPJ"), alerts(page)
    assert snapshot() == before


def test_search_by_the_document_as_the_list_shows_it(admin_client):
    CustomerFactory(document=VALID_CPF, name="Ana Ribeiro")
    listing = admin_client.get("/admin/customer/?search=529.982.247-25")
    assert cells(listing, "name") == ["Ana Ribeiro"]


def test_customer_search_and_filter(admin_client, app):
    CustomerFactory(document=VALID_CPF, name="Ana Ribeiro", city="Campinas", state="SP")
    CustomerFactory(name="Bruno Costa", city="Niterói", state="RJ")
    CustomerFactory(name="Carla Ribeiro", city="Recife", state="PE")

    assert cells(admin_client.get("/admin/customer/?search=Ribeiro"), "name") == \
        ["Ana Ribeiro", "Carla Ribeiro"]
    assert cells(admin_client.get(f"/admin/customer/?search={VALID_CPF[:6]}"), "name") == \
        ["Ana Ribeiro"]
    assert cells(admin_client.get("/admin/customer/?search=nada-disso"), "name") == []

    arg = filter_arg(app, "customer", "state", "FilterEqual")
    assert cells(admin_client.get(f"/admin/customer/?{arg}=RJ"), "name") == ["Bruno Costa"]


def test_customer_export_csv(admin_client):
    CustomerFactory(document=VALID_CPF, name="Ana Ribeiro", city="Campinas", state="SP")
    header, *data = csv_rows(admin_client.get("/admin/customer/export/csv/"))
    assert pt("CPF/CNPJ") in header and pt("Name") in header
    [row] = data
    record = dict(zip(header, row))
    assert record[pt("Name")] == "Ana Ribeiro"
    assert record[pt("CPF/CNPJ")] == "529.982.247-25"


def test_deleting_a_customer_without_references(admin_client):
    customer = CustomerFactory()
    form = admin_client.get("/admin/customer/").get_data(as_text=True)
    assert 'action="/admin/customer/delete/"' in form
    response = admin_client.post("/admin/customer/delete/", data={
        "id": str(customer.id), "url": "/admin/customer/",
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)[1]})
    page = landed(admin_client, response)
    assert [k for k, _ in alerts(page)] == ["success"]
    assert count(Customer) == 0


def test_deleting_a_customer_with_orders_names_them_and_changes_nothing(admin_client):
    customer = CustomerFactory(name="Cliente Fiel")
    OrderFactory(customer=customer)
    OrderFactory(customer=customer)
    before = snapshot()
    listing = admin_client.get("/admin/customer/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing)[1]
    response = admin_client.post("/admin/customer/delete/", data={
        "id": str(customer.id), "url": "/admin/customer/", "csrf_token": token})
    page = landed(admin_client, response)
    expected = blocked(str(customer), (2, "Orders"))
    assert ("danger", expected) in alerts(page)
    assert snapshot() == before


# -- suppliers ----------------------------------------------------------------------------------

def test_supplier_create_edit_and_list(admin_client):
    response = submit(admin_client, "/admin/supplier/new/", {
        "cnpj": VALID_CNPJ, "legal_name": "Distribuidora Norte S.A.", "trade_name": "Norte",
        "contact_name": "Paula", "email": "vendas@norte.com.br", "active": "y"})
    page = landed(admin_client, response)
    assert ("success", CREATED) in alerts(page)
    [supplier] = fresh(Supplier)
    assert supplier.cnpj == VALID_CNPJ
    assert cells(page, "cnpj") == ["11.222.333/0001-81"]

    url = f"/admin/supplier/edit/?id={supplier.id}"
    page = landed(admin_client, submit(admin_client, url, {"trade_name": "Norte Atacado"}))
    assert ("success", SAVED) in alerts(page)
    assert fresh(Supplier)[0].trade_name == "Norte Atacado"
    assert cells(page, "trade_name") == ["Norte Atacado"]
    assert details(admin_client.get(f"/admin/supplier/details/?id={supplier.id}"))[
        pt("CNPJ")] == "11.222.333/0001-81"


def test_invalid_supplier_cnpj_is_shown_next_to_the_field(admin_client):
    before = snapshot()
    response = submit(admin_client, "/admin/supplier/new/",
                      {"cnpj": "11222333000182", "legal_name": "Errada Ltda"})
    assert response.status_code == 200
    assert field_errors(response, "cnpj") == [said("Invalid CNPJ: check the digits.")]
    # a CPF is not a CNPJ
    response = submit(admin_client, "/admin/supplier/new/",
                      {"cnpj": VALID_CPF, "legal_name": "Pessoa Física"})
    assert said("Invalid CNPJ: check the digits.") in field_errors(response, "cnpj")
    assert snapshot() == before


def test_documents_typed_formatted_are_accepted_and_stored_as_digits(admin_client):
    """A CNPJ is written 11.222.333/0001-81 (18 characters) though stored in 14."""
    response = submit(admin_client, "/admin/supplier/new/",
                      {"cnpj": "11.222.333/0001-81", "legal_name": "Formatada Ltda"})
    assert response.status_code == 302, field_errors(response, "cnpj")
    assert [s.cnpj for s in fresh(Supplier)] == [VALID_CNPJ]
    response = submit(admin_client, "/admin/customer/new/",
                      {"document": "11.222.333/0001-81", "name": "Empresa Cliente Ltda",
                       "state": "SP"})
    assert response.status_code == 302, field_errors(response, "document")
    assert [(c.document, c.is_company) for c in fresh(Customer)] == [(VALID_CNPJ, True)]


def test_supplier_search_filter_and_export(admin_client, app):
    SupplierFactory(cnpj=VALID_CNPJ, legal_name="Alfa Comércio Ltda", active=True)
    SupplierFactory(cnpj=OTHER_CNPJ, legal_name="Beta Indústria S.A.", active=False)

    assert cells(admin_client.get("/admin/supplier/?search=Beta"), "legal_name") == \
        ["Beta Indústria S.A."]
    assert cells(admin_client.get(f"/admin/supplier/?search={VALID_CNPJ[:8]}"), "legal_name") == \
        ["Alfa Comércio Ltda"]
    arg = filter_arg(app, "supplier", "active", "BooleanEqualFilter")
    assert cells(admin_client.get(f"/admin/supplier/?{arg}=0"), "legal_name") == \
        ["Beta Indústria S.A."]

    header, *data = csv_rows(admin_client.get("/admin/supplier/export/csv/"))
    records = [dict(zip(header, row)) for row in data]
    assert [(r[pt("Legal name")], r[pt("CNPJ")]) for r in records] == [
        ("Alfa Comércio Ltda", "11.222.333/0001-81"), ("Beta Indústria S.A.", "45.723.174/0001-10")]


def test_supplier_delete_guarded_by_products(admin_client):
    used = SupplierFactory(cnpj=VALID_CNPJ, legal_name="Usado Ltda")
    free = SupplierFactory(cnpj=OTHER_CNPJ, legal_name="Livre Ltda")
    ProductFactory(supplier=used)
    listing = admin_client.get("/admin/supplier/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing)[1]

    page = landed(admin_client, admin_client.post("/admin/supplier/delete/", data={
        "id": str(used.id), "url": "/admin/supplier/", "csrf_token": token}))
    assert ("danger", blocked("Usado Ltda", (1, "Products"))) in alerts(page)
    page = landed(admin_client, admin_client.post("/admin/supplier/delete/", data={
        "id": str(free.id), "url": "/admin/supplier/", "csrf_token": token}))
    assert [s.legal_name for s in fresh(Supplier)] == ["Usado Ltda"]


# -- categories ---------------------------------------------------------------------------------

def test_category_create_edit_search_export(admin_client):
    page = landed(admin_client, submit(admin_client, "/admin/category/new/",
                                       {"name": "Limpeza", "description": "Produtos de limpeza"}))
    assert ("success", CREATED) in alerts(page)
    [category] = fresh(Category)
    url = f"/admin/category/edit/?id={category.id}"
    page = landed(admin_client, submit(admin_client, url, {"name": "Limpeza e Higiene"}))
    assert ("success", SAVED) in alerts(page)
    assert [c.name for c in fresh(Category)] == ["Limpeza e Higiene"]
    CategoryFactory(name="Bebidas")

    assert cells(admin_client.get("/admin/category/"), "name") == ["Bebidas", "Limpeza e Higiene"]
    assert cells(admin_client.get("/admin/category/?search=higiene"), "name") == \
        ["Limpeza e Higiene"]
    assert details(admin_client.get(f"/admin/category/details/?id={category.id}"))[
        pt("Description")] == "Produtos de limpeza"
    assert csv_rows(admin_client.get("/admin/category/export/csv/")) == [
        [pt("Name"), pt("Description")], ["Bebidas", ""],
        ["Limpeza e Higiene", "Produtos de limpeza"]]


def test_duplicate_category_name_is_refused(admin_client):
    CategoryFactory(name="Bebidas")
    before = snapshot()
    page = landed(admin_client, submit(admin_client, "/admin/category/new/", {"name": "Bebidas"}))
    assert duplicate_refused(page, "name", "Name"), alerts(page)
    assert snapshot() == before


def test_deleting_a_category_used_by_products_is_refused(admin_client):
    category = CategoryFactory(name="Ferragens")
    ProductFactory(category=category)
    ProductFactory(category=category)
    ProductFactory(category=category)
    before = snapshot()
    listing = admin_client.get("/admin/category/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing)[1]
    response = admin_client.post("/admin/category/delete/", data={
        "id": str(category.id), "url": "/admin/category/", "csrf_token": token})
    page = landed(admin_client, response)
    assert ("danger", blocked("Ferragens", (3, "Products"))) in alerts(page)
    assert snapshot() == before


def test_bulk_delete_deletes_the_free_rows_and_reports_the_referenced_ones(admin_client):
    used = CategoryFactory(name="Usada")
    free_a = CategoryFactory(name="Livre A")
    free_b = CategoryFactory(name="Livre B")
    ProductFactory(category=used)
    listing = admin_client.get("/admin/category/").get_data(as_text=True)
    assert 'id="action_form"' in listing
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing)[1]

    response = admin_client.post("/admin/category/action/", data={
        "action": "delete", "rowid": [str(free_a.id), str(used.id), str(free_b.id)],
        "url": "/admin/category/", "csrf_token": token})
    page = landed(admin_client, response)
    messages = alerts(page)
    assert ("success", ptn("%(num)s record deleted.", "%(num)s records deleted.", 2)) \
        in messages, messages
    assert ("danger", blocked("Usada", (1, "Products"))) in messages
    assert [c.name for c in fresh(Category)] == ["Usada"]
    assert cells(page, "name") == ["Usada"]


def test_bulk_delete_of_customers_some_with_orders(admin_client):
    with_order = CustomerFactory(name="Com Pedido")
    OrderFactory(customer=with_order)
    with_entry = CustomerFactory(name="Com Lançamento")
    FinancialEntryFactory(customer=with_entry)
    free = CustomerFactory(name="Sem Nada")
    listing = admin_client.get("/admin/customer/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing)[1]

    page = landed(admin_client, admin_client.post("/admin/customer/action/", data={
        "action": "delete", "rowid": [str(with_order.id), str(with_entry.id), str(free.id)],
        "url": "/admin/customer/", "csrf_token": token}))
    refused = [m for k, m in alerts(page) if k == "danger"]
    assert refused == [
        blocked(str(with_order), (1, "Orders")),
        blocked(str(with_entry), (1, "Financial entries")),
    ]
    assert sorted(c.name for c in fresh(Customer)) == ["Com Lançamento", "Com Pedido"]


# -- products -----------------------------------------------------------------------------------

def _product_form(category, **extra):
    data = {"sku": "PAP-0001", "name": "Papel A4", "description": "Resma 500 folhas",
            "category": str(category.id), "unit": "UN", "price": "1234.50", "cost": "20.00",
            "min_stock": "5", "active": "y"}
    data.update(extra)
    return data


def test_product_create_edit_list_and_export_money(admin_client):
    category = CategoryFactory(name="Papelaria")
    supplier = SupplierFactory(cnpj=VALID_CNPJ, legal_name="Papéis Ltda")
    page = landed(admin_client, submit(admin_client, "/admin/product/new/",
                                       _product_form(category, supplier=str(supplier.id))))
    assert ("success", CREATED) in alerts(page)
    [product] = fresh(Product)
    assert (product.sku, product.price, product.cost, product.stock, product.supplier_id) == \
        ("PAP-0001", Decimal("1234.50"), Decimal("20.00"), Decimal("0"), supplier.id)
    assert cells(page, "price") == [brl("1234.50")]
    assert cells(page, "category") == ["Papelaria"]

    url = f"/admin/product/edit/?id={product.id}"
    page = landed(admin_client, submit(admin_client, url,
                                       {"price": "29.90", "name": "Papel A4 75g"}))
    assert ("success", SAVED) in alerts(page)
    [product] = fresh(Product)
    assert (product.name, product.price, product.cost) == \
        ("Papel A4 75g", Decimal("29.90"), Decimal("20.00"))

    header, row = csv_rows(admin_client.get("/admin/product/export/csv/"))
    record = dict(zip(header, row))
    assert record[pt("SKU")] == "PAP-0001"
    assert record[pt("Price")] == brl("29.90") == "R$ 29,90"
    assert record[pt("Category")] == "Papelaria"


def test_product_money_is_formatted_in_list_and_export(admin_client):
    ProductFactory(sku="BIG-1", price=Decimal("1234567.89"))
    listing = admin_client.get("/admin/product/")
    assert cells(listing, "price") == [brl("1234567.89")]
    assert brl("1234567.89") == "R$ 1.234.567,89"
    header, row = csv_rows(admin_client.get("/admin/product/export/csv/"))
    assert dict(zip(header, row))[pt("Price")] == "R$ 1.234.567,89"


def test_duplicate_sku_is_refused_and_nothing_changes(admin_client):
    category = CategoryFactory()
    ProductFactory(sku="DUP-1", category=category)
    before = snapshot()
    response = submit(admin_client, "/admin/product/new/",
                      _product_form(category, sku="DUP-1", name="Outro"))
    page = landed(admin_client, response)
    assert duplicate_refused(page, "sku", "SKU"), alerts(page)
    assert snapshot() == before


def test_negative_price_is_refused_next_to_the_field(admin_client):
    category = CategoryFactory()
    before = snapshot()
    response = submit(admin_client, "/admin/product/new/", _product_form(category, price="-1"))
    assert response.status_code == 200
    assert field_errors(response, "price") == [said("Must be zero or more.")]
    assert snapshot() == before

    product = ProductFactory(category=category, price=Decimal("10.00"))
    before = snapshot()
    response = submit(admin_client, f"/admin/product/edit/?id={product.id}", {"price": "-0.01"})
    assert response.status_code == 200
    assert field_errors(response, "price") == [said("Must be zero or more.")]
    assert snapshot() == before


def test_product_search_and_filters(admin_client, app):
    tools = CategoryFactory(name="Ferramentas")
    food = CategoryFactory(name="Alimentos")
    ProductFactory(sku="FER-001", name="Martelo", category=tools, price=Decimal("45.00"))
    ProductFactory(sku="FER-002", name="Alicate", category=tools, price=Decimal("30.00"))
    ProductFactory(sku="ALI-001", name="Arroz", category=food, price=Decimal("25.00"))

    assert cells(admin_client.get("/admin/product/?search=FER-"), "sku") == ["FER-002", "FER-001"]
    assert cells(admin_client.get("/admin/product/?search=arroz"), "sku") == ["ALI-001"]
    arg = filter_arg(app, "product", "name", "FilterEqual")      # category.name
    assert cells(admin_client.get(f"/admin/product/?{arg}=Ferramentas"), "sku") == \
        ["FER-002", "FER-001"]
    arg = filter_arg(app, "product", "price", "FloatGreaterFilter")
    assert cells(admin_client.get(f"/admin/product/?{arg}=28"), "sku") == ["FER-002", "FER-001"]


def test_product_delete_guarded_by_movements(admin_client):
    moved = ProductFactory(sku="MOV-1")
    StockMovementFactory(product=moved)
    free = ProductFactory(sku="FREE-1")
    listing = admin_client.get("/admin/product/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing)[1]
    before = snapshot()
    page = landed(admin_client, admin_client.post("/admin/product/delete/", data={
        "id": str(moved.id), "url": "/admin/product/", "csrf_token": token}))
    assert ("danger", blocked(str(moved), (1, "Stock movements"))) in alerts(page)
    assert snapshot() == before
    landed(admin_client, admin_client.post("/admin/product/delete/", data={
        "id": str(free.id), "url": "/admin/product/", "csrf_token": token}))
    assert [p.sku for p in fresh(Product)] == ["MOV-1"]


# -- orders with inline items -------------------------------------------------------------------

def test_order_form_offers_inline_items_and_ajax_lookups(admin_client):
    CustomerFactory(name="Mariana Alves")
    ProductFactory(sku="CAF-500", name="Café 500 g")
    form = admin_client.get("/admin/order/new/").get_data(as_text=True)
    assert 'id="items"' in form and "inline-field-template" in form
    for name in ("product", "quantity", "unit_price"):
        assert f"name=&#34;{name}&#34;" in form or f'name="{name}"' in html.unescape(form)

    found = admin_client.get("/admin/order/ajax/lookup/?name=customer&query=Mari")
    assert found.status_code == 200
    assert [label for _, label in found.get_json()] == [str(fresh(Customer)[0])]
    found = admin_client.get("/admin/order/ajax/lookup/?name=orderitem-product&query=CAF")
    assert [label for _, label in found.get_json()] == ["CAF-500 — Café 500 g"]


def test_order_create_with_inline_items(admin_client):
    customer = CustomerFactory(name="Mariana Alves")
    coffee = ProductFactory(sku="CAF-500", price=Decimal("19.90"))
    rice = ProductFactory(sku="ARR-5", price=Decimal("27.90"))
    response = submit(admin_client, "/admin/order/new/", {
        "customer": str(customer.id), "status": "rascunho", "ordered_at": "2026-03-10 09:30:00",
        "discount": "5.00", "notes": "Entregar pela manhã",
        "items-0-product": str(coffee.id), "items-0-quantity": "3", "items-0-unit_price": "19.90",
        "items-1-product": str(rice.id), "items-1-quantity": "2", "items-1-unit_price": "27.90",
    })
    page = landed(admin_client, response)
    assert ("success", CREATED) in alerts(page)
    [order] = fresh(Order)
    assert re.fullmatch(r"2026-\d{6}", order.number)
    assert order.number == "2026-000001"
    assert order.status == "rascunho"
    assert sorted((i.product.sku, i.quantity, i.unit_price) for i in order.items) == [
        ("ARR-5", Decimal("2"), Decimal("27.90")), ("CAF-500", Decimal("3"), Decimal("19.90"))]
    assert order.total == Decimal("110.50")          # 59.70 + 55.80 - 5.00
    assert cells(page, "number") == ["2026-000001"]
    assert cells(page, "total") == [brl("110.50")]
    assert cells(page, "status") == [pt("Draft")]
    assert count(StockMovement) == 0                 # a draft moves no stock

    page = admin_client.get(f"/admin/order/details/?id={order.id}")
    assert details(page)[pt("Number")] == "2026-000001"


def test_order_edit_adds_an_item_and_confirms_moving_stock(admin_client):
    customer = CustomerFactory()
    coffee = ProductFactory(sku="CAF-500")
    sugar = ProductFactory(sku="ACU-5")
    StockMovementFactory(product=coffee, quantity=Decimal("10"))
    StockMovementFactory(product=sugar, quantity=Decimal("4"))
    order = OrderFactory(customer=customer)
    OrderItemFactory(order=order, product=coffee, quantity=Decimal("3"),
                     unit_price=Decimal("19.90"))
    url = f"/admin/order/edit/?id={order.id}"

    form = read_form(admin_client.get(url))
    assert form["items-0-product"] == str(coffee.id)
    page = landed(admin_client, submit(admin_client, url, {
        "items-1-product": str(sugar.id), "items-1-quantity": "4",
        "items-1-unit_price": "22.50"}))
    assert ("success", SAVED) in alerts(page)
    assert len(fresh(Order)[0].items) == 2

    page = landed(admin_client, submit(admin_client, url, {"status": "confirmado"}))
    assert ("success", SAVED) in alerts(page)
    assert fresh(Order)[0].status == "confirmado"
    stock = {p.sku: p.stock for p in fresh(Product)}
    assert stock == {"CAF-500": Decimal("7"), "ACU-5": Decimal("0")}
    outs = [(m.product.sku, m.quantity) for m in fresh(StockMovement, kind="saida")]
    assert sorted(outs) == [("ACU-5", Decimal("4")), ("CAF-500", Decimal("3"))]


def test_confirming_an_order_with_short_stock_names_the_products(admin_client):
    customer = CustomerFactory()
    coffee = ProductFactory(sku="CAF-500", name="Café")
    sugar = ProductFactory(sku="ACU-5", name="Açúcar")
    rice = ProductFactory(sku="ARR-5", name="Arroz")
    StockMovementFactory(product=coffee, quantity=Decimal("2"))
    StockMovementFactory(product=rice, quantity=Decimal("50"))
    order = OrderFactory(customer=customer)
    OrderItemFactory(order=order, product=coffee, quantity=Decimal("3"))
    OrderItemFactory(order=order, product=sugar, quantity=Decimal("1"))
    OrderItemFactory(order=order, product=rice, quantity=Decimal("1"))
    before = snapshot()

    response = submit(admin_client, f"/admin/order/edit/?id={order.id}", {"status": "confirmado"})
    page = landed(admin_client, response)
    [message] = [m for k, m in alerts(page) if k == "danger"]
    assert "CAF-500 — Café" in message and "ACU-5 — Açúcar" in message
    assert "ARR-5" not in message
    assert message.startswith(said("Insufficient stock: %(products)s", products="").strip())
    assert snapshot() == before


def test_items_of_a_confirmed_order_cannot_be_changed_on_screen(admin_client):
    customer = CustomerFactory()
    coffee = ProductFactory(sku="CAF-500")
    StockMovementFactory(product=coffee, quantity=Decimal("10"))
    order = OrderFactory(customer=customer)
    OrderItemFactory(order=order, product=coffee, quantity=Decimal("3"))
    db.session.refresh(order)
    order.status = "confirmado"
    db.session.commit()
    assert fresh(Product)[0].stock == Decimal("7")
    before = snapshot()

    url = f"/admin/order/edit/?id={order.id}"
    page = landed(admin_client, submit(admin_client, url, {"items-0-quantity": "5"}))
    message = said("Only a draft order's items can be changed (this order is %(status)s).",
                   status=pt("Confirmed"))
    assert ("danger", message) in alerts(page)
    assert snapshot() == before
    # an unrelated field of the same order can still be saved
    page = landed(admin_client, submit(admin_client, url, {"notes": "Cliente ligou"}))
    assert ("success", SAVED) in alerts(page)
    assert fresh(Order)[0].notes == "Cliente ligou"


def test_order_search_filter_export_and_delete(admin_client, app):
    ana = CustomerFactory(name="Ana Ribeiro")
    bruno = CustomerFactory(name="Bruno Costa")
    product = ProductFactory()
    StockMovementFactory(product=product, quantity=Decimal("10"))
    first = OrderFactory(customer=ana, ordered_at=datetime(2026, 2, 1, 12))
    OrderItemFactory(order=first, product=product, quantity=Decimal("2"),
                     unit_price=Decimal("1000.00"))
    second = OrderFactory(customer=bruno, ordered_at=datetime(2026, 2, 2, 12))
    OrderItemFactory(order=second, product=product, quantity=Decimal("1"))
    db.session.refresh(second)
    second.status = "confirmado"
    db.session.commit()
    first_number, second_number = first.number, second.number

    assert cells(admin_client.get("/admin/order/?search=Ribeiro"), "number") == [first_number]
    assert cells(admin_client.get(f"/admin/order/?search={second_number}"), "number") == \
        [second_number]
    arg = filter_arg(app, "order", "status", "FilterEqual")
    assert cells(admin_client.get(f"/admin/order/?{arg}=confirmado"), "number") == [second_number]

    header, *data = csv_rows(admin_client.get("/admin/order/export/csv/"))
    records = {row[0]: dict(zip(header, row)) for row in data}
    assert records[first_number][pt("Total")] == brl("2000.00")
    assert records[first_number][pt("Status")] == pt("Draft")
    assert records[second_number][pt("Status")] == pt("Confirmed")
    assert records[second_number][pt("Customer")] == str(bruno)

    # a draft order is deleted with its items; a confirmed one is held by its movements
    listing = admin_client.get("/admin/order/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing)[1]
    page = landed(admin_client, admin_client.post("/admin/order/delete/", data={
        "id": str(first.id), "url": "/admin/order/", "csrf_token": token}))
    assert [k for k, _ in alerts(page)] == ["success"]
    before = snapshot()
    page = landed(admin_client, admin_client.post("/admin/order/delete/", data={
        "id": str(second.id), "url": "/admin/order/", "csrf_token": token}))
    assert ("danger", blocked(second_number, (1, "Stock movements"))) \
        in alerts(page)
    assert snapshot() == before
    assert [o.number for o in fresh(Order)] == [second_number]
    assert count(OrderItem) == 1


def test_order_time_typed_is_the_time_shown(admin_client):
    """Forms, lists and details speak the user's time zone (America/Sao_Paulo, UTC-3)."""
    customer = CustomerFactory()
    page = landed(admin_client, submit(admin_client, "/admin/order/new/", {
        "customer": str(customer.id), "status": "rascunho", "ordered_at": "10/03/2026 10:30"}))
    assert cells(page, "ordered_at") == ["10/03/2026 10:30"]
    [order] = fresh(Order)
    assert order.ordered_at == datetime(2026, 3, 10, 13, 30)      # stored in UTC
    form = read_form(admin_client.get(f"/admin/order/edit/?id={order.id}"))
    assert form["ordered_at"] == "10/03/2026 10:30"


# -- stock movements ----------------------------------------------------------------------------

def test_stock_movement_create_changes_the_stock(admin_client):
    product = ProductFactory(sku="PAR-4")
    page = landed(admin_client, submit(admin_client, "/admin/stockmovement/new/", {
        "product": str(product.id), "kind": "entrada", "quantity": "12",
        "reason": "Compra NF 123"}))
    assert ("success", CREATED) in alerts(page)
    [movement] = fresh(StockMovement)
    assert (movement.kind, movement.quantity, movement.balance_after, movement.author.email) == \
        ("entrada", Decimal("12"), Decimal("12"), "admin@teste.com.br")
    assert fresh(Product)[0].stock == Decimal("12")
    assert cells(page, "kind") == [pt("Stock in")]

    page = landed(admin_client, submit(admin_client, "/admin/stockmovement/new/", {
        "product": str(product.id), "kind": "saida", "quantity": "5", "reason": "Uso interno"}))
    assert ("success", CREATED) in alerts(page)
    assert fresh(Product)[0].stock == Decimal("7")
    page = landed(admin_client, submit(admin_client, "/admin/stockmovement/new/", {
        "product": str(product.id), "kind": "ajuste", "quantity": "3", "reason": "Inventário"}))
    assert fresh(Product)[0].stock == Decimal("3")
    assert sorted(cells(page, "balance_after")) == ["12", "3", "7"]


def test_stock_out_larger_than_the_stock_is_refused(admin_client):
    product = ProductFactory(sku="PAR-4", name="Parafuso")
    StockMovementFactory(product=product, quantity=Decimal("5"))
    before = snapshot()
    response = submit(admin_client, "/admin/stockmovement/new/", {
        "product": str(product.id), "kind": "saida", "quantity": "6", "reason": "Venda balcão"})
    page = landed(admin_client, response)
    [message] = [m for k, m in alerts(page) if k == "danger"]
    assert message.startswith(said("Insufficient stock: %(products)s", products="").strip())
    assert "PAR-4 — Parafuso" in message
    assert snapshot() == before


def test_stock_movements_are_create_only_on_screen(admin_client):
    movement = StockMovementFactory()
    listing = admin_client.get("/admin/stockmovement/").get_data(as_text=True)
    assert "/admin/stockmovement/new/" in listing
    assert "/admin/stockmovement/edit/" not in listing
    assert 'action="/admin/stockmovement/delete/"' not in listing
    before = snapshot()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', listing)[1]
    assert admin_client.get(f"/admin/stockmovement/edit/?id={movement.id}").status_code == 403
    assert admin_client.post(f"/admin/stockmovement/edit/?id={movement.id}", data={
        "csrf_token": token, "quantity": "99"}).status_code == 403
    assert admin_client.post("/admin/stockmovement/delete/", data={
        "id": str(movement.id), "csrf_token": token}).status_code == 403
    assert admin_client.post("/admin/stockmovement/action/", data={
        "action": "delete", "rowid": [str(movement.id)], "csrf_token": token}).status_code == 403
    assert snapshot() == before


def test_stock_movement_filter_and_export(admin_client, app):
    product = ProductFactory(sku="FIO-25", name="Fio elétrico", price=Decimal("3.20"))
    StockMovementFactory(product=product, kind="entrada", quantity=Decimal("100"))
    StockMovementFactory(product=product, kind="saida", quantity=Decimal("30.5"))
    other = ProductFactory(sku="FIT-1", name="Fita isolante")
    StockMovementFactory(product=other, kind="entrada", quantity=Decimal("8"))

    arg = filter_arg(app, "stockmovement", "kind", "FilterEqual")
    assert cells(admin_client.get(f"/admin/stockmovement/?{arg}=saida"), "quantity") == ["30,5"]
    arg = filter_arg(app, "stockmovement", "name", "FilterLike")     # product.name
    assert sorted(cells(admin_client.get(f"/admin/stockmovement/?{arg}=Fita"), "quantity")) == \
        ["8"]
    header, *data = csv_rows(admin_client.get("/admin/stockmovement/export/csv/"))
    records = [dict(zip(header, row)) for row in data]
    out = [r for r in records if r[pt("Kind")] == pt("Stock out")]
    assert len(records) == 3 and len(out) == 1
    assert out[0][pt("Quantity")] == "30,5"
    assert out[0][pt("Stock after")] == "69,5"
    assert "FIO-25" in out[0][pt("Product")]


# -- financial entries --------------------------------------------------------------------------

def test_financial_entry_create_edit_list_export(admin_client):
    supplier = SupplierFactory(cnpj=VALID_CNPJ, legal_name="Imobiliária Centro Ltda")
    page = landed(admin_client, submit(admin_client, "/admin/financialentry/new/", {
        "kind": "pagar", "description": "Aluguel de março", "amount": "2500.00",
        "due_date": "2026-03-10", "paid_at": "", "supplier": str(supplier.id)}))
    assert ("success", CREATED) in alerts(page)
    [entry] = fresh(FinancialEntry)
    assert (entry.kind, entry.amount, entry.due_date, entry.paid_at, entry.supplier_id) == \
        ("pagar", Decimal("2500.00"), date(2026, 3, 10), None, supplier.id)
    assert cells(page, "amount") == [brl("2500.00")]
    assert cells(page, "kind") == [pt("Payable")]

    url = f"/admin/financialentry/edit/?id={entry.id}"
    page = landed(admin_client, submit(admin_client, url, {"paid_at": "2026-03-09"}))
    assert ("success", SAVED) in alerts(page)
    assert fresh(FinancialEntry)[0].paid_at == date(2026, 3, 9)
    assert cells(page, "status") == [pt("Paid")]

    header, row = csv_rows(admin_client.get("/admin/financialentry/export/csv/"))
    record = dict(zip(header, row))
    assert record[pt("Description")] == "Aluguel de março"
    assert record[pt("Amount")] == brl("2500.00") == "R$ 2.500,00"
    assert record[pt("Paid at")] == "09/03/2026"


def test_financial_entry_amount_must_be_positive(admin_client):
    before = snapshot()
    response = submit(admin_client, "/admin/financialentry/new/", {
        "kind": "receber", "description": "Zero", "amount": "0", "due_date": "2026-03-10"})
    assert response.status_code == 200
    assert field_errors(response, "amount") == [said("Must be greater than zero.")]
    assert snapshot() == before


def test_financial_entry_search_filter_and_delete(admin_client, app):
    today = date.today()
    FinancialEntryFactory(kind="receber", description="Venda pedido 12", due_date=today)
    FinancialEntryFactory(kind="pagar", description="Conta de luz", due_date=today)
    gone = FinancialEntryFactory(kind="pagar", description="Conta de água", due_date=today)

    assert sorted(cells(admin_client.get("/admin/financialentry/?search=conta"),
                        "description")) == ["Conta de luz", "Conta de água"]
    arg = filter_arg(app, "financialentry", "kind", "FilterEqual")
    assert cells(admin_client.get(f"/admin/financialentry/?{arg}=receber"), "description") == \
        ["Venda pedido 12"]

    listing = admin_client.get("/admin/financialentry/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing)[1]
    page = landed(admin_client, admin_client.post("/admin/financialentry/delete/", data={
        "id": str(gone.id), "url": "/admin/financialentry/", "csrf_token": token}))
    assert [k for k, _ in alerts(page)] == ["success"]
    assert sorted(e.description for e in fresh(FinancialEntry)) == \
        ["Conta de luz", "Venda pedido 12"]


# -- language -----------------------------------------------------------------------------------

def test_a_refused_create_is_announced_in_portuguese(admin_client):
    response = submit(admin_client, "/admin/customer/new/",
                      {"document": "529.982.247-24", "name": "Dígito Errado", "state": "SP"})
    assert ("danger", "Falha ao criar o registro.") in alerts(response)
    customer = CustomerFactory()
    response = submit(admin_client, f"/admin/customer/edit/?id={customer.id}",
                      {"document": "529.982.247-24"})
    assert response.status_code == 200
    assert [k for k, _ in alerts(response)] == ["danger"]
    assert "Failed" not in alerts(response)[0][1]


def test_edit_forms_show_numbers_a_browser_keeps(admin_client):
    """Decimal fields are text inputs (a browser drops `1234,50` from type=number) that show
    the value in the user's locale and open a decimal keypad on phones."""
    product = ProductFactory(price=Decimal("1234.50"), cost=Decimal("6.00"))
    order = OrderFactory(discount=Decimal("1.50"))
    OrderItemFactory(order=order, product=product, quantity=Decimal("3"))
    for url in (f"/admin/product/edit/?id={product.id}", f"/admin/order/edit/?id={order.id}"):
        body = admin_client.get(url).get_data(as_text=True)
        assert not re.findall(r'<input[^>]*type="number"[^>]*>', body), url
        decimals = re.findall(r'<input[^>]*inputmode="decimal"[^>]*>', body)
        assert decimals, url
        for control in decimals:
            assert 'type="text"' in control, control
    body = admin_client.get(f"/admin/product/edit/?id={product.id}").get_data(as_text=True)
    # money grouped, after the currency symbol: R$ [1.234,50]
    assert re.search(r'R\$</span></div><input[^>]*name="price"[^>]*value="1.234,50"', body)
