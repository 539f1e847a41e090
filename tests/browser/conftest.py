"""A live server for the browser test: the Flask app on a free port, on the test database."""

import logging
import os
import shutil
import socket
import threading
from datetime import timedelta

import pytest
import time_machine
from werkzeug.serving import make_server

from app import clock
from app.extensions import db
from tests.conftest import START, _truncate

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _skip_reason() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"Chromium is not installed ({CHROMIUM}); .ci/run installs it with apt-get"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture
def live_app(_app, smtp):
    """The app on a clean database; the clock starts at START and runs."""
    with time_machine.travel(START, tick=True), _app.app_context():
        _truncate()
        from app.services.seed import seed_offices

        seed_offices()
        db.session.commit()
        clock.set_offset(timedelta(0))
        smtp.clear()
        yield _app
        db.session.remove()


@pytest.fixture
def live_server(live_app):
    """Base URL of the app served by a thread (Werkzeug, threaded) on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser_page(live_server):
    """A Chromium page (headless, Debian's build) with Japanese locale."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ja-JP", base_url=live_server)
        context.set_default_timeout(15_000)
        page = context.new_page()
        yield page
        context.close()
        browser.close()
