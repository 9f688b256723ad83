"""The "Importar" screens: upload, preview that writes nothing, apply all-or-nothing, the
refusals (bad file, errors, a record changed since the preview, someone else's import, a
second apply), and who may do it."""

import io
import re
from urllib.parse import urlsplit

import openpyxl
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import AuditEntry, Customer, ImportRun
from tests import factories as f
from tests.helpers.auth import csrf_token
from tests.helpers.clients import post_file

CPF, CPF_2 = "52998224725", "39053344705"
GOOD = ("CPF/CNPJ;Nome;Cidade;UF;Ativo\r\n"
        f"{CPF};Ana Ribeiro;Campinas;SP;Sim\r\n{CPF_2};Caio Lima;Rio de Janeiro;RJ;Sim\r\n")


def upload(client, content, name="clientes.csv", endpoint="customer"):
    data = content.encode("cp1252") if isinstance(content, str) else content
    return post_file(client, f"/admin/{endpoint}/import/", data, name)


def apply_url(page: str) -> str:
    return re.search(r'<form method="POST" action="([^"]+/apply)"', page)[1]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_writers_see_the_import_link_readers_do_not(app, editor_client, reader_client):
    assert 'id="import-link"' in editor_client.get("/admin/customer/").get_data(as_text=True)
    assert 'id="import-link"' not in reader_client.get("/admin/customer/").get_data(
        as_text=True)


def test_the_upload_page_says_what_the_file_may_hold(editor_client):
    page = editor_client.get("/admin/product/import/").get_data(as_text=True)
    assert "SKU" in page and "Categoria" in page and 'type="file"' in page


def test_readers_get_403_and_anonymous_the_login(client, reader_client):
    assert reader_client.get("/admin/customer/import/").status_code == 403
    assert upload(reader_client, GOOD).status_code == 403
    for response in (client.get("/admin/customer/import/"), upload(client, GOOD)):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(ImportRun) == 0


def test_screens_that_take_no_import_answer_404(admin_client):
    assert admin_client.get("/admin/user/import/").status_code == 404
    assert admin_client.get("/admin/order/import/").status_code == 404


def test_preview_then_apply(app, editor_client):
    response = upload(editor_client, GOOD)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "novo: 2" in page and 'id="apply-import"' in page
    assert count(Customer) == 0  # the preview wrote nothing
    run = db.session.scalars(select(ImportRun)).one()
    assert (run.status, run.created, run.actor) == ("previewed", 2, "editor@teste.com.br")
    response = editor_client.post(apply_url(page), data={"csrf_token": csrf_token(editor_client)})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/admin/customer/"
    listing = editor_client.get("/admin/customer/").get_data(as_text=True)
    assert "Importação nº" in listing and "Ana Ribeiro" in listing
    assert count(Customer) == 2
    db.session.expire_all()
    assert db.session.get(ImportRun, run.id).status == "applied"
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "Customer")))
    assert len(entries) == 2 and all(
        e.import_id == run.id and e.actor == "editor@teste.com.br" for e in entries)


def test_an_xlsx_upload(app, editor_client):
    book = openpyxl.Workbook()
    book.active.append(["CPF/CNPJ", "Nome"])
    book.active.append([CPF, "Ana"])
    out = io.BytesIO()
    book.save(out)
    page = upload(editor_client, out.getvalue(), "c.xlsx").get_data(as_text=True)
    assert "novo: 1" in page


def test_a_bad_file_is_explained_and_writes_nothing(app, editor_client):
    response = upload(editor_client, "tanto faz", name="clientes.pdf")
    assert response.status_code == 400
    assert "Envie um arquivo CSV ou XLSX" in response.get_data(as_text=True)
    assert count(ImportRun) == 0


def test_a_missing_file_is_explained(editor_client):
    response = editor_client.post("/admin/customer/import/",
                                  data={"csrf_token": csrf_token(editor_client)})
    assert response.status_code == 400
    assert "Escolha um arquivo" in response.get_data(as_text=True)


def test_lines_with_errors_are_listed_and_cannot_be_applied(app, editor_client):
    page = upload(editor_client, GOOD + "123;Zé;;SP;Sim\r\n").get_data(as_text=True)
    assert 'id="apply-import"' not in page
    assert "linha 4, coluna CPF/CNPJ:" in page
    run = db.session.scalars(select(ImportRun)).one()
    response = editor_client.post(f"/admin/customer/import/{run.id}/apply",
                                  data={"csrf_token": csrf_token(editor_client)})
    assert response.status_code == 302 and count(Customer) == 0


def test_a_record_changed_since_the_preview_refuses_the_apply(app, editor_client):
    ana = f.CustomerFactory(document=CPF, name="Ana Ribeiro", city="Santos", state="SP",
                            email=None)
    db.session.commit()
    page = upload(editor_client, GOOD).get_data(as_text=True)
    assert "Santos → Campinas" in page
    ana = db.session.get(Customer, ana.id)
    ana.city = "Jundiaí"
    db.session.commit()
    response = editor_client.post(apply_url(page), data={"csrf_token": csrf_token(editor_client)},
                                  follow_redirects=True)
    assert "mudaram desde a prévia" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, ana.id).city == "Jundiaí" and count(Customer) == 1
    assert db.session.scalars(select(ImportRun)).one().status == "failed"


def test_only_its_author_applies_an_import_and_only_once(app, editor_client, admin_client):
    page = upload(editor_client, GOOD).get_data(as_text=True)
    token = {"csrf_token": csrf_token(admin_client)}
    assert admin_client.post(apply_url(page), data=token).status_code == 404
    assert count(Customer) == 0
    mine = {"csrf_token": csrf_token(editor_client)}
    assert editor_client.post(apply_url(page), data=mine).status_code == 302
    again = editor_client.post(apply_url(page), data=mine, follow_redirects=True)
    assert "já foi aplicada" in again.get_data(as_text=True)
    assert count(Customer) == 2


def test_posts_without_the_csrf_token_are_refused(app, editor_client):
    response = editor_client.post("/admin/customer/import/", data={
        "file": (io.BytesIO(GOOD.encode()), "c.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400 and count(ImportRun) == 0


def test_administrators_see_the_imports(app, editor_client, admin_client):
    upload(editor_client, GOOD)
    page = admin_client.get("/admin/importrun/").get_data(as_text=True)
    assert "clientes.csv" in page and "Prévia" in page
    assert editor_client.get("/admin/importrun/").status_code == 403


def test_an_upload_past_the_size_limit_is_refused_before_it_is_read(app, editor_client):
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    try:
        big = GOOD + f"{CPF};{'x' * 3 * 1024 * 1024};;SP;Sim\r\n"
        response = upload(editor_client, big)
        assert response.status_code == 413
        assert "Arquivo grande demais" in response.get_data(as_text=True)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 21 * 1024 * 1024
    assert count(ImportRun) == 0
