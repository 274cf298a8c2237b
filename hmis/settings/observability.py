"""Observability: who may read /metrics, where the worker serves its own, health checks, Prometheus."""

from hmis.settings.env import env

# Record metrics (off only to measure what they cost: bench/metrics_overhead.py).
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=True)
# /metrics answers a bearer token from anywhere, and requests from these networks without one (Prometheus
# next to the app). Empty token: the networks only. Behind a proxy every request comes from the proxy's
# address: set a token then, or narrow the networks to Prometheus's.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
# A Celery worker has no web server: its parent process serves the pool's metrics on this port (0: off).
METRICS_WORKER_ADDRESS = env("METRICS_WORKER_ADDRESS", default="127.0.0.1")
METRICS_WORKER_PORT = env.int("METRICS_WORKER_PORT", default=0)
# Prometheus as the local stack runs it (stack/stack.sh prometheus; the System admin page asks it).
PROMETHEUS_URL = env("PROMETHEUS_URL", default=f"http://127.0.0.1:{env.int('PROMETHEUS_PORT', default=59090)}")
