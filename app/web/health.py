"""Liveness, readiness and Prometheus metrics for load balancers and monitoring."""

import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, jsonify, request

from app.observability.metrics import exposition
from app.services.health import gauges, readiness

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers: nothing else is checked, so a slow database never restarts it."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = readiness(current_app.config["WORKER_INTERVAL_SECONDS"])
    ready = all(check.ok for check in checks)
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return jsonify(body), 200 if ready else 503


def _may_scrape() -> bool:
    """With METRICS_TOKEN set, a matching bearer token; without it, loopback clients only."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics():
    if not _may_scrape():
        abort(403)
    payload, content_type = exposition(gauges())
    return Response(payload, content_type=content_type)
