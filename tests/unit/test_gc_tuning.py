"""The collector settings of serving processes (app.gc_tuning), each checked in a fresh
interpreter: freezing and thresholds would otherwise leak into the rest of the test run."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORT = "import gc; print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"


def _run(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "GC_YOUNG_THRESHOLD"} | env
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_serving_processes_freeze_start_up_and_collect_young_objects_less_often():
    code = "from app.gc_tuning import tune_for_serving; print(tune_for_serving()); " + REPORT
    assert _run(code) == ["20000", "20000", "True"]


def test_the_threshold_comes_from_the_environment_and_zero_keeps_the_defaults():
    code = "from app.gc_tuning import tune_for_serving; print(tune_for_serving()); " + REPORT
    assert _run(code, GC_YOUNG_THRESHOLD="5000") == ["5000", "5000", "True"]
    assert _run(code, GC_YOUNG_THRESHOLD="0") == ["700", "700", "False"]
    assert _run(code, GC_YOUNG_THRESHOLD="lots") == ["20000", "20000", "True"]


def test_gunicorn_tunes_each_worker_once_it_has_loaded_the_app():
    code = "from app import gunicorn_conf; gunicorn_conf.post_worker_init(None); " + REPORT
    assert _run(code) == ["20000", "True"]
