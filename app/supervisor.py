"""Keeps named child processes running for `make run` and `make serve`: a child that dies is
started again after a back-off (1, 2, 4 ... 30 s); all stop together on SIGTERM/SIGINT."""

import signal
import subprocess
import sys
import time
from collections.abc import Callable

MAX_BACKOFF = 30.0
# A child that ran this long before dying starts again at once (back-off reset).
STABLE_AFTER = 60.0


class Supervisor:
    """Keeps named child processes running. `step(now)` is one look at them (testable with a
    fake `spawn` and clock); `run()` loops until stopped."""

    def __init__(
        self,
        commands: dict[str, list[str]],
        spawn: Callable[[list[str]], subprocess.Popen] = subprocess.Popen,
        log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    ):
        self.commands = commands
        self.spawn = spawn
        self.log = log
        self.processes: dict[str, subprocess.Popen] = {}
        self.started_at: dict[str, float] = {}
        self.failures: dict[str, int] = dict.fromkeys(commands, 0)
        self.restart_at: dict[str, float] = {}
        self.stopping = False

    def start(self, now: float) -> None:
        for name in self.commands:
            self._start(name, now)

    def _start(self, name: str, now: float) -> None:
        self.processes[name] = self.spawn(self.commands[name])
        self.started_at[name] = now
        self.restart_at.pop(name, None)

    def step(self, now: float) -> None:
        """Notice children that died and start them again when their back-off is over."""
        if self.stopping:
            return
        for name, process in self.processes.items():
            if name in self.restart_at:
                if now >= self.restart_at[name]:
                    self.log(f"[make run] restarting {name}")
                    self._start(name, now)
                continue
            code = process.poll()
            if code is None:
                continue
            if now - self.started_at[name] >= STABLE_AFTER:
                self.failures[name] = 0
            self.failures[name] += 1
            delay = min(2 ** (self.failures[name] - 1), MAX_BACKOFF)
            self.restart_at[name] = now + delay
            self.log(f"[make run] {name} exited with code {code}; restarting in {delay:.0f}s")

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping = True
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()

    def run(self, tick: float = 0.5) -> None:
        self.start(time.monotonic())
        while not self.stopping:
            self.step(time.monotonic())
            time.sleep(tick)


def run_until_signalled(supervisor: Supervisor) -> int:
    """Run until SIGTERM or SIGINT, then stop every child; 0 after a clean stop."""

    def on_signal(*_):
        supervisor.stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        supervisor.run()
    finally:
        supervisor.stop()
    return 0
