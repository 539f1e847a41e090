"""Cross-cutting observability: request ids, one-line structured logs, Prometheus metrics."""

from flask import Flask

from app.observability import logs, metrics


def init_app(app: Flask) -> None:
    logs.init_app(app)
    metrics.init_app(app)
