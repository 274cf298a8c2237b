"""The production processes the benchmark drives: gunicorn (production settings) and a Celery worker + beat."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE_URL = f"http://127.0.0.1:{PORT}"
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
LOG_DIR = ROOT / ".stack" / "bench"


def production_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hmis.settings.production",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-" + "x" * 50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "INFO",
        # As deployed: TLS ends at a proxy that says so (the load generators send X-Forwarded-Proto).
        "DJANGO_BEHIND_TLS_PROXY": "1",
        # Far above what the benchmark asks, so that every request is counted and none refused.
        "API_THROTTLE_RATE": "1000000/min",
    }
    env.update(extra)
    return env


class Processes:
    """Starts and stops gunicorn and the worker; their logs go to .stack/bench/."""

    def __init__(self, workers: int = 4, *, port: int = PORT, name: str = "web", cpus: str = ""):
        # cpus: a taskset list ("0", "1") to run the web pool and the worker on (bench/topology.py)
        self.workers, self.port, self.name, self.cpus = workers, port, name, cpus
        # (path, headers) asked a few times per web worker after each start, so that no measurement
        # begins with workers that have not yet connected or filled their caches
        self.warm: list[tuple[str, dict]] = []
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.live_worker: subprocess.Popen | None = None
        LOG_DIR.mkdir(parents=True, exist_ok=True)

    def _spawn(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = open(LOG_DIR / f"{name}.log", "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        if self.cpus:
            argv = ["taskset", "-c", self.cpus, *argv]
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603

    def start_web(self, **env: str) -> None:
        self.stop_web()
        (LOG_DIR / f"{self.name}.log").unlink(missing_ok=True)
        self.web = self._spawn(
            self.name,
            [
                str(VENV_BIN / "gunicorn"),
                "hmis.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",  # the rest from gunicorn.conf.py, as deployed
                str(self.workers),
            ],
            production_env(**env),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    pass
                self._warm_up()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer on port {self.port}; see {LOG_DIR / f'{self.name}.log'}")

    def _warm_up(self) -> None:
        for path, headers in self.warm:
            for _ in range(self.workers * 4):
                request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers)
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local URL)
                    response.read()

    def start_worker(self, **env: str) -> None:
        self.stop_worker()
        self.worker = self._spawn(
            "worker",
            # At a lower CPU priority than the web workers, as in the Procfile: refreshes yield to requests.
            [
                "nice",
                "-n",
                "10",
                str(VENV_BIN / "celery"),
                "-A",
                "hmis",
                "worker",
                "--beat",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "2",
                "--queues",
                "celery,live",
                "--schedule",
                str(LOG_DIR / "celerybeat-schedule"),
            ],
            production_env(**env),
        )
        # The live boards' worker, as in the Procfile.
        self.live_worker = self._spawn(
            "live-worker",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "hmis",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "1",
                "--queues",
                "live",
                "--hostname",
                f"live-{os.getpid()}@%h",
            ],
            production_env(**env),
        )
        time.sleep(4)

    def _stop(self, process: subprocess.Popen | None) -> None:
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_web(self) -> None:
        self._stop(self.web)
        self.web = None

    def stop_worker(self) -> None:
        self._stop(self.worker)
        self._stop(self.live_worker)
        self.worker = self.live_worker = None

    def stop(self) -> None:
        self.stop_web()
        self.stop_worker()

    def peak_rss_mb(self) -> dict[str, float]:
        """Peak resident memory (VmHWM) of each gunicorn worker and the Celery processes, in MiB."""
        peaks: dict[str, float] = {}
        for label, process in (("web", self.web), ("celery", self.worker)):
            if process is None:
                continue
            pids = subprocess.run(  # noqa: S603
                ["/usr/bin/pgrep", "-g", str(process.pid)], capture_output=True, text=True, check=False
            ).stdout.split()
            values = []
            for pid in pids:
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        values.append(int(line.split()[1]) / 1024)
            if values:
                peaks[f"{label}_max_process"] = round(max(values), 1)
        return peaks
