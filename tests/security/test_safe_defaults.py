"""A deployment that forgets a variable is safe: DEBUG off, no development key, JSON-only API, long
passwords, and an image with no secrets or local state in it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = "from django.conf import settings as s; print(s.DEBUG, s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'])"


def manage(*args, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment |= {"DJANGO_SETTINGS_MODULE": "hmis.settings.base", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_with_no_settings_given_debug_is_off_and_the_development_key_is_refused():
    result = manage("check")
    assert result.returncode != 0 and "Set DJANGO_SECRET_KEY" in result.stderr


def test_production_serves_the_api_as_json_only():
    result = manage("shell", "-c", PRINT_SETTINGS, DJANGO_SECRET_KEY="k" * 60)
    assert result.returncode == 0, result.stderr
    assert "False [" in result.stdout and "BrowsableAPIRenderer" not in result.stdout
    developing = manage("shell", "-c", PRINT_SETTINGS, DJANGO_DEBUG="true")
    assert "BrowsableAPIRenderer" in developing.stdout


def test_the_image_build_collects_static_files_without_the_real_secret():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    step = re.search(r"RUN (DJANGO_SECRET_KEY=.*?collectstatic --noinput)", dockerfile, re.S).group(1)
    result = subprocess.run(
        ["/bin/sh", "-c", step.replace("\\\n", " ").replace("python ", f"{sys.executable} ")],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        | {"DJANGO_SETTINGS_MODULE": "hmis.settings.production"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def test_the_image_leaves_out_secrets_and_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".git", ".stack", ".venv"} <= set(ignored)


@pytest.mark.parametrize("password", ["Ab3$efgh", "ward-4-pass"])
def test_passwords_need_twelve_characters(password):
    with pytest.raises(ValidationError, match="at least 12"):
        validate_password(password)
