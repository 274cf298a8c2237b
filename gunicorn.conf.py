"""gunicorn's settings for every way the app is served (Procfile, docker/Dockerfile, `make bench`):
gunicorn reads this file from the working directory. The command lines add --bind (and the benchmark,
whose split run starts two smaller pools, --workers).

Sync workers, two per core: behind the TLS proxy (which buffers slow clients) a request holds a worker
only for its own milliseconds (docs/decisions/0010). Measured at 1M invoices on 2 cores: 4 sync
workers gave the AR report p95 4.0-4.1 ms at concurrency 4, against 5.4-9.0 ms for 2 workers x 4 threads.
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "sync"
graceful_timeout = 5
# One line per request already comes from the app (logger hmis.request); gunicorn's own access log would repeat it.
accesslog = None


# Metrics (core/metrics.py, docs/decisions/0014): with PROMETHEUS_MULTIPROC_DIR set, each worker records
# into its own files there; the master empties the folder at start and tells prometheus_client when a
# worker is gone. Readiness: a worker told to stop answers /healthz/ready with 503 for its last requests.
def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.unlink(os.path.join(folder, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    import signal

    from core import lifecycle

    stop = worker.handle_exit

    def handle_exit(sig, frame):
        lifecycle.begin_shutdown()
        stop(sig, frame)

    signal.signal(signal.SIGTERM, handle_exit)
