"""Keeps a set of child processes running: restarts one that dies, stops all on SIGTERM/SIGINT."""

import logging
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger("app.supervisor")


@dataclass
class Child:
    name: str
    command: Sequence[str]
    env: Mapping[str, str] | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start_at: float = 0.0
    failures_in_a_row: int = 0
    history: list[int] = field(default_factory=list)  # exit codes, newest last


class Supervisor:
    """Start every child; when one exits, start it again after a growing back-off.

    A child that ran for `stable_after` seconds is considered healthy again, so one crash a
    day never grows the back-off; a child that dies at once backs off to `max_backoff`.
    """

    def __init__(
        self,
        children: Sequence[Child],
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        stable_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.children = list(children)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.stable_after = stable_after
        self.clock = clock
        self.stopping = False

    def start(self, child: Child) -> None:
        child.process = subprocess.Popen(list(child.command), env=child.env)
        child.started_at = self.clock()
        log.info("started %s (pid %s)", child.name, child.process.pid)

    def check(self) -> None:
        """One round: note children that exited and start those whose back-off has passed."""
        moment = self.clock()
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                code = child.process.returncode
                child.history.append(code)
                lived = moment - child.started_at
                child.failures_in_a_row = (
                    1 if lived >= self.stable_after else child.failures_in_a_row + 1
                )
                delay = min(self.max_backoff, self.backoff * 2 ** (child.failures_in_a_row - 1))
                child.next_start_at = moment + delay
                child.process = None
                log.warning(
                    "%s exited with %s after %.1fs; restarting in %.1fs",
                    child.name,
                    code,
                    lived,
                    delay,
                )
                print(f"  [{child.name}] exited ({code}); restarting in {delay:.0f}s", flush=True)
            if child.process is None and not self.stopping and moment >= child.next_start_at:
                if child.history:
                    child.restarts += 1
                self.start(child)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping = True
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = self.clock() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def run(self, poll_seconds: float = 0.5) -> int:
        """Until SIGTERM or SIGINT; returns 0 after a clean stop."""

        def request_stop(*_):
            self.stopping = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        try:
            while not self.stopping:
                self.check()
                time.sleep(poll_seconds)
        finally:
            self.stop()
        return 0
