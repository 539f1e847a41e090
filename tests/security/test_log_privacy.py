"""Logs as production writes them (JSON lines at INFO) carry no applicant's answers: the
workflow engine's own loggers, which log every task's data with each state change, are kept
at WARNING."""

import io
import json
import logging
from datetime import timedelta

import pytest

from app.observability.logs import ENGINE_LOGGERS, configure, quiet_engine_loggers
from app.services.timers import fire_due_timers
from tests.helpers import ANSWERS, SIGNUP_CONTACT, complete_applicant_tasks, login, signup


@pytest.fixture
def production_log():
    """The root logger as `configure` sets it up outside tests, writing into a buffer."""
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    configure(json_lines=True, level="INFO")
    buffer = io.StringIO()
    for handler in root.handlers:
        if getattr(handler, "_naccs", False):
            handler.setStream(buffer)
    yield buffer
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
    root.setLevel(level)


def _answers_typed() -> set[str]:
    values = {SIGNUP_CONTACT["email"], SIGNUP_CONTACT["last_name"]}
    for screen in ("entry_contact", "entry_office", "entry_contractor", "entry_billing"):
        values |= {v for v in ANSWERS[screen].values() if isinstance(v, str) and len(v) >= 6}
    return values


def test_a_whole_detail_entry_and_its_timers_log_no_answer(
    app, client, smtp, clock_at, production_log
):
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)  # every detail screen, then the registration
    clock_at.shift(timedelta(hours=49))
    fire_due_timers()

    lines = [json.loads(line) for line in production_log.getvalue().splitlines()]
    assert any(line["logger"] == "app.access" for line in lines)  # the log does work
    assert not [line for line in lines if line["logger"].startswith("spiff")]
    # The test's own SMTP server (aiosmtpd, logger "mail.log") logs the envelope it receives.
    text = "\n".join(
        json.dumps(line, ensure_ascii=False) for line in lines if line["logger"] != "mail.log"
    )
    leaked = sorted(value for value in _answers_typed() if value in text)
    assert leaked == [], [line for line in text.splitlines() if any(v in line for v in leaked)][:3]


def test_the_engine_loggers_are_quiet_by_their_own_level(app):
    # SpiffWorkflow decides by a logger's own level (not the effective one) whether to put
    # each task's data in a record and to list every task of a workflow for each event.
    for name in ENGINE_LOGGERS:
        assert logging.getLogger(name).level == logging.WARNING
    try:
        assert quiet_engine_loggers("debug") == logging.DEBUG  # for local debugging only
        assert quiet_engine_loggers("no such level") == logging.WARNING
    finally:
        quiet_engine_loggers("WARNING")
