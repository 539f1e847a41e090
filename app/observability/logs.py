"""One log line per event, tagged with the request id; JSON lines in production."""

import json
import logging
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# SpiffWorkflow's loggers. Unset, they follow the root logger (INFO in production) and log each
# task's state change with the task's data (names, addresses, bank accounts) as extras; and
# while their own level is unset (< INFO) the library also walks every task of a workflow to
# list their ids for each workflow event, whether or not anything is logged.
ENGINE_LOGGERS = ("spiff", "spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn")
# An id from a proxy is kept only if it looks like one; anything else is replaced.
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def current_request_id() -> str | None:
    if has_request_context():
        return getattr(g, "request_id", None)
    return None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """A JSON object per line: time, level, logger, message, request id and any extras."""

    RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self.RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(json_lines: bool, level: str = "INFO") -> None:
    """Set up the root logger once per process (web process, worker or CLI)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_naccs", False)]:
        root.removeHandler(old)
    handler._naccs = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def quiet_engine_loggers(level: str = "WARNING") -> int:
    """Set SpiffWorkflow's loggers to `level` (WARNING unless a standard level name is given):
    the engine's warnings and errors still reach the log; what happened to an application is
    in its audit trail. Returns the level in force."""
    number = logging.getLevelName(str(level).upper())
    if not isinstance(number, int):
        number = logging.WARNING
    for name in ENGINE_LOGGERS:
        logging.getLogger(name).setLevel(number)
    return number


def _incoming_request_id() -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if 8 <= len(given) <= 64 and set(given) <= _ID_CHARS:
        return given
    return uuid.uuid4().hex


def init_app(app: Flask) -> None:
    if not app.testing:
        configure(app.config.get("LOG_JSON", False), app.config.get("LOG_LEVEL", "INFO"))
    # Tests and benchmarks too: the engine does the same work as in production.
    quiet_engine_loggers(app.config.get("ENGINE_LOG_LEVEL", "WARNING"))
    access = logging.getLogger("app.access")

    @app.before_request
    def _start_request():
        g.request_id = _incoming_request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = getattr(g, "request_started", None)
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        response.headers[REQUEST_ID_HEADER] = getattr(g, "request_id", "-")
        access.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "event": "http_request",
                "method": request.method,
                "path": request.path,
                "endpoint": request.endpoint or "-",
                "status": response.status_code,
                "duration_ms": elapsed_ms,
            },
        )
        return response
