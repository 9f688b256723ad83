"""Imports and exports bigger than GESTAO_JOB_ROWS run as background jobs: the page follows
their progress and keeps their result; a real worker process (`manage.py worker`) runs
them, and one killed half-way leaves the database as it was and the job failed."""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import select

from admin_app.demo import random_cpf
from admin_app.extensions import db
from admin_app.models import Customer, ImportRun, Job
from tests import factories as f
from tests.helpers.auth import csrf_token
from tests.helpers.clients import post_file
from tests.helpers.data import count

HEADER = "CPF/CNPJ;Nome;Cidade;UF;Ativo\r\n"


def customers_file(count: int, seed: int = 7) -> bytes:
    import random
    rng = random.Random(seed)
    lines = "".join(f"{random_cpf(rng)};Cliente {i};Campinas;SP;Sim\r\n" for i in range(count))
    return (HEADER + lines).encode()


def upload(client, data: bytes, name="clientes.csv"):
    return post_file(client, "/admin/customer/import/", data, name)


@pytest.fixture()
def small_jobs(app):
    app.config["GESTAO_JOB_ROWS"] = 5
    yield
    app.config["GESTAO_JOB_ROWS"] = 10_000


def test_a_big_import_is_previewed_and_applied_by_jobs(app, editor_client, small_jobs):
    response = upload(editor_client, customers_file(8))
    assert response.status_code == 302
    page_url = urlsplit(response.headers["Location"]).path
    assert re.fullmatch(r"/admin/jobs/\d+/", page_url)
    page = editor_client.get(page_url).get_data(as_text=True)  # done: the preview itself
    assert "novo: 8" in page and 'id="apply-import"' in page
    assert count(Customer) == 0
    apply = re.search(r'<form method="POST" action="([^"]+/apply)"', page)[1]
    response = editor_client.post(apply, data={"csrf_token": csrf_token(editor_client)})
    job_url = urlsplit(response.headers["Location"]).path
    state = editor_client.get(job_url + "status.json").get_json()
    assert (state["status"], state["percent"], state["finished"]) == ("done", 100, True)
    assert "A importação foi aplicada." in editor_client.get(job_url).get_data(as_text=True)
    assert count(Customer) == 8
    assert db.session.scalars(select(ImportRun)).one().status == "applied"


def test_a_job_is_seen_only_by_its_owner_and_administrators(app, editor_client, actors,
                                                            admin_client, small_jobs):
    job_url = urlsplit(upload(editor_client, customers_file(8)).headers["Location"]).path
    other = actors("reader")
    assert other.get(job_url).status_code == 404
    assert other.get(job_url + "status.json").status_code == 404
    assert admin_client.get(job_url).status_code == 200
    assert job_url not in other.get("/admin/jobs/").get_data(as_text=True)
    assert job_url in editor_client.get("/admin/jobs/").get_data(as_text=True)


def test_a_big_export_is_written_by_a_job_and_downloaded(app, reader_client, small_jobs):
    for n in range(7):
        f.CustomerFactory(name=f"Exportado {n}")
    db.session.commit()
    response = reader_client.get("/admin/customer/export/csv/?search=Exportado")
    assert response.status_code == 302
    job_url = urlsplit(response.headers["Location"]).path
    page = reader_client.get(job_url).get_data(as_text=True)
    download = re.search(r'id="job-download" href="([^"]+)"', page)[1]
    assert "7 linhas" in page
    file = reader_client.get(download)
    assert file.status_code == 200 and file.headers["Cache-Control"] == "no-store"
    text = file.get_data(as_text=True)
    assert text.startswith("\ufeffNome;CPF/CNPJ") and text.count("Exportado") == 7
    app.config["GESTAO_JOB_ROWS"] = 10_000
    direct = reader_client.get("/admin/customer/export/csv/?search=Exportado")
    assert direct.get_data(as_text=True) == text


def test_a_job_that_fails_says_why(app, editor_client, small_jobs):
    f.CustomerFactory(document="52998224725", name="Ana", email=None, city="Santos",
                      state="SP")
    db.session.commit()
    data = customers_file(8) + b"52998224725;Ana;Campinas;SP;Sim\r\n"
    job_url = urlsplit(upload(editor_client, data).headers["Location"]).path
    page = editor_client.get(job_url).get_data(as_text=True)
    apply = re.search(r'<form method="POST" action="([^"]+/apply)"', page)[1]
    ana = db.session.scalars(select(Customer)).one()
    ana.city = "Jundiaí"  # changed since the preview
    db.session.commit()
    response = editor_client.post(apply, data={"csrf_token": csrf_token(editor_client)})
    job_page = editor_client.get(urlsplit(response.headers["Location"]).path)
    assert "mudaram desde a prévia" in job_page.get_data(as_text=True)
    assert count(Customer) == 1
    assert db.session.scalars(select(Job).where(Job.kind == "import-apply")).one().status \
        == "failed"


# -- a real worker -----------------------------------------------------------------------

def start_worker(app):
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "GESTAO_IMPORT_DIR": app.config["GESTAO_IMPORT_DIR"],
           "GESTAO_EXPORT_DIR": app.config["GESTAO_EXPORT_DIR"],
           "SECRET_KEY": app.config["SECRET_KEY"],
           "SECURITY_PASSWORD_SALT": app.config["SECURITY_PASSWORD_SALT"]}
    return subprocess.Popen([sys.executable, "manage.py", "worker", "--workers", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(client, job_url, predicate, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get(job_url + "status.json").get_json()
        if predicate(state):
            return state
        time.sleep(0.2)
    raise AssertionError(f"job never reached the state: {state}")


@pytest.fixture()
def worker_jobs(app):
    app.config.update(GESTAO_JOBS_INLINE=False, GESTAO_JOB_ROWS=100)
    yield
    app.config.update(GESTAO_JOBS_INLINE=True, GESTAO_JOB_ROWS=10_000)


def test_a_worker_killed_mid_import_leaves_the_database_as_it_was(
        app, editor_client, worker_jobs):
    worker = start_worker(app)
    try:
        job_url = urlsplit(upload(editor_client, customers_file(20_000)).headers["Location"]).path
        assert editor_client.get(job_url + "status.json").get_json()["status"] in (
            "queued", "running", "done")
        progress = wait_for(editor_client, job_url, lambda s: s["status"] == "running"
                            and s["done"] > 0 or s["finished"])
        assert progress["total"] == 20_000 or progress["finished"]
        wait_for(editor_client, job_url, lambda s: s["finished"])
        page = editor_client.get(job_url).get_data(as_text=True)
        apply = re.search(r'<form method="POST" action="([^"]+/apply)"', page)[1]
        response = editor_client.post(apply, data={"csrf_token": csrf_token(editor_client)})
        apply_url = urlsplit(response.headers["Location"]).path
        wait_for(editor_client, apply_url, lambda s: s["status"] == "running" and s["done"] > 0)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert count(Customer) == 0  # its transaction died with it
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        state = editor_client.get(apply_url + "status.json").get_json()
    assert state["status"] == "failed" and "parou" in state["message"]
    db.session.expire_all()
    assert db.session.scalars(select(ImportRun)).one().status == "failed"
