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
