"""The ASGI application ``make run`` serves (uvicorn). The web process uses the connection pool."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ.setdefault("REPOTOIRE_DB_POOL", "true")
application = get_asgi_application()
