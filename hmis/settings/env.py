"""The environment every settings module reads (django-environ), and the switch the others depend on."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless asked for (make run, .env from .env.example, tests): a deployment that forgets the variable
# must never show Django's technical pages (settings, URL list) to the world.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
