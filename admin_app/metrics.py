"""``/metrics`` in Prometheus' text format, for a scraper holding ``GESTAO_METRICS_TOKEN``
(as a bearer token; without the setting the URL does not exist): each environment's
migration state, and the panel's requests by endpoint. The migration status is cached for
``STATUS_SECONDS`` and each plan until the environment or its pending scripts change (or for
``PLAN_SECONDS``), so a scrape every 15 s costs little. One registry per app."""

from __future__ import annotations

import hmac
import threading
import time

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.core import GaugeMetricFamily

from admin_app.ops.codes import MODIFIED, UP_TO_DATE
from admin_app.ops.plan import plans_for
from admin_app.ops.status import migrations_dir, report_for_app

EXTENSION_KEY = "gestao_metrics"
STATUS_SECONDS = 10


class MigrationCollector:
    """The environments' gauges, read from a status report at most every STATUS_SECONDS."""

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._report, self._read_at = None, 0.0

    def _status(self):
        with self._lock:
            if self._report is None or time.monotonic() - self._read_at > STATUS_SECONDS:
                self._report = report_for_app(self.app)
                self._read_at = time.monotonic()
            return self._report

    def collect(self):
        with self.app.app_context():
            report = self._status()
            families = _families()
            plans = plans_for(report, migrations_dir(self.app))
            for status in report.environments:
                _add_environment(families, status, plans.get(status.name))
        yield from families.values()


def _families() -> dict[str, GaugeMetricFamily]:
    gauges = {
        "reachable": "1 when the environment's database answered the last check",
        "pending": "Revisions not yet applied",
        "up_to_date": "1 when the environment is at the scripts' head",
        "drift": "Differences between the live schema and the expected one",
        "script_modified": "Applied revisions whose script changed since",
        "dangerous_pending": "Dangerous findings in the pending revisions' plan",
    }
    families = {key: GaugeMetricFamily(f"gestao_migrations_{key}", words,
                                       labels=["environment"])
                for key, words in gauges.items()}
    families["last_applied"] = GaugeMetricFamily(
        "gestao_migration_last_applied_timestamp_seconds",
        "When the environment last applied a migration step (Unix time)",
        labels=["environment"])
    return families


def _add_environment(families, status, plan) -> None:
    name = [status.name]
    families["reachable"].add_metric(name, 1 if status.reachable else 0)
    if not status.reachable:
        return  # nothing else is known: no number rather than a wrong one
    families["pending"].add_metric(name, status.pending_count)
    families["up_to_date"].add_metric(name, 1 if status.state == UP_TO_DATE else 0)
    families["drift"].add_metric(name, len(status.drift or ()))
    families["script_modified"].add_metric(
        name, sum(1 for issue in status.integrity if issue["kind"] == MODIFIED))
    if not status.pending:
        families["dangerous_pending"].add_metric(name, 0)
    elif plan is not None:  # none while an upgrade is under way: it is about to change
        families["dangerous_pending"].add_metric(name, len(plan.dangerous))
    applied = [row["applied_at"] for row in status.probe.log if row.get("applied_at")]
    if applied:
        families["last_applied"].add_metric(name, max(applied).timestamp())


def init_app(app: Flask) -> None:
    """The per-app registry, the request metrics and the route (when the token is set)."""
    registry = CollectorRegistry()
    requests = Counter("gestao_http_requests", "Requests served, by endpoint",
                       ["endpoint", "method", "status"], registry=registry)
    latency = Histogram("gestao_http_request_duration_seconds",
                        "Time to serve a request, by endpoint", ["endpoint"],
                        registry=registry)
    registry.register(MigrationCollector(app))
    app.extensions[EXTENSION_KEY] = registry

    @app.before_request
    def _start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            endpoint = request.endpoint or "unknown"
            requests.labels(endpoint, request.method, str(response.status_code)).inc()
            latency.labels(endpoint).observe(time.perf_counter() - started)
        return response

    app.add_url_rule("/metrics", "metrics", metrics_view)


def metrics_view():
    token = current_app.config.get("GESTAO_METRICS_TOKEN")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response("Unauthorized\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"',
                                                "Content-Type": "text/plain"})
    registry = current_app.extensions[EXTENSION_KEY]
    # the classic text format every Prometheus reads (names here are plain ASCII)
    return Response(generate_latest(registry), 200,
                    {"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})
