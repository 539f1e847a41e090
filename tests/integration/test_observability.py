"""Health, readiness and metrics endpoints; request ids and structured log lines."""

import json
import logging
from datetime import timedelta

from app.observability.logs import JsonFormatter, RequestIdFilter
from app.services.health import record_worker_pass
from tests.helpers import signup


def _heartbeat(app, worker_id="w1", seconds=0.02, lag=0.0):
    with app.app_context():
        record_worker_pass(worker_id, seconds, lag, app.config["WORKER_INTERVAL_SECONDS"])


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_needs_a_recent_worker_pass(app, client, clock_at):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["deployed_version"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is False

    _heartbeat(app)
    assert client.get("/readyz").status_code == 200

    # Two missed passes (plus slack) and the instance is no longer ready.
    interval = app.config["WORKER_INTERVAL_SECONDS"]
    clock_at.shift(timedelta(seconds=2 * interval + 6))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "last pass" in response.get_json()["checks"]["worker"]["detail"]


def test_readyz_reports_migrations_behind_code(app, client, monkeypatch):
    from app.services import health

    _heartbeat(app)
    monkeypatch.setattr(health, "migration_heads", lambda: {"ffffffffffff"})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"]["ok"] is False


def test_metrics_export_business_and_http_figures(app, client, smtp):
    signup(client, smtp)
    _heartbeat(app, worker_id="host:42", seconds=0.5, lag=3.0)
    client.get("/healthz")

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert 'naccs_applications{status="entry"} 1.0' in text
    assert 'naccs_open_human_tasks{lane="applicant"} 1.0' in text
    assert "naccs_timers_due 0.0" in text
    assert "naccs_incidents_open 0.0" in text
    assert 'naccs_outbox_mails{state="sent"}' in text
    assert 'naccs_worker_pass_seconds{worker="host:42"} 0.5' in text
    assert 'naccs_worker_lag_seconds{worker="host:42"} 3.0' in text
    assert 'naccs_http_requests_total{endpoint="health.healthz",method="GET",status="200"}' in text
    assert "naccs_http_request_duration_seconds_bucket" in text


def test_metrics_count_due_and_overdue_timers(app, client, smtp, clock_at):
    signup(client, smtp)
    clock_at.shift(timedelta(hours=49))  # the 48 h details-entry timer is now overdue
    text = client.get("/metrics").get_data(as_text=True)
    assert "naccs_timers_due 1.0" in text
    assert "naccs_timers_overdue 1.0" in text


def test_metrics_refuse_remote_clients_without_a_token(app, client):
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=remote).status_code == 403

    app.config["METRICS_TOKEN"] = "s3cret-token"
    try:
        assert client.get("/metrics", environ_base=remote).status_code == 403
        wrong = {"Authorization": "Bearer nope"}
        assert client.get("/metrics", headers=wrong, environ_base=remote).status_code == 403
        right = {"Authorization": "Bearer s3cret-token"}
        assert client.get("/metrics", headers=right, environ_base=remote).status_code == 200
        # With a token set, loopback alone is no longer enough.
        assert client.get("/metrics").status_code == 403
    finally:
        app.config["METRICS_TOKEN"] = None


def test_every_response_carries_a_request_id(client):
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    given = client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"})
    assert given.headers["X-Request-ID"] == "lb-1234abcd"
    # Anything that is not a plain token is replaced, so logs cannot be forged through it.
    forged = client.get("/healthz", headers={"X-Request-ID": 'x" {"level": "ERROR"}'})
    assert forged.headers["X-Request-ID"] != 'x" {"level": "ERROR"}'


def test_access_log_is_one_json_line_per_request(app, client, caplog):
    caplog.set_level(logging.INFO, logger="app.access")
    response = client.get("/healthz", headers={"X-Request-ID": "req-00000001"})
    records = [r for r in caplog.records if r.name == "app.access"]
    assert len(records) == 1
    record = records[0]
    RequestIdFilter().filter(record)  # outside the request the id comes from the record itself
    record.request_id = "req-00000001"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["event"] == "http_request"
    assert entry["endpoint"] == "health.healthz"
    assert entry["status"] == response.status_code == 200
    assert entry["request_id"] == "req-00000001"
    assert entry["duration_ms"] >= 0


def test_the_worker_loop_writes_the_heartbeat_that_readiness_reads(app, client, smtp, clock_at):
    import threading

    from app.cli import run_worker_loop
    from app.models import WorkerHeartbeat

    signup(client, smtp)
    clock_at.shift(timedelta(hours=49))  # one application is due
    assert client.get("/readyz").status_code == 503
    run_worker_loop(5.0, threading.Event(), max_passes=1)

    rows = db_rows(app, WorkerHeartbeat)
    assert len(rows) == 1 and rows[0].passes == 1
    assert rows[0].last_lag_seconds >= 3600  # the timer was an hour late when the pass began
    assert client.get("/readyz").status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    assert "naccs_timers_due 0.0" in text


def db_rows(app, model):
    from sqlalchemy import select

    from app.extensions import db

    db.session.expire_all()
    return db.session.scalars(select(model)).all()
