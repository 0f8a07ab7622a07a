"""WSGI entry for the benchmark's gunicorn: the project's settings with debugging off.

The benchmark runs with SPOLU_DEBUG=1 (no production secrets needed), but measures the
application as production runs it: no query log, no template debug information.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spolu.settings")
settings.DEBUG = False

application = get_wsgi_application()
