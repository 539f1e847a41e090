"""`benchmarks/run.py --smoke` runs end to end and prints a figure in every row (no timing asserted)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))


def test_the_smoke_benchmark_prints_every_row_with_a_figure():
    import run

    env = {**os.environ, "APP_CONFIG": "testing"}
    postgres = env.get("DATABASE_URL", "").startswith("postgresql")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("measure "))
    table = {}
    for line in lines[header + 2 :]:
        if " | " not in line:
            break
        cells = [cell.strip() for cell in line.split(" | ")]
        table[cells[0]] = cells[2:]
    expected = [row.what.strip() for row in run.make_rows(run.SMOKE).values()]
    assert list(table) == expected
    for what, cells in table.items():
        sqlite, verdict = cells[0], cells[1]
        if what.startswith("P5"):
            assert sqlite == "—"  # gunicorn on PostgreSQL only
        else:
            assert sqlite not in ("—", "") and "ERROR" not in sqlite, what
            assert verdict in ("met", "NOT MET", "(info)"), what
        if postgres:
            assert cells[2] not in ("—", "") and "ERROR" not in cells[2], what
    assert "load average" in done.stdout and "finished in" in done.stdout


def test_the_library_bare_step_saves_what_the_products_bare_step_saves(
    app, client, smtp, numbered_ids
):
    """P1's scale line compares like with like: SpiffWorkflow's own converters and classes
    (benchmarks/library_step.py) restore the product's saved state, run the same task and write
    the same state, byte for byte (task ids numbered alike in both runs)."""
    import submission_bench
    from library_step import library_step

    from tests.helpers import ANSWERS, at_screen

    url, _login = at_screen(client, smtp, "entry_office")
    state = submission_bench._saved_state(app, url)
    updates = {"entry_office": dict(ANSWERS["entry_office"])}
    saved = []
    for step in (submission_bench._bare_step, library_step):
        numbered_ids()
        saved.append(step(*state, updates))
    assert saved[0] == saved[1]
    assert '"entry_contractor"' in saved[0]  # the next screen is ready in both


def test_the_stack_floor_runs_the_posts_statement_shapes_and_commits_them(app, client, smtp):
    """P1's floor line measures what it names: 8 statements on the posted application's rows
    (not fewer, so that the floor is not too low to compare with), written and committed; on
    PostgreSQL also the variant with the writes as one statement (4 in all)."""
    import submission_bench
    from sqlalchemy import func, select
    from stack_floor import floor_ids, statements_ms

    from app.extensions import db
    from app.models import AuditEvent, ProcessInstance
    from tests.helpers import at_screen

    url, _login = at_screen(client, smtp, "entry_office")
    ids = floor_ids(app, url)
    with app.app_context():
        variants = [(False, 8)] + [(True, 4)] * (db.engine.dialect.name == "postgresql")

    def committed() -> tuple[int, int]:
        with app.app_context():
            seen = db.session.scalar(
                select(ProcessInstance.lock_version).where(ProcessInstance.application_id == ids[1])
            )
            audited = db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == "floor")
            )
            db.session.remove()
        return seen, audited

    for writes_as_one, expected in variants:
        before = committed()
        with submission_bench._counting(app) as statements:  # P1's own statement counter
            assert statements_ms(app, ids, writes_as_one=writes_as_one) > 0
        assert len(statements) == expected, statements
        assert committed() == (before[0] + 1, before[1] + 1)  # on this application, committed
