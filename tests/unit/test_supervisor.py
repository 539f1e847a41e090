"""The process supervisor behind `make run` and `make serve`: restart with back-off, clean stop."""

import sys

from app.supervisor import Child, Supervisor


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _dies_at_once() -> Child:
    return Child("crasher", [sys.executable, "-c", "raise SystemExit(3)"])


def test_a_dead_child_is_restarted_after_a_growing_back_off():
    clock = FakeClock()
    child = _dies_at_once()
    supervisor = Supervisor([child], backoff=1.0, max_backoff=4.0, stable_after=60, clock=clock)

    supervisor.check()
    first = child.process
    first.wait()
    supervisor.check()  # exit noticed; back-off 1 s not yet over
    assert child.history == [3] and child.process is None

    clock.now += 1.0
    supervisor.check()
    assert child.process is not None and child.process is not first
    assert child.restarts == 1

    child.process.wait()
    supervisor.check()
    assert child.next_start_at == clock.now + 2.0  # dying again at once doubles the wait
    child.process = None
    clock.now += 2.0
    supervisor.check()
    child.process.wait()
    supervisor.check()
    assert child.next_start_at == clock.now + 4.0
    supervisor.stop()


def test_a_child_that_ran_long_enough_restarts_after_the_base_back_off():
    clock = FakeClock()
    child = _dies_at_once()
    supervisor = Supervisor([child], backoff=1.0, stable_after=60, clock=clock)
    child.failures_in_a_row = 5  # it crashed often earlier
    supervisor.check()
    child.process.wait()
    clock.now += 120  # ... but this time it had been up for two minutes
    supervisor.check()
    assert child.next_start_at == clock.now + 1.0
    supervisor.stop()


def test_stop_ends_every_child():
    sleeper = Child("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor([sleeper])
    supervisor.check()
    process = sleeper.process
    supervisor.stop(timeout=5)
    assert process.poll() is not None
    supervisor.check()
    assert sleeper.process is None and sleeper.restarts == 0  # no restart once stopping
