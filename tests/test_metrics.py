"""/metrics: Prometheus' text format for a bearer token, each environment's migration gauges
and the panel's requests; off without GESTAO_METRICS_TOKEN."""

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from admin_app import metrics
from tests.helpers.migrations import HEAD, add_revision, run_alembic_at

TOKEN = "s3cret-metrics-token"


@pytest.fixture()
def scrape(app, client, monkeypatch):
    """GET /metrics with the token; every scrape reads the status afresh."""
    monkeypatch.setitem(app.config, "GESTAO_METRICS_TOKEN", TOKEN)
    monkeypatch.setattr(metrics, "STATUS_SECONDS", -1)

    def get(token=TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.get("/metrics", headers=headers)
    return get


def samples(response) -> dict[tuple[str, str], float]:
    """(sample name, environment label or endpoint) -> value."""
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            label = sample.labels.get("environment") or sample.labels.get("endpoint", "")
            found[(sample.name, label)] = found.get((sample.name, label), 0) + sample.value
    return found


def test_off_without_a_token_and_refused_without_the_right_one(app, client, scrape, monkeypatch):
    assert scrape(None).status_code == 401
    refused = scrape("wrong")
    assert refused.status_code == 401 and "Bearer" in refused.headers["WWW-Authenticate"]
    assert TOKEN not in refused.get_data(as_text=True)
    monkeypatch.setitem(app.config, "GESTAO_METRICS_TOKEN", None)
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code \
        == 404


def test_environment_gauges(app, backend, configure, make_database, scrape, scripts_copy):
    at_head, behind = make_database(backend), make_database(backend)
    run_alembic_at(app, at_head, scripts_copy, "heads")
    add_revision(scripts_copy, "m1_drop_phone", HEAD, "drop phone",
                 "with op.batch_alter_table('customers') as batch:\n"
                 "        batch.drop_column('phone')",
                 "with op.batch_alter_table('customers') as batch:\n"
                 "        batch.add_column(sa.Column('phone', sa.String(30)))")
    run_alembic_at(app, behind, scripts_copy, HEAD)
    configure({"dev": at_head, "staging": behind,
               "prod": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"},
              location=scripts_copy)
    response = scrape()
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found = samples(response)
    # dev is at HEAD, which the copy of the scripts has moved past: one pending, dangerous
    for env in ("dev", "staging"):
        assert found[("gestao_migrations_reachable", env)] == 1
        assert found[("gestao_migrations_pending", env)] == 1
        assert found[("gestao_migrations_up_to_date", env)] == 0
        assert found[("gestao_migrations_dangerous_pending", env)] == 1
        assert found[("gestao_migrations_script_modified", env)] == 0
        assert found[("gestao_migration_last_applied_timestamp_seconds", env)] > 1.7e9
    assert found[("gestao_migrations_reachable", "prod")] == 0
    assert ("gestao_migrations_pending", "prod") not in found

    run_alembic_at(app, at_head, scripts_copy, "heads")
    found = samples(scrape())
    assert found[("gestao_migrations_up_to_date", "dev")] == 1
    assert found[("gestao_migrations_pending", "dev")] == 0
    assert found[("gestao_migrations_dangerous_pending", "dev")] == 0


def test_requests_are_counted_by_endpoint(app, client, scrape, configure):
    configure({})
    for _ in range(3):
        client.get("/healthz")
    found = samples(scrape())
    assert found[("gestao_http_requests_total", "healthz")] >= 3
    assert found[("gestao_http_request_duration_seconds_count", "healthz")] >= 3


def test_the_status_is_read_once_for_scrapes_close_together(app, scrape, configure,
                                                            monkeypatch):
    configure({})
    monkeypatch.setattr(metrics, "STATUS_SECONDS", 60)
    calls = []
    real = metrics.report_for_app
    monkeypatch.setattr(metrics, "report_for_app", lambda a: calls.append(1) or real(a))
    collector = metrics.MigrationCollector(app)
    for _ in range(3):
        list(collector.collect())
    assert len(calls) == 1
    assert re.search(r"gestao_http_requests_total", scrape().get_data(as_text=True))
