"""P5: submissions per second through gunicorn (4 sync workers) on PostgreSQL, and CPU per submission.

The product serves as `make serve` does (app.gunicorn_conf, production config with throw-away
keys) on a private schema of DATABASE_URL. Applicants are prepared over HTTP first (signup,
login, the first detail screen); then `clients` threads POST the detail-entry screens one
after the other (the CSRF token of the session, the next URL from each redirect; no page GETs
in the measured window) until every applicant has submitted. CPU is read from /proc: the
gunicorn workers' and the PostgreSQL backends' (those with this run's application_name) user +
system time, before and after the window. The load generator runs on the same 2 cores.
"""

import base64
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import world  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FORM_KEY = re.compile(r'data-form-key="([a-z_]+)"')
TASK_LINK = re.compile(r'href="(/tasks/[0-9a-f-]{36})"')
APP_NAME = "naccs_bench_p5"
TICK = os.sysconf("SC_CLK_TCK")


class Client:
    """One browser: cookies kept by hand, a new connection per request (sync workers close)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        conn.close()
        return response.status, response.headers.get("Location", ""), text

    def get(self, path: str):
        return self.request("GET", path)

    def post_page(self, path: str, data: dict):
        status, _, html = self.get(path)
        assert status == 200, (path, status)
        return self.request("POST", path, {**data, "csrf_token": CSRF.search(html).group(1)})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen:
    from cryptography.fernet import Fernet

    env = {
        **os.environ,
        "APP_CONFIG": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": base64.b64encode(secrets.token_bytes(36)).decode(),
        "CREDENTIAL_KEYS": Fernet.generate_key().decode(),
        "WEB_WORKERS": str(workers),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "FLASK_SIGNUP_MAX_PER_ADDRESS": str(10**6),
        "FLASK_LOGIN_MAX_FAILURES_PER_ADDRESS": str(10**6),
        "LOG_JSON": "0",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tempfile.TemporaryFile()  # a pipe nobody reads would fill and stall the workers
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "python:app.gunicorn_conf",
         "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Client(port).get("/healthz")[0] == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    log.seek(0)
    raise RuntimeError("gunicorn did not start: " + log.read().decode()[-2000:])


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _cpu_seconds(pids) -> dict[int, float]:
    result = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        result[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return result


def _backends(engine) -> list[int]:
    from sqlalchemy import text

    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                {"name": APP_NAME},
            ).scalars()
        )


def _signup(client: Client, n: int) -> None:
    from tests.helpers import SIGNUP_CONTACT

    email = f"bench{n}@naccs.example.jp"
    status, location, _ = client.post_page("/signup", {})
    status, location, _ = client.post_page(
        location, {**SIGNUP_CONTACT, "email": email, "email_confirm": email, "submit": "1"}
    )
    assert status == 302, status
    status, location, _ = client.post_page(location, {"submit": "1"})
    assert status == 302 and location.endswith("/signup/done"), (status, location)


def _credentials(app) -> list[tuple[str, str]]:
    mails = world.OutboxMailbox(app)
    return [
        (
            re.search(r"仮ログインID：(\d{7})", body).group(1),
            re.search(r"仮パスワード：([A-Z0-9]{8})", body).group(1),
        )
        for body in mails.by_subject("仮アカウント登録完了")
    ]


def _at_first_screen(port: int, credentials: tuple[str, str]) -> tuple[Client, str, str]:
    client = Client(port)
    status, _, _ = client.post_page(
        "/login", {"login_id": credentials[0], "password": credentials[1]}
    )
    assert status == 302, status
    url = TASK_LINK.search(client.get("/home")[2]).group(1)
    html = client.get(url)[2]
    return client, url, CSRF.search(html).group(1)


def _learn_screens(client: Client, url: str) -> list[tuple[str, dict]]:
    """Fill every detail screen once with GETs, as a person does; the order and data to replay."""
    from tests.helpers import ANSWERS, first_option

    screens = []
    while url.startswith("/tasks/"):
        html = client.get(url)[2]
        form_key = FORM_KEY.search(html).group(1)
        data = dict(ANSWERS[form_key])
        if form_key == "entry_start_date":
            data["wished_start_date"] = first_option(html, "wished_start_date")
        status, location, _ = client.request(
            "POST", url, {**data, "csrf_token": CSRF.search(html).group(1), "submit": "1"}
        )
        assert status == 302, (form_key, status)
        screens.append((form_key, data))
        url = location.replace(f"http://127.0.0.1:{client.port}", "")
        if not url.startswith("/tasks/"):
            break
    return screens


def measure_serving(applicants: int = 60, clients: int = 8, workers: int = 4) -> dict:
    """Prepare `applicants`, then measure their submissions; needs DATABASE_URL (PostgreSQL)."""
    from sqlalchemy import create_engine

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return {"skipped": "DATABASE_URL is not PostgreSQL"}
    with world.database("serve") as schema_url:
        app = world.build(schema_url, stages=()).app
        served_url = f"{schema_url}&application_name={APP_NAME}"
        port = _free_port()
        server = _start_gunicorn(served_url, port, workers)
        engine = create_engine(schema_url)
        try:
            prepared = _prepare(port, app, applicants + 1, clients)
            screens = _learn_screens(*prepared.pop()[:2])
            result = _window(server, engine, prepared, screens, clients)
            result.update(workers=workers, clients=clients, screens=len(screens))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
            engine.dispose()
    return result


def _prepare(port: int, app, count: int, clients: int) -> list:
    counter = iter(range(count))
    lock = threading.Lock()

    def signups() -> None:
        client = Client(port)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            _signup(client, n)

    _in_threads(signups, clients)
    pending = iter(_credentials(app))
    prepared = []

    def logins() -> None:
        while True:
            with lock:
                credentials = next(pending, None)
            if credentials is None:
                return
            ready = _at_first_screen(port, credentials)
            with lock:
                prepared.append(ready)

    _in_threads(logins, clients)
    assert len(prepared) == count, (len(prepared), count)
    return prepared


def _in_threads(target, count: int) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _window(server, engine, prepared: list, screens: list, clients: int) -> dict:
    queue = iter(prepared)
    lock = threading.Lock()
    posts, failures = [0], []

    def submit_all() -> None:
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            client, url, token = item
            for form_key, data in screens:
                status, location, _ = client.request(
                    "POST", url, {**data, "csrf_token": token, "submit": "1"}
                )
                with lock:
                    posts[0] += 1
                if status != 302:
                    failures.append((form_key, status))
                    break
                url = location.replace(f"http://127.0.0.1:{client.port}", "")

    pids = _children(server.pid)
    backends = _backends(engine)
    before = _cpu_seconds(pids + backends)
    began = time.perf_counter()
    _in_threads(submit_all, clients)
    wall = time.perf_counter() - began
    backends = sorted(set(backends) | set(_backends(engine)))
    after = _cpu_seconds(pids + backends)
    web = sum(after[p] - before.get(p, 0.0) for p in pids if p in after)
    database = sum(after[p] - before.get(p, 0.0) for p in backends if p in after)
    count = posts[0]
    return {
        "submissions": count,
        "failures": len(failures),
        "first_failure": failures[0] if failures else None,
        "seconds": wall,
        "per_second": count / wall,
        "cpu_ms": (web + database) * 1000 / max(count, 1),
        "web_cpu_ms": web * 1000 / max(count, 1),
        "db_cpu_ms": database * 1000 / max(count, 1),
    }


if __name__ == "__main__":
    print(measure_serving())
