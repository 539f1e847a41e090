"""Engine details: parsing the diagrams, starting applications, restoring one state both ways.

Not part of `make bench` (run.py): P1 is submission_bench, P3 timer_bench on real due states;
this script's timer pass fires only abandoned signups on fresh states.
"""

import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import clock, create_app  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.engine import runtime  # noqa: E402
from app.extensions import db  # noqa: E402

N_APPLICATIONS = 200


def timed(fn, repeat: int = 20) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def main() -> None:
    from flask_migrate import upgrade

    from app.services.deploy import deploy_repository, read_directory
    from app.services.seed import seed_reference_data
    from app.services.signup import start_signup
    from app.services.timers import fire_due_timers
    from app.services.unit import run

    files = read_directory(Path(__file__).resolve().parent.parent / "bpmn")
    median, worst = timed(lambda: runtime.parse_bundle(files, "naccs_application"), 5)
    print(f"parse 8 diagrams: median {median:.1f} ms, max {worst:.1f} ms")

    with tempfile.TemporaryDirectory() as tmp:

        class Config(TestConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp}/bench.sqlite3"
            MAIL_SUPPRESS_SEND = True
            SIGNUP_MAX_PER_ADDRESS = 10**6  # the bench starts many signups from one "address"

        app = create_app(Config)
        with app.app_context():
            upgrade()
            seed_reference_data()
            deploy_repository("bench")
            tracemalloc.start()
            start = time.perf_counter()
            ids = [start_signup().application_id for _ in range(N_APPLICATIONS)]
            elapsed = time.perf_counter() - start
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"start {N_APPLICATIONS} applications: {elapsed * 1000 / N_APPLICATIONS:.1f} ms each, "
                f"peak traced memory {peak / 1e6:.1f} MB"
            )
            _restore_figures(ids[0])
            median, worst = timed(lambda: run(ids[0], _system(), lambda unit: None))
            print(
                f"one locked load + timer check + save + commit: median {median:.1f} ms, max {worst:.1f} ms"
            )
            clock.set_offset(timedelta(hours=25))  # the abandoned-signup timers are due
            start = time.perf_counter()
            advanced = fire_due_timers(limit=N_APPLICATIONS)
            elapsed = time.perf_counter() - start
            print(
                f"timer pass: {advanced} instances in {elapsed:.2f} s ({elapsed * 1000 / max(advanced, 1):.1f} ms each)"
            )
            clock.set_offset(timedelta(0))
            db.session.remove()


def _restore_figures(application_id: int) -> None:
    """The same saved state restored both ways: specs rebuilt from their JSON (before issue 10)
    and only the state against the version's cached specs (the request path now)."""
    from app.models import Application

    instance = db.session.get(Application, application_id).instance
    state, spec_json = instance.state, instance.version.spec_json
    key = instance.version.content_hash
    full, _ = timed(lambda: runtime.load_workflow(state, spec_json, None), 50)
    cached, _ = timed(lambda: runtime.restore_workflow(state, key, lambda: spec_json, None), 50)
    print(
        f"restore one state ({len(state) / 1024:.1f} KB): specs from JSON median {full:.2f} ms, "
        f"against cached specs median {cached:.2f} ms"
    )


def _system():
    from app.services import SYSTEM

    return SYSTEM


if __name__ == "__main__":
    main()
