#!/usr/bin/env bash
# Prometheus for the local stack (Procfile `prometheus:`; `make run`): scrapes the web (8000), the worker
# and the live worker (METRICS_WORKER_PORT of each, as the Procfile sets them) with the shipped alert rules
# (ops/prometheus/alerts.yml), keeps two days in .stack/prometheus/, answers on PROMETHEUS_PORT (the admin's
# System page asks it). Debian's prometheus package; when it is missing (and we are not root to install
# it) this says so and idles, so that `make run` still starts everything else.
set -euo pipefail
cd "$(dirname "$0")/.."
. stack/lib/common.sh

PORT=${PROMETHEUS_PORT:-59090}
WEB=${WEB_PORT:-8000}
WORKER=${WORKER_METRICS_PORT:-59091}
LIVE=${LIVE_METRICS_PORT:-59092}
DIR=.stack/prometheus

if ! command -v prometheus >/dev/null 2>&1; then
  if is_root; then apt_install prometheus; else
    say "prometheus is not installed (sudo apt-get install prometheus): the System page will have no charts"
    exec sleep infinity
  fi
fi
mkdir -p "$DIR/data"
cat > "$DIR/prometheus.yml" <<YAML
global: {scrape_interval: 15s, evaluation_interval: 15s}
rule_files: ["$PWD/ops/prometheus/alerts.yml"]
scrape_configs:
  - {job_name: hmis-web, static_configs: [{targets: ["127.0.0.1:$WEB"]}]}
  - {job_name: hmis-worker, static_configs: [{targets: ["127.0.0.1:$WORKER", "127.0.0.1:$LIVE"]}]}
YAML
exec prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/data" \
  --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$PORT"
