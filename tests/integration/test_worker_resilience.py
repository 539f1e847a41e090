"""The timer worker survives database and SMTP faults, stops on SIGTERM; `make run` restarts a
child process that dies."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.cli import run_worker_loop
from app.extensions import db
from app.models import Application, OutboundMail
from app.services import timers
from app.supervisor import MAX_BACKOFF, Supervisor
from tests.helpers import signup

ROOT = Path(__file__).resolve().parents[2]


class RecordingStop(threading.Event):
    """A stop flag whose waits are recorded instead of slept."""

    def __init__(self):
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout=None):
        self.waits.append(timeout)
        return self.is_set()


def dropped_connection() -> OperationalError:
    return OperationalError(
        "SELECT ...", {}, Exception("server closed the connection unexpectedly")
    )


def test_the_worker_survives_a_dropped_database_connection(
    app, client, smtp, clock_at, monkeypatch
):
    signup(client, smtp)
    smtp.clear()
    clock_at.shift(timedelta(hours=49))
    real_due, real_remove = timers.due_application_ids, db.session.remove
    calls = {"due": 0, "remove": 0}

    def due_fails_once(*args, **kwargs):
        calls["due"] += 1
        if calls["due"] == 1:
            raise dropped_connection()
        return real_due(*args, **kwargs)

    def remove_fails_once():
        calls["remove"] += 1
        if calls["remove"] == 1:  # what killed the worker: remove() on a dead connection
            raise dropped_connection()
        return real_remove()

    monkeypatch.setattr(timers, "due_application_ids", due_fails_once)
    monkeypatch.setattr(db.session, "remove", remove_fails_once)
    stop = RecordingStop()
    run_worker_loop(2.0, stop, max_passes=3)

    # Pass 1 failed (and so did its session clean-up); the loop backed off and went on.
    assert stop.waits == [4.0, 2.0]
    assert calls["due"] >= 2 and calls["remove"] >= 2
    db.session.expire_all()
    assert db.session.scalar(select(Application.status)) == "expired"
    # The mails of pass 2 went out too (the 36-hour reminder fired with the expiry).
    assert smtp.by_subject("仮ログインIDの有効期限")
    assert set(db.session.scalars(select(OutboundMail.status))) == {"sent"}


def test_backoff_grows_while_passes_fail_and_resets_after_one_succeeds(app, monkeypatch):
    outcomes = iter([False, False, False, True, True])

    def flaky_pass(*args, **kwargs):
        if not next(outcomes):
            raise dropped_connection()
        return timers.PassResult()

    monkeypatch.setattr(timers, "worker_pass", flaky_pass)
    stop = RecordingStop()
    run_worker_loop(20.0, stop, max_passes=5)
    assert stop.waits == [40.0, 60.0, 60.0, 20.0]  # doubled, capped at a minute, then back


def test_an_smtp_outage_does_not_stop_the_worker(app, client, smtp, clock_at):
    state = app.extensions["mail"]
    state.port = 1
    try:
        signup_error = None
        try:
            signup(client, smtp)
        except AssertionError as exc:  # no mail arrives while SMTP is down
            signup_error = exc
        assert signup_error is not None
        stop = RecordingStop()
        run_worker_loop(1.0, stop, max_passes=2)
        assert stop.waits == [1.0]  # both passes ended normally
    finally:
        state.port = smtp.port
    row = db.session.scalar(select(OutboundMail))
    assert row.status == "retry"
    clock_at.shift(timedelta(minutes=5))
    run_worker_loop(1.0, RecordingStop(), max_passes=1)
    assert db.session.scalar(select(OutboundMail.status)) == "sent"


def test_worker_command_runs_passes(app, runner, monkeypatch):
    # The command tunes the collector of the process it runs in (app.gc_tuning): here that is
    # pytest's own, which the rest of the run must not inherit frozen.
    monkeypatch.setenv("GC_YOUNG_THRESHOLD", "0")
    result = runner.invoke(args=["workflow", "worker", "--interval", "0.01", "--max-passes", "2"])
    assert result.exit_code == 0, result.output
    assert "timer worker stopped" in result.output


def test_the_worker_process_stops_on_sigterm_within_seconds(tmp_path):
    env = {
        **os.environ,
        "APP_CONFIG": "testing",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run(
        [*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120
    )
    worker = subprocess.Popen(
        [*flask, "workflow", "worker", "--interval", "0.5"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "timer worker started" in worker.stdout.readline()
        time.sleep(1.0)  # a few passes against the real (empty) database
        began = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=10)
        assert time.monotonic() - began < 5
        assert code == 0, worker.stderr.read()
        assert "timer worker stopped" in worker.stdout.read()
    finally:
        if worker.poll() is None:
            worker.kill()


class FakeProcess:
    def __init__(self, command):
        self.command, self.returncode, self.terminated = command, None, False

    def poll(self):
        return self.returncode

    def terminate(self):
        self.terminated = True
        self.returncode = -signal.SIGTERM

    def wait(self, timeout=None):
        return self.returncode


def test_make_run_restarts_a_child_that_dies_with_a_backoff():
    spawned, log = [], []

    def spawn(command):
        spawned.append(FakeProcess(command))
        return spawned[-1]

    supervisor = Supervisor(
        {"web": ["web"], "worker": ["worker"], "smtp": ["smtp"]}, spawn, log.append
    )
    supervisor.start(0.0)
    assert [p.command for p in spawned] == [["web"], ["worker"], ["smtp"]]
    supervisor.processes["worker"].returncode = 1  # the worker dies
    supervisor.step(5.0)
    assert log == ["[make run] worker exited with code 1; restarting in 1s"]
    supervisor.step(5.5)
    assert len(spawned) == 3  # still waiting
    supervisor.step(6.0)
    assert len(spawned) == 4 and spawned[-1].command == ["worker"]
    assert log[-1] == "[make run] restarting worker"
    # Dying again at once doubles the wait, up to MAX_BACKOFF.
    for n in range(2, 8):
        supervisor.processes["worker"].returncode = 1
        supervisor.step(10.0 * n)
        delay = min(2 ** (n - 1), MAX_BACKOFF)
        assert log[-1].endswith(f"restarting in {delay:.0f}s")
        supervisor.step(10.0 * n + delay)
    # After running a while, a death restarts quickly again.
    supervisor.processes["worker"].returncode = 1
    supervisor.step(1000.0)
    assert log[-1].endswith("restarting in 1s")
    # The others were never touched; stopping terminates everything running.
    supervisor.step(1001.0)
    supervisor.stop()
    assert all(p.terminated for p in supervisor.processes.values())
    assert supervisor.processes["web"] is spawned[0]


def test_a_pass_holds_no_rows_of_the_applications_it_fired(app, client, smtp, clock_at):
    import gc

    from tests.helpers import FreshContextClient

    for _ in range(3):
        signup(FreshContextClient(app), smtp)
    clock_at.shift(timedelta(hours=37))  # each application's 36-hour reminder is due
    gc.disable()  # the restored workflows stay as cyclic garbage, as between collections
    try:
        assert timers.fire_due().advanced == 3
        held = [row for row in db.session.identity_map.values() if isinstance(row, Application)]
    finally:
        gc.enable()
    # Each unit's rows went with the unit: a worker's commits would otherwise expire every
    # row of every application fired since the last collection.
    assert held == []
    assert len(smtp.by_subject("")) >= 3
