"""The alert rules in ops/prometheus/ (issue 26): valid, each with a runbook line, each unit-tested by
`promtool test rules` (Debian's prometheus package; `make test` installs it when missing)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

RULES = Path(__file__).resolve().parents[2] / "ops" / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (apt-get install prometheus; `make test` does it as root)"
)


def _alerts() -> dict[str, dict]:
    groups = yaml.safe_load((RULES / "alerts.yml").read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}


def test_every_alert_has_a_summary_a_runbook_and_a_severity():
    for name, rule in _alerts().items():
        assert rule["annotations"].get("summary"), name
        assert len(rule["annotations"].get("runbook", "")) > 40, f"{name}: say what to look at first"
        assert rule["labels"]["severity"] in ("warning", "critical"), name


def test_every_alert_is_unit_tested():
    tested = set(re.findall(r"alertname: (\w+)", (RULES / "alerts.test.yml").read_text()))
    assert set(_alerts()) <= tested, f"no promtool test for {sorted(set(_alerts()) - tested)}"


@needs_promtool
def test_the_rules_are_valid():
    result = subprocess.run([PROMTOOL, "check", "rules", "alerts.yml"], cwd=RULES, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_unit_tests_pass():
    result = subprocess.run(
        [PROMTOOL, "test", "rules", "alerts.test.yml"], cwd=RULES, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def _declared() -> set[str]:
    """Every series name /metrics can carry: core/metrics.py's families (with their suffixes) and the
    gauges ops/metrics.py measures at scrape time."""
    from prometheus_client.metrics import MetricWrapperBase

    from core import metrics

    names = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}[value._type]
            names.update({value._name, *(value._name + suffix for suffix in suffixes)})
    source = (RULES.parent / "metrics.py").read_text()
    names.update(re.findall(r'_gauge\(\s*"(hmis_[a-z0-9_]+)"', source))
    return names


def test_the_rules_the_dashboard_and_the_system_page_name_only_metrics_we_export():
    used = {}
    for path in (RULES / "alerts.yml", RULES.parent / "grafana" / "hmis.json", RULES.parent / "system.py"):
        used[path.name] = set(re.findall(r"(?<![:\w])hmis_[a-z0-9_]+", path.read_text()))
    declared = _declared()
    unknown = {name: sorted(names - declared) for name, names in used.items() if names - declared}
    assert not unknown, f"not exported by /metrics: {unknown}"
    assert used["alerts.yml"] and used["hmis.json"] and used["system.py"]
