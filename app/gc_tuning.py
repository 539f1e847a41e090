"""Garbage-collector settings for the long-running processes: web workers and timer workers."""

import gc
import os

# CPython collects its youngest generation every 700 new container objects. One submission
# restores a workflow (a Task, its data dicts and the ORM rows: thousands of objects that all
# live until the request ends), so it ran dozens of young collections that each found nothing
# to free and moved the survivors on: about 0.9 ms of a 6-9 ms POST in collector callbacks,
# 0.15-0.2 ms at 20,000 (benchmarks, docs/PERFORMANCE.md). Garbage without cycles is freed by
# reference counting either way; only cyclic garbage waits a little longer.
DEFAULT_YOUNG_THRESHOLD = 20_000


def tune_for_serving() -> int:
    """Freeze what the process holds after start-up (modules, mappers, templates, parsed specs:
    never garbage, no longer scanned by full collections) and raise the young threshold.
    GC_YOUNG_THRESHOLD sets it (0 keeps CPython's defaults; anything but digits means the
    default: a typo must not stop a worker from starting). Returns the threshold in force."""
    raw = os.environ.get("GC_YOUNG_THRESHOLD", "").strip()
    young = int(raw) if raw.isdigit() else DEFAULT_YOUNG_THRESHOLD
    if young == 0:
        return gc.get_threshold()[0]
    gc.collect()  # cyclic garbage of start-up is freed, not frozen for good
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, old)
    return young
