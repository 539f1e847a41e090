"""`make serve` for real: gunicorn web workers and a timer worker under the supervisor, in the
production config, answering health, readiness and merged metrics, and stopping on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def _wait_for(url: str, status: int, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    last = (0, "")
    while time.monotonic() < deadline:
        last = _get(url)
        if last[0] == status:
            return last[1]
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered {status}; last: {last}")


@pytest.fixture
def production_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "DATABASE_URL"))}
    env.update(
        APP_CONFIG="production",
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        SECRET_KEY="serve-test-" + "x" * 40,
        CREDENTIAL_KEYS=Fernet.generate_key().decode(),
        MAIL_PORT=str(_free_port()),  # nothing listens: mail just waits in the outbox
        LOG_JSON="1",
    )
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    for command in (["db", "upgrade"], ["seed", "--reference-only"], ["bpmn", "deploy"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def test_make_serve_runs_gunicorn_and_a_timer_worker_until_sigterm(production_env):
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.serve",
            "--web-workers",
            "2",
            "--timer-workers",
            "1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=production_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/healthz", 200, 60)
        # Ready once the timer worker has finished its first pass.
        _wait_for(f"{base}/readyz", 200, 60)
        status, headers_page = _get(f"{base}/login")
        assert status == 200 and "ログイン" in headers_page
        # The development pages do not exist in production.
        assert _get(f"{base}/dev/mail")[0] == 404
        for _ in range(6):
            _get(f"{base}/healthz")
        metrics = _wait_for(f"{base}/metrics", 200, 10)
        # Samples of both gunicorn workers are merged from the multiprocess directory.
        line = next(
            line
            for line in metrics.splitlines()
            if line.startswith('naccs_http_requests_total{endpoint="health.healthz"')
        )
        assert float(line.rsplit(" ", 1)[1]) >= 7
        assert "naccs_worker_pass_seconds{" in metrics
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
        output = server.stdout.read().decode(errors="replace")
    assert code == 0, output
    # Nothing is left listening once the supervisor has stopped.
    assert _get(f"{base}/healthz")[0] == 0


def test_demo_data_with_published_passwords_is_refused_in_production(production_env):
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "seed"],
        cwd=ROOT,
        env=production_env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "--reference-only" in result.stderr and "Traceback" not in result.stderr
