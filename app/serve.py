"""`make serve`: production serving — gunicorn with N web workers plus M timer workers.

Settings come from the environment (docs/OPERATIONS.md): APP_CONFIG=production, DATABASE_URL,
SECRET_KEY, CREDENTIAL_KEYS, MAIL_*, PUBLIC_BASE_URL. Each child that dies is restarted.
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from app.supervisor import Supervisor, run_until_signalled


def commands(timer_workers: int) -> dict[str, list[str]]:
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:app.gunicorn_conf",
        "app:create_app()",
    ]
    worker = [sys.executable, "-m", "flask", "--app", "app", "workflow", "worker"]
    children = {"web": gunicorn}
    children.update({f"timer-{n}": worker for n in range(1, timer_workers + 1)})
    return children


def prepare_environment(web_workers: int, host: str, port: int) -> None:
    """What every child inherits: the config, gunicorn's settings, the shared metrics folder."""
    metrics_dir = Path(tempfile.gettempdir()) / f"naccs-metrics-{port}"
    shutil.rmtree(metrics_dir, ignore_errors=True)  # samples of a previous run would add up
    metrics_dir.mkdir(parents=True)
    os.environ.setdefault("APP_CONFIG", "production")
    os.environ.update(
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        WEB_WORKERS=str(web_workers),
        HOST=host,
        PORT=str(port),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="gunicorn web workers plus timer workers")
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", "4")))
    parser.add_argument(
        "--timer-workers", type=int, default=int(os.environ.get("TIMER_WORKERS", "2"))
    )
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    prepare_environment(args.web_workers, args.host, args.port)
    supervisor = Supervisor(commands(args.timer_workers))
    print(
        f"  serving on http://{args.host}:{args.port}/ with {args.web_workers} web and "
        f"{args.timer_workers} timer workers",
        flush=True,
    )
    return run_until_signalled(supervisor)


if __name__ == "__main__":
    sys.exit(main())
