"""Exports as a Brazilian spreadsheet user opens them: CSV with `;` and a byte-order mark,
XLSX with typed cells (read back here by openpyxl), values as the list shows them, nothing
a spreadsheet would run as a formula, filtered and sorted like the list; and the same from
`python manage.py export`."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
from openpyxl.utils.escape import unescape
import pytest

from admin_app.extensions import db
from admin_app.transfer.cli import export_command
from tests import factories as f

FORMULA = '=HYPERLINK("http://x","ok")'


def csv_table(text: str, delimiter=";") -> list[dict]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=delimiter))


def xlsx_sheet(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return book.worksheets[0]


def xlsx_table(data: bytes) -> list[dict]:
    rows = list(xlsx_sheet(data).iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


@pytest.fixture()
def catalog(app):
    supplier = f.SupplierFactory(cnpj="11222333000181", legal_name="Distribuidora Ltda")
    category = f.CategoryFactory(name="Limpeza")
    f.ProductFactory(sku="SKU-1", name="Sabão", category=category, supplier=supplier,
                     price=Decimal("1234.56"), active=True)
    f.ProductFactory(sku="SKU-2", name="Balde", category=category, price=Decimal("9.90"),
                     active=False)
    db.session.commit()


def test_csv_is_what_brazilian_excel_reads(catalog, reader_client):
    response = reader_client.get("/admin/product/export/csv/")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = {r["SKU"]: r for r in csv_table(response.get_data(as_text=True))}
    assert rows["SKU-1"]["Preço"] == "R$\xa01.234,56"
    assert rows["SKU-1"]["Ativo"] == "Sim" and rows["SKU-2"]["Ativo"] == "Não"
    assert rows["SKU-1"]["Categoria"] == "Limpeza"
    assert rows["SKU-1"]["Fornecedor"] == "11.222.333/0001-81"  # the key an import finds
    assert rows["SKU-2"]["Fornecedor"] == ""


def test_csv_in_english_uses_commas_and_yes_no(catalog, reader_client):
    reader_client.get("/admin/?lang=en")
    text = reader_client.get("/admin/product/export/csv/").get_data(as_text=True)
    rows = {r["SKU"]: r for r in csv_table(text, delimiter=",")}
    assert rows["SKU-1"]["Active"] == "Yes" and rows["SKU-2"]["Active"] == "No"
    assert rows["SKU-1"]["Price"] == "R$1,234.56"


def test_xlsx_opens_in_openpyxl_with_typed_cells(catalog, reader_client):
    response = reader_client.get("/admin/product/export/xlsx/")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Cache-Control"] == "no-store"
    sheet = xlsx_sheet(response.data)
    assert sheet.title == "Produtos"
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    price = header.index("Preço")
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert rows["SKU-1"][price].value == pytest.approx(1234.56)
    assert rows["SKU-1"][price].number_format == '"R$" #,##0.00'
    assert rows["SKU-1"][header.index("Ativo")].value == "Sim"


def test_dates_are_date_cells(app, reader_client):
    f.FinancialEntryFactory(description="Aluguel", due_date=date(2026, 3, 10))
    db.session.commit()
    [row] = xlsx_table(reader_client.get("/admin/financialentry/export/xlsx/").data)
    assert row["Vencimento"].date() == date(2026, 3, 10)
    [line] = csv_table(reader_client.get("/admin/financialentry/export/csv/")
                       .get_data(as_text=True))
    assert line["Vencimento"] == "10/03/2026"


@pytest.mark.parametrize("name", [FORMULA, "+5511999", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formulas_are_neutralised_in_both_formats(app, reader_client, name):
    f.CustomerFactory(name=name)
    db.session.commit()
    [line] = csv_table(reader_client.get("/admin/customer/export/csv/").get_data(as_text=True))
    assert line["Nome"] == "'" + name
    sheet = xlsx_sheet(reader_client.get("/admin/customer/export/xlsx/").data)
    cell = sheet.cell(row=2, column=1)  # a CR is stored as _x000D_, which Excel reads back
    assert cell.data_type == "s" and unescape(cell.value) == "'" + name


def test_export_is_filtered_and_sorted_like_the_list(catalog, reader_client):
    f.ProductFactory(sku="SKU-3", name="Sabonete", price=Decimal("3.00"))
    db.session.commit()
    text = reader_client.get("/admin/product/export/csv/?search=Sab&sort=0&desc=1") \
        .get_data(as_text=True)
    assert [r["SKU"] for r in csv_table(text)] == ["SKU-3", "SKU-1"]


def test_other_tablib_formats_are_not_offered(catalog, reader_client):
    response = reader_client.get("/admin/product/export/json/")
    assert response.status_code == 302  # back to the list, with Flask-Admin's message


def test_anonymous_gets_the_login_for_an_xlsx(client):
    response = client.get("/admin/product/export/xlsx/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- the command line ----------------------------------------------------------------------

def test_command_writes_the_same_csv_as_the_screen(catalog, app, reader_client, tmp_path):
    target = tmp_path / "produtos.csv"
    result = app.test_cli_runner().invoke(export_command, [
        "product", "--format", "csv", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "2 rows exported" in result.output
    screen = reader_client.get("/admin/product/export/csv/").get_data(as_text=True)
    assert target.read_bytes().decode("utf-8") == screen


def test_command_writes_xlsx_and_searches(catalog, app, tmp_path):
    target = tmp_path / "produtos.xlsx"
    result = app.test_cli_runner().invoke(export_command, [
        "product", "--format", "xlsx", "--output", str(target), "--search", "Balde"])
    assert result.exit_code == 0, result.output
    assert [r["SKU"] for r in xlsx_table(target.read_bytes())] == ["SKU-2"]


def test_command_refuses_an_unknown_entity_with_exit_2(app, tmp_path):
    result = app.test_cli_runner().invoke(export_command, [
        "nada", "--output", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert "unknown entity 'nada'" in result.output and "customer" in result.output
    assert not (tmp_path / "x.csv").exists()
