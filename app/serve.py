"""`make serve`: production serving — gunicorn with N web workers plus M timer workers.

Settings come from the environment (docs/OPERATIONS.md): APP_CONFIG=production, DATABASE_URL,
SECRET_KEY, CREDENTIAL_KEYS, MAIL_*, PUBLIC_BASE_URL. Each child that dies is restarted.
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from app.supervisor import Child, Supervisor


def build_children(web_workers: int, timer_workers: int, host: str, port: int) -> list[Child]:
    metrics_dir = Path(tempfile.gettempdir()) / f"naccs-metrics-{port}"
    shutil.rmtree(metrics_dir, ignore_errors=True)  # samples of a previous run would add up
    metrics_dir.mkdir(parents=True)
    env = dict(os.environ)
    env.setdefault("APP_CONFIG", "production")
    env.update(
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        WEB_WORKERS=str(web_workers),
        HOST=host,
        PORT=str(port),
    )
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:app.gunicorn_conf",
        "app:create_app()",
    ]
    worker = [sys.executable, "-m", "flask", "--app", "app", "workflow", "worker"]
    children = [Child("web", gunicorn, env)]
    children += [Child(f"timer-{n}", worker, env) for n in range(1, timer_workers + 1)]
    return children


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", "4")))
    parser.add_argument(
        "--timer-workers", type=int, default=int(os.environ.get("TIMER_WORKERS", "2"))
    )
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    children = build_children(args.web_workers, args.timer_workers, args.host, args.port)
    print(
        f"  serving on http://{args.host}:{args.port}/ with {args.web_workers} web and "
        f"{args.timer_workers} timer workers",
        flush=True,
    )
    return Supervisor(children).run()


if __name__ == "__main__":
    sys.exit(main())
