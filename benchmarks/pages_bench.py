"""P2: every list page at a large world against a small one (the same pages, the same run).

Pages are fetched over HTTP (Flask test client: routing, session checks, queries, rendering),
each as the role that reads it; the figure is the median wall time of `repeat` requests after
one warm-up. The small and the large world are two databases side by side, their pages fetched
in turn. Used by run.py; `python benchmarks/pages_bench.py --small 1000 --large 100000`
runs it alone.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import world  # noqa: E402

PAGES = (
    ("reviewer queue, unclaimed", "reviewer", "/staff/?lane=reviewer&scope=unclaimed"),
    ("reviewer queue, all (supervisor)", "supervisor", "/staff/?lane=reviewer&scope=all"),
    ("reviewer queue, done", "supervisor", "/staff/?lane=reviewer&scope=done"),
    ("reviewer queue, mine", "reviewer", "/staff/?lane=reviewer&scope=mine"),
    ("設定作業 queue, unclaimed", "reviewer", "/staff/?lane=operator&scope=unclaimed"),
    ("設定作業 queue, all (supervisor)", "supervisor", "/staff/?lane=operator&scope=all"),
    ("applicant home (submitted)", "submitted", "/home"),
    ("applicant home (issued)", "issued", "/home"),
    ("analyst version list", "analyst", "/analyst/"),
    ("analyst application list", "analyst", "/analyst/applications"),
    ("analyst list, last page", "analyst", "/analyst/applications?page=999999"),
    ("analyst list, by stage", "analyst", "/analyst/applications?stage=call_review"),
    ("analyst version page", "analyst", "/analyst/versions/{version}"),
    ("staff incidents list", "admin", "/staff/incidents"),
    ("staff failed-mail list", "admin", "/staff/mail-failures"),
    ("admin office list", "admin", "/admin/offices"),
    ("admin staff list", "admin", "/admin/staff"),
)


def pages_static() -> tuple:
    """(label, who, url): `who` is a staff login or the stage of a driven applicant."""
    return PAGES


def pages(w: world.World) -> list[tuple[str, str]]:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import ProcessVersion

    with w.app.app_context():
        version = db.session.scalar(select(func.max(ProcessVersion.id)))
    return [(label, url.format(version=version)) for label, _, url in PAGES]


def measure_pair(
    small: world.World, large: world.World, repeat: int = 5
) -> tuple[dict[str, float], dict[str, float]]:
    """Median ms per page in each world, the two fetched in turn (which goes first alternates),
    so that a slower or faster spell of the shared machine counts on both sides alike."""
    clients: dict = {}

    def client(w: world.World, who: str):
        key = (id(w), who)
        if key not in clients:
            clients[key] = (
                world.applicant_client(w.app, w.logins[who])
                if who in w.logins
                else world.staff_client(w.app, who)
            )
        return clients[key]

    result: tuple[dict, dict] = ({}, {})
    pairs = tuple(zip((small, large), (dict(pages(small)), dict(pages(large))), strict=True))
    for label, who, _ in PAGES:
        samples: tuple[list, list] = ([], [])
        for w, urls in pairs:
            _get(client(w, who), urls[label])  # warm: templates, specs, the first queries
        for turn in range(repeat):
            for side in (0, 1) if turn % 2 == 0 else (1, 0):
                w, urls = pairs[side]
                began = time.perf_counter()
                _get(client(w, who), urls[label])
                samples[side].append((time.perf_counter() - began) * 1000)
        for side in (0, 1):
            result[side][label] = statistics.median(samples[side])
    return result


def _get(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.location)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with world.database("pages_small") as small_url, world.database("pages") as url:
        small_world, large_world = world.build(small_url), world.build(url)
        with small_world.app.app_context():
            world.clone_to(options.small)
        with large_world.app.app_context():
            world.clone_to(options.large)
        small, large = measure_pair(small_world, large_world, options.repeat)
    for label in small:
        print(
            f"{label:36} {small[label]:8.1f} ms {large[label]:8.1f} ms "
            f"{large[label] / small[label]:5.2f}x"
        )


if __name__ == "__main__":
    main()
