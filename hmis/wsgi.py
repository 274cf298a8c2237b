import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.base")
application = get_wsgi_application()

# What start-up made (modules, settings, URL patterns, models) lives as long as the process: out of the
# collector's generations, so that the collections requests trigger do not walk it each time (about a
# fifth of a report request's CPU here).
gc.freeze()
