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
