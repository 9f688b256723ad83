"""Spreadsheet imports from the command line (`manage.py import ENTITY FILE [--dry-run]`):
every file dialect a Brazilian office sends, the preview's classes and messages, the
all-or-nothing apply with its audit trail, the round trip from an export, and bad files."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import (AuditEntry, Category, Customer, FinancialEntry, ImportRun,
                              Product, Supplier)
from admin_app.transfer import apply as applying, plan as planning
from admin_app.transfer.cli import export_command, import_command
from tests import factories as f

CPF, CPF_2 = "52998224725", "39053344705"      # 529.982.247-25, 390.533.447-05
CNPJ = "11222333000181"                         # 11.222.333/0001-81
HEADER = "CPF/CNPJ;Nome;E-mail;Cidade;UF;Ativo\r\n"


def run(app, entity, path, *flags):
    return app.test_cli_runner().invoke(import_command, [entity, str(path), *flags])


def write(tmp_path, name, content, encoding="utf-8") -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode(encoding))
    return path


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def customers() -> dict[str, Customer]:
    db.session.expire_all()
    return {c.document: c for c in db.session.scalars(select(Customer))}


# -- dialects -----------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, bom, sep", [
    ("utf-8", True, ";"), ("utf-8", False, ","), ("cp1252", False, ";"), ("utf-8", False, "\t"),
])
def test_csv_dialects(app, tmp_path, encoding, bom, sep):
    text = sep.join(["CPF/CNPJ", "Nome", "Cidade", "UF", "Ativo"]) + "\r\n" + \
        sep.join(["529.982.247-25", "João Conceição", "São Paulo", "SP", "Sim"]) + "\r\n" + \
        sep.join([CPF_2, "Zé Ávila", "Maceió", "AL", "não"]) + "\r\n"
    data = ("\ufeff" if bom else "") + text
    result = run(app, "customer", write(tmp_path, "clientes.csv", data, encoding))
    assert result.exit_code == 0, result.output + result.stderr
    rows = customers()
    assert rows[CPF].name == "João Conceição" and rows[CPF].city == "São Paulo"
    assert rows[CPF].active is True and rows[CPF_2].active is False
    assert rows[CPF_2].name == "Zé Ávila"


@pytest.mark.parametrize("yes, no", [("Sim", "Não"), ("true", "false"), ("1", "0"),
                                     ("yes", "no")])
def test_booleans(app, tmp_path, yes, no):
    data = HEADER + f"{CPF};A;;;;{yes}\r\n{CPF_2};B;;;;{no}\r\n"
    result = run(app, "customer", write(tmp_path, "c.csv", data))
    assert result.exit_code == 0, result.output
    rows = customers()
    assert rows[CPF].active is True and rows[CPF_2].active is False


@pytest.mark.parametrize("price", ["1.234,56", "1234.56", "R$ 1.234,56", "1234,56",
                                   "R$\xa01.234,56"])
def test_numbers(app, tmp_path, price):
    f.CategoryFactory(name="Limpeza")
    db.session.commit()
    data = f"SKU;Nome;Categoria;Preço\r\nP-1;Sabão;Limpeza;{price}\r\n"
    result = run(app, "product", write(tmp_path, "p.csv", data))
    assert result.exit_code == 0, result.output + result.stderr
    db.session.expire_all()
    assert db.session.scalars(select(Product)).one().price == Decimal("1234.56")


@pytest.mark.parametrize("due", ["10/03/2026", "2026-03-10"])
def test_dates_and_entries_without_a_key(app, tmp_path, due):
    data = ("Tipo;Descrição;Valor;Vencimento\r\n"
            f"A receber;Aluguel;1.500,00;{due}\r\n"
            f"pagar;Luz;R$ 230,10;{due}\r\n")
    result = run(app, "financialentry", write(tmp_path, "f.csv", data))
    assert result.exit_code == 0, result.output + result.stderr
    entries = {e.description: e for e in db.session.scalars(select(FinancialEntry))}
    assert entries["Aluguel"].kind == "receber" and entries["Luz"].kind == "pagar"
    assert entries["Aluguel"].due_date == date(2026, 3, 10)
    assert entries["Luz"].amount == Decimal("230.10")


def test_field_names_and_english_labels_are_headers_too(app, tmp_path):
    data = "document,name,City,state\r\n" + f"{CPF},Ana,Campinas,SP\r\n"
    assert run(app, "customer", write(tmp_path, "c.csv", data)).exit_code == 0
    assert customers()[CPF].city == "Campinas"


def test_xlsx_with_numbers_dates_and_a_cpf_that_lost_its_zeros(app, tmp_path):
    data = xlsx([["CPF/CNPJ", "Nome", "Ativo"], [int("01234567890"), "Zero", True],
                 [CPF, "Ana", "Sim"]])
    result = run(app, "customer", write(tmp_path, "c.xlsx", data))
    assert result.exit_code == 0, result.output + result.stderr
    assert set(customers()) == {"01234567890", CPF}


def test_related_records_by_name_or_key(app, tmp_path):
    f.CategoryFactory(name="Limpeza")
    f.SupplierFactory(cnpj=CNPJ, legal_name="Distribuidora Ltda", trade_name="Distri")
    db.session.commit()
    data = ("SKU;Nome;Categoria;Fornecedor\r\n"
            "P-1;A;limpeza;11.222.333/0001-81\r\n"
            "P-2;B;Limpeza;Distri\r\n"
            "P-3;C;Limpeza;\r\n")
    result = run(app, "product", write(tmp_path, "p.csv", data))
    assert result.exit_code == 0, result.output + result.stderr
    products = {p.sku: p for p in db.session.scalars(select(Product))}
    assert products["P-1"].supplier.cnpj == CNPJ and products["P-2"].supplier.cnpj == CNPJ
    assert products["P-3"].supplier is None and products["P-1"].category.name == "Limpeza"


# -- preview --------------------------------------------------------------------------------

def test_preview_classifies_every_line_and_writes_nothing(app, tmp_path):
    f.CustomerFactory(document=CPF, name="Ana", city="Campinas", state="SP", email=None)
    f.CustomerFactory(document="11144477735", name="Bia", city="Santos", state="SP",
                      email=None)
    db.session.commit()
    data = HEADER + (f"{CPF};Ana;;Sorocaba;SP;Sim\r\n"          # changed: city
                     "111.444.777-35;Bia;;Santos;SP;Sim\r\n"    # unchanged
                     f"{CPF_2};Caio;;Rio;RJ;Sim\r\n"            # new
                     "12345678900;Duda;;;SP;Sim\r\n")           # error: check digits
    before = {c.document: (c.city, c.version) for c in customers().values()}
    audited = count(AuditEntry)
    result = run(app, "customer", write(tmp_path, "c.csv", data), "--dry-run")
    assert result.exit_code == 1  # the file has an error
    assert "4 linhas (novas: 1, alteradas: 1, sem alteração: 1, com erro: 1)" in result.output
    assert f"{CPF}: Cidade: Campinas → Sorocaba" in result.output
    assert "linha 5, coluna CPF/CNPJ: CPF inválido" in result.stderr
    assert {c.document: (c.city, c.version) for c in customers().values()} == before
    assert count(ImportRun) == 0 and count(AuditEntry) == audited


def test_dry_run_of_a_good_file_exits_0_and_writes_nothing(app, tmp_path):
    data = HEADER + f"{CPF};Ana;;;;Sim\r\n"
    result = run(app, "customer", write(tmp_path, "c.csv", data), "--dry-run")
    assert result.exit_code == 0 and "nada foi gravado" in result.output
    assert count(Customer) == 0


@pytest.mark.parametrize("line, message", [
    (f"{CPF};Ana;ana@;;SP;Sim", "coluna E-mail: Endereço de e-mail inválido."),
    (f"{CPF};Ana;;;XX;Sim", "coluna UF: XX não é uma das opções"),
    (f"{CPF};;;;SP;Sim", "coluna Nome:"),
    (f"{CPF};Ana;;;SP;talvez", "coluna Ativo: talvez não é Sim nem Não"),
    (f"{CPF};=HYPERLINK(\"x\");;;SP;Sim", "coluna Nome: fórmulas não são aceitas"),
    (";Ana;;;SP;Sim", "coluna CPF/CNPJ:"),
])
def test_each_bad_cell_names_line_column_and_reason(app, tmp_path, line, message):
    result = run(app, "customer", write(tmp_path, "c.csv", HEADER + line + "\r\n"))
    assert result.exit_code == 1
    assert f"linha 2, {message}" in result.stderr, result.stderr
    assert count(Customer) == 0


def test_a_key_twice_is_an_error_on_both_lines(app, tmp_path):
    data = HEADER + f"{CPF};Ana;;;;Sim\r\n{CPF_2};Bia;;;;Sim\r\n529.982.247-25;Ana 2;;;;Sim\r\n"
    result = run(app, "customer", write(tmp_path, "c.csv", data))
    assert result.exit_code == 1
    assert "linha 2, coluna CPF/CNPJ: 52998224725 também está na linha 4" in result.stderr
    assert "linha 4, coluna CPF/CNPJ: 52998224725 também está na linha 2" in result.stderr
    assert count(Customer) == 0


def test_a_related_record_that_does_not_exist(app, tmp_path):
    data = "SKU;Nome;Categoria\r\nP-1;A;Inexistente\r\n"
    result = run(app, "product", write(tmp_path, "p.csv", data))
    assert result.exit_code == 1
    assert "linha 2, coluna Categoria: não existe categoria Inexistente" in result.stderr


# -- apply ----------------------------------------------------------------------------------

def test_apply_writes_all_with_one_audit_entry_per_record_marked_with_the_import(app, tmp_path):
    f.CustomerFactory(document=CPF, name="Ana", city="Campinas", state="SP", email=None)
    db.session.commit()
    data = HEADER + f"{CPF};Ana;;Sorocaba;SP;Sim\r\n{CPF_2};Caio;;Rio;RJ;Sim\r\n"
    result = run(app, "customer", write(tmp_path, "c.csv", data))
    assert result.exit_code == 0, result.stderr
    run_row = db.session.scalars(select(ImportRun)).one()
    assert (run_row.status, run_row.created, run_row.changed, run_row.file_name,
            run_row.actor) == ("applied", 1, 1, "c.csv", "cli")
    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.import_id == run_row.id).order_by(AuditEntry.id)))
    assert sorted((e.action, e.entity) for e in entries) == [("create", "Customer"),
                                                             ("update", "Customer")]
    update = next(e for e in entries if e.action == "update")
    assert update.changes == {"city": {"old": "Campinas", "new": "Sorocaba"}}
    rows = customers()
    assert rows[CPF].version == 2 and rows[CPF_2].city == "Rio"


def test_one_bad_line_applies_nothing(app, tmp_path):
    data = HEADER + f"{CPF};Ana;;;SP;Sim\r\n12345678900;Duda;;;SP;Sim\r\n"
    result = run(app, "customer", write(tmp_path, "c.csv", data))
    assert result.exit_code == 1 and count(Customer) == 0 and count(AuditEntry) == 0


def test_a_record_changed_after_the_preview_refuses_the_whole_import(app):
    ana = f.CustomerFactory(document=CPF, name="Ana", city="Campinas", state="SP")
    db.session.commit()
    view = next(v for v in app.extensions["gestao_admin"]._views if v.endpoint == "customer")
    data = (HEADER + f"{CPF};Ana;;Sorocaba;SP;Sim\r\n{CPF_2};Caio;;;;Sim\r\n").encode()
    with app.test_request_context("/admin/customer/"):
        plan = planning.preview(view, "c.csv", data, 1000, 20)
        run_row = applying.record_preview(plan, None, "teste")
        db.session.commit()
        ana = db.session.get(Customer, ana.id)
        ana.city = "Jundiaí"  # someone saves the record meanwhile
        db.session.commit()
        with pytest.raises(applying.ImportRefused, match=CPF):
            applying.apply(view, plan, run_row, None, "teste")
    db.session.expire_all()
    assert db.session.get(Customer, ana.id).city == "Jundiaí"
    assert count(Customer) == 1
    assert db.session.get(ImportRun, run_row.id).status == "failed"


@pytest.mark.parametrize("entity, make", [
    ("customer", lambda: f.CustomerFactory(name="Ana Ribeiro", email="ana@exemplo.com.br",
                                           phone="(11) 99999-0000")),
    ("customer", lambda: f.CustomerFactory(name="-Ana\tRibeiro_x0041_", notes="a\r\nb\rc")),
    ("supplier", lambda: f.SupplierFactory(trade_name="Distri", contact_name="Rui")),
    ("category", lambda: f.CategoryFactory(description="Produtos; de \"limpeza\"")),
    ("product", lambda: f.ProductFactory(supplier=f.SupplierFactory(), price=Decimal("1234.5"),
                                         min_stock=Decimal("2.5"), active=False)),
])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_imported_back_changes_nothing(app, tmp_path, entity, make, file_format):
    for _ in range(3):
        make()
    db.session.commit()
    audited = count(AuditEntry)
    target = tmp_path / f"export.{file_format}"
    exported = app.test_cli_runner().invoke(export_command, [
        entity, "--format", file_format, "--output", str(target)])
    assert exported.exit_code == 0, exported.output
    result = run(app, entity, target)
    assert result.exit_code == 0, result.output + result.stderr
    assert "novas: 0, alteradas: 0, sem alteração: 3, com erro: 0" in result.output
    assert count(AuditEntry) == audited  # nothing written since the records were made


# -- bad files ------------------------------------------------------------------------------

def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize("name, content, message", [
    ("c.txt", HEADER, "Envie um arquivo CSV ou XLSX"),
    ("c.csv", "", "O arquivo está vazio."),
    ("c.csv", b"CPF/CNPJ;Nome\r\n\x00\x00;x\r\n", "bytes nulos"),
    ("c.xlsx", b"PK\x03\x04 not really", "não é uma planilha XLSX válida"),
    ("c.xlsx", HEADER, "não é uma planilha XLSX válida"),
    ("c.csv", ";".join(f"c{i}" for i in range(10_000)) + "\r\n", "mais de 200 colunas"),
    ("c.csv", HEADER + CPF + ";" + "x" * (1024 * 1024 + 10) + "\r\n", "tem mais de 1024 KB"),
    ("c.csv", "Nome;Sapato\r\nAna;41\r\n", "Colunas desconhecidas: Sapato"),
    ("c.csv", "Nome;Cidade\r\nAna;Santos\r\n", "Faltam colunas obrigatórias: CPF/CNPJ"),
    ("c.csv", HEADER, "nenhuma linha"),
    ("c.csv", "Nome;Nome;CPF/CNPJ\r\nA;B;1\r\n", "A coluna Nome aparece duas vezes"),
])
def test_bad_files_are_refused_in_portuguese(app, tmp_path, name, content, message):
    result = run(app, "customer", write(tmp_path, name, content))
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert count(Customer) == 0 and count(ImportRun) == 0


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(app, tmp_path):
    result = run(app, "customer", write(tmp_path, "bomba.xlsx", _bomb()))
    assert result.exit_code == 1 and "se expande para mais de" in result.stderr


def test_an_xlsx_formula_is_refused(app, tmp_path):
    data = xlsx([["CPF/CNPJ", "Nome"], [CPF, "=CONCAT(\"A\",\"na\")"]])
    result = run(app, "customer", write(tmp_path, "c.xlsx", data))
    assert result.exit_code == 1
    assert "linha 2, coluna Nome: fórmulas não são aceitas" in result.stderr


def test_row_and_size_limits(app, tmp_path):
    app.config["GESTAO_IMPORT_MAX_ROWS"], app.config["GESTAO_IMPORT_MAX_MB"] = 2, 1
    try:
        rows = HEADER + "".join(f"{CPF};A{i};;;;Sim\r\n" for i in range(3))
        assert "mais de 2 linhas" in run(app, "customer", write(tmp_path, "a.csv", rows)).stderr
        big = HEADER + (f"{CPF};{'x' * 1000};;;;Sim\r\n" * 1100)
        assert "mais de 1 MB" in run(app, "customer", write(tmp_path, "b.csv", big)).stderr
    finally:
        app.config["GESTAO_IMPORT_MAX_ROWS"], app.config["GESTAO_IMPORT_MAX_MB"] = 200_000, 20


def test_unknown_entity_exits_2(app, tmp_path):
    result = run(app, "auditentry", write(tmp_path, "c.csv", HEADER))
    assert result.exit_code == 2
    assert count(Category) == 0 and count(Supplier) == 0
