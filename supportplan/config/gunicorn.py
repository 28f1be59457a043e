"""Production web server settings (`gunicorn -c supportplan/config/gunicorn.py supportplan.config.wsgi`).

Threads per process keep PostgreSQL connections few (one per thread, reused via
CONN_MAX_AGE); scale out by running more app servers behind the load balancer.
"""

import multiprocessing
import os

bind = os.environ.get("SUPPORTPLAN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SUPPORTPLAN_WEB_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("SUPPORTPLAN_WEB_THREADS", "4"))
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("SUPPORTPLAN_ACCESS_LOG", "-")
errorlog = "-"


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """With PROMETHEUS_MULTIPROC_DIR set, drop a dead worker's live gauges (its counters stay)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
