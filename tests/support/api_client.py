"""A typed Python client generated from the API's OpenAPI schema with openapi-python-client.

The generator lives in a venv of its own (.stack/tools/openapi-client, from requirements/client-generator.txt;
made once, then reused), because it needs pydantic 2 and the project's venv must not. The generated client
runs there too (it needs httpx and attrs, which that venv holds). `make api-client` uses the same venv.
"""

import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TOOLS = ROOT / ".stack" / "tools" / "openapi-client"
REQUIREMENTS = ROOT / "requirements" / "client-generator.txt"
PYTHON = TOOLS / "bin" / "python"
GENERATOR = TOOLS / "bin" / "openapi-python-client"
PACKAGE = "hmis_client"
# No post-generation hooks (they would run ruff from PATH); the package is named for us.
CONFIG = f"project_name_override: hmis-client\npackage_name_override: {PACKAGE}\npost_hooks: []\n"


class RegistryUnreachable(RuntimeError):
    """The generator is not installed and the package registry could not be reached to install it."""


def _installed() -> bool:
    stamp = TOOLS / ".installed"
    return GENERATOR.exists() and stamp.exists() and stamp.read_text() == REQUIREMENTS.read_text()


def ensure_generator() -> Path:
    """The generator's venv, made on first use (about a minute); RegistryUnreachable when pip cannot fetch."""
    if _installed():
        return GENERATOR
    if not PYTHON.exists():
        interpreter = "/usr/bin/python3.11" if Path("/usr/bin/python3.11").exists() else sys.executable
        subprocess.run([interpreter, "-m", "venv", str(TOOLS)], check=True, capture_output=True)
    done = subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RegistryUnreachable(done.stderr[-2000:])
    (TOOLS / ".installed").write_text(REQUIREMENTS.read_text())
    return GENERATOR


def generate(schema: Path, into: Path) -> Path:
    """Generate the client package from `schema` (JSON) into `into`/hmis_client; returns `into` (put it on
    sys.path to import hmis_client). Fails with the generator's output when it warns: a warning means an
    operation or a model was left out of the client."""
    config = into / "generator.yml"
    into.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG)
    done = subprocess.run(
        [
            str(ensure_generator()),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(into / PACKAGE),
            "--meta",
            "none",
            "--overwrite",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0 or "Warning" in output or "Error" in output:
        raise AssertionError(f"openapi-python-client did not generate a whole client:\n{output}")
    return into
