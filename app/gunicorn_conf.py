"""gunicorn settings for `make serve`: bind, worker count, the collector and Prometheus hooks."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_WORKERS", "4"))
# Requests never wait on SMTP and the engine work is short: sync workers, bounded time.
worker_class = "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
# Restart each worker now and then so a slow leak can never grow for weeks.
max_requests = 5000
max_requests_jitter = 500
accesslog = None  # the app logs one structured line per request itself
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """The worker has loaded the app: tune its garbage collector for serving (app.gc_tuning)."""
    from app.gc_tuning import tune_for_serving

    tune_for_serving()


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the shared metrics directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
