"""P2: every list page at a large world against a small one (the same pages, the same run).

Pages are fetched over HTTP (Flask test client: routing, session checks, queries, rendering),
each as the role that reads it; the figure is the median wall time of `repeat` requests after
one warm-up. Used by run.py; `python benchmarks/pages_bench.py --small 1000 --large 100000`
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
    ("設定作業 queue, unclaimed", "reviewer", "/staff/?lane=operator&scope=unclaimed"),
    ("applicant home (submitted)", "submitted", "/home"),
    ("applicant home (issued)", "issued", "/home"),
    ("analyst application list", "analyst", "/analyst/applications"),
    ("analyst list, last page", "analyst", "/analyst/applications?page=999999"),
    ("analyst list, by stage", "analyst", "/analyst/applications?stage=call_review"),
    ("analyst version page", "analyst", "/analyst/versions/{version}"),
    ("staff incidents list", "admin", "/staff/incidents"),
    ("staff failed-mail list", "admin", "/staff/mail-failures"),
)


def pages_static() -> tuple:
    """(label, who, url): `who` is a staff login or the stage of a driven applicant."""
    return PAGES


def pages(w: world.World) -> list[tuple[str, str, str]]:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import ProcessVersion

    with w.app.app_context():
        version = db.session.scalar(select(func.max(ProcessVersion.id)))
    return [(label, who, url.format(version=version)) for label, who, url in PAGES]


def measure(w: world.World, repeat: int = 5) -> dict[str, float]:
    """Median ms per page, in this world as it is now."""
    clients = {}
    result = {}
    for label, who, url in pages(w):
        if who not in clients:
            clients[who] = (
                world.applicant_client(w.app, w.logins[who])
                if who in w.logins
                else world.staff_client(w.app, who)
            )
        client = clients[who]
        _get(client, url)  # warm: templates, the version's specs, the page's first queries
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            _get(client, url)
            samples.append((time.perf_counter() - began) * 1000)
        result[label] = statistics.median(samples)
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
    with world.database("pages") as url:
        w = world.build(url)
        with w.app.app_context():
            world.clone_to(options.small)
        small = measure(w, options.repeat)
        with w.app.app_context():
            world.clone_to(options.large)
        large = measure(w, options.repeat)
    for label in small:
        print(
            f"{label:36} {small[label]:8.1f} ms {large[label]:8.1f} ms "
            f"{large[label] / small[label]:5.2f}x"
        )


if __name__ == "__main__":
    main()
