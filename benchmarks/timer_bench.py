"""P3: the timer worker's pass with nothing due, and the cost of each timer it fires.

Due states are real: the clock (the app's own offset, never a sleep) moves past the 36-hour
reminder and then the 48-hour expiry of the applications in detail entry, whose clones make up
a share of the world. At 37 h the pass is `services.timers.fire_due` (the worker's timer part;
mail delivery is timed apart) stopped after `n` applications, so a 100,000-application world
with tens of thousands due still measures n; at 49 h the same applications' expiries (see
n_due). Every fired timer counts once. `--profile` prints where a fired timer's time goes.
"""

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import world  # noqa: E402

# (label, clock offset): the detail-entry reminder (a mail, non-interrupting), then the
# provisional account's expiry (interrupting: the account is disabled, the application ends).
MOMENTS = (
    ("36h reminder", timedelta(hours=37)),
    ("48h expiry", timedelta(hours=49)),
)


def zero_due(w: world.World, repeat: int = 7) -> dict:
    """Median ms (wall and CPU) of a whole worker pass (timers, housekeeping, mail) when nothing is due."""
    from app import clock
    from app.extensions import db
    from app.services.timers import worker_pass

    with w.app.app_context():
        clock.set_offset(timedelta(0))
        worker_pass()  # warm (and fire whatever is due right now, e.g. the daily digest)
        samples, cpu, advanced = [], [], 0
        for _ in range(repeat):
            began, began_cpu = time.perf_counter(), time.process_time()
            advanced += worker_pass().advanced
            samples.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        db.session.remove()
    return {
        "pass_ms": statistics.median(samples),
        "cpu_ms": statistics.median(cpu),
        "advanced": advanced,
    }


def n_due(w: world.World, n: int, profile: bool = False) -> dict:
    """CPU and wall ms per fired timer: at 37 h the worker's pass (fire_due) stopped after `n`
    applications, each firing its 36-hour reminder; at 49 h the same applications, whose
    48-hour expiry alone is then due, each in the worker's own unit of work as fire_due runs
    it. (A pass at 49 h would pick the thousands still owing their reminder first, oldest
    deadline first, and fire both timers in one unit: not the case measured here, where the
    worker keeps up.) Timers are counted one by one (Unit.fired)."""
    from app import clock, mailer
    from app.extensions import db
    from app.models import ProcessInstance
    from app.services import ServiceError, timers
    from app.services.timers import TIMER, _due, fire_due

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU: the machine is shared
    moments, total_ms, total_cpu, total_fired = [], 0.0, 0.0, 0
    units: list[tuple[int, tuple[str, ...]]] = []  # (application id, timers fired) per unit
    reminded: list[int] = []
    run = timers.run

    def counted(application_id, actor, operation, *args, **kwargs):
        try:
            result = run(application_id, actor, lambda unit: tuple(unit.fired), *args, **kwargs)
        except ServiceError:  # an incident, or another worker was first: shown as failed
            units.append((application_id, None))
            raise
        units.append((application_id, result))
        return bool(result)  # what fire_due's own operation answers

    def expiry_of_each(application_ids):
        for application_id in application_ids:
            try:
                counted(application_id, TIMER, None, skip_blocked=True)
            except ServiceError:  # as fire_due: an incident, or another worker was first
                continue

    with w.app.app_context():
        for label, offset in MOMENTS:
            clock.set_offset(offset)
            due = db.session.scalar(
                db.select(db.func.count()).select_from(ProcessInstance).where(_due(clock.now()))
            )
            db.session.rollback()
            seen = [0]

            def enough(seen=seen) -> bool:
                seen[0] += 1
                return seen[0] > n

            units.clear()
            timers.run = counted
            try:
                if profiler is not None:
                    profiler.enable()
                began, cpu = time.perf_counter(), time.process_time()
                if reminded:
                    expiry_of_each(reminded)
                else:
                    fire_due(should_stop=enough)
                elapsed = (time.perf_counter() - began) * 1000
                cpu = (time.process_time() - cpu) * 1000
                if profiler is not None:
                    profiler.disable()
            finally:
                timers.run = run
            fired = sum(len(names) for _, names in units if names is not None)
            if not reminded:
                reminded = [application_id for application_id, names in units if names]
            began = time.perf_counter()
            mails = mailer.deliver_due(limit=n)
            mail_ms = (time.perf_counter() - began) * 1000
            moments.append(
                {
                    "label": label,
                    "due": due,
                    "fired": fired,
                    "units": len(units),
                    "failed": sum(names is None for _, names in units),
                    "timers": sorted({name for _, names in units for name in names or ()}),
                    "ms_per_timer": elapsed / max(fired, 1),
                    "cpu_ms_per_timer": cpu / max(fired, 1),
                    "mails": mails,
                    "mail_ms_each": mail_ms / max(mails, 1),
                }
            )
            total_ms += elapsed
            total_cpu += cpu
            total_fired += fired
        clock.set_offset(timedelta(0))
        db.session.remove()
    if profiler is not None:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    fired = max(total_fired, 1)
    return {
        "moments": moments,
        "ms_per_timer": total_ms / fired,
        "cpu_ms_per_timer": total_cpu / fired,
    }


def describe(figures: dict) -> str:
    return "; ".join(
        f"{m['label']}: {m['fired']} fired in {m['units']} units ({m['due']:,} due), "
        f"{m['cpu_ms_per_timer']:.1f} ms CPU ({m['ms_per_timer']:.1f} ms wall) each"
        + (f", {m['failed']} failed" if m["failed"] else "")
        for m in figures["moments"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1_000)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    world.serving_collector()
    with world.database("timers") as url:
        w = world.build(url)
        with w.app.app_context():
            world.clone_to(options.applications)
        print("0 due:", zero_due(w))
        figures = n_due(w, options.n, options.profile)
        print(
            f"{figures['cpu_ms_per_timer']:.2f} ms CPU ({figures['ms_per_timer']:.2f} ms wall) "
            f"per fired timer ({describe(figures)})"
        )
        for moment in figures["moments"]:
            print(moment)


if __name__ == "__main__":
    main()
