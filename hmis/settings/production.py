"""Production: as `base`, where DEBUG is already off unless DJANGO_DEBUG says otherwise; made explicit here.
With DEBUG off, `base` refuses the repository's development secret key and `security` turns on HTTPS
redirects, HSTS and secure cookies."""

import os

os.environ.setdefault("DJANGO_DEBUG", "false")

from hmis.settings.base import *  # noqa: F403
