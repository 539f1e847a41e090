"""Prometheus metrics: HTTP counters per endpoint in the process, business gauges from the DB.

With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (`make serve` does): each process
writes its HTTP samples there and /metrics merges them. The gauges are read from the database at
scrape time, so every web process reports the same figures.
"""

import os
import time

from flask import Flask, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

HTTP_REQUESTS = Counter(
    "naccs_http_requests_total", "HTTP requests served", ["endpoint", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "naccs_http_request_duration_seconds",
    "HTTP request latency",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class DatabaseCollector:
    """Reads the business figures (services.health.gauges) when Prometheus scrapes."""

    def __init__(self, figures: dict):
        self.figures = figures

    def collect(self):
        f = self.figures
        yield _labelled("naccs_applications", "Applications by status", "status", f["applications"])
        yield _labelled(
            "naccs_open_human_tasks", "Open (READY) human tasks by lane", "lane", f["open_tasks"]
        )
        yield _labelled("naccs_outbox_mails", "Outbox mails by state", "state", f["outbox"])
        yield GaugeMetricFamily(
            "naccs_timers_due", "Running instances with a due timer", value=f["timers_due"] or 0
        )
        yield GaugeMetricFamily(
            "naccs_timers_overdue",
            "Instances whose timer is more than a minute late",
            value=f["timers_overdue"] or 0,
        )
        yield GaugeMetricFamily("naccs_incidents_open", "Open incidents", value=f["incidents_open"])
        passes = GaugeMetricFamily(
            "naccs_worker_pass_seconds", "Duration of each worker's last pass", labels=["worker"]
        )
        lag = GaugeMetricFamily(
            "naccs_worker_lag_seconds",
            "How late the most overdue timer was at the worker's last pass",
            labels=["worker"],
        )
        age = GaugeMetricFamily(
            "naccs_worker_heartbeat_age_seconds",
            "Seconds since each worker's last pass",
            labels=["worker"],
        )
        for worker_id, seconds, lag_seconds, age_seconds in f["workers"]:
            passes.add_metric([worker_id], seconds)
            lag.add_metric([worker_id], lag_seconds)
            age.add_metric([worker_id], age_seconds)
        yield passes
        yield lag
        yield age


def _labelled(name: str, documentation: str, label: str, values: dict[str, int]):
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, count in sorted(values.items()):
        family.add_metric([key], count)
    return family


def exposition(figures: dict) -> tuple[bytes, str]:
    """The text format for one scrape: this process's (or all processes') HTTP samples + gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(HTTP_REQUESTS)
        registry.register(HTTP_LATENCY)
    registry.register(DatabaseCollector(figures))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count_request(response):
        # The endpoint name, never the raw path: ids in URLs would explode the label set.
        endpoint = request.endpoint or "unmatched"
        started = getattr(g, "metrics_started", None)
        HTTP_REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        if started is not None:
            HTTP_LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response
