"""The ASGI application ``make run`` serves (uvicorn). The web process uses the connection pool."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ.setdefault("REPOTOIRE_DB_POOL", "true")

from django.conf import settings  # noqa: E402 - after the settings module is chosen
from django.core.asgi import get_asgi_application  # noqa: E402

from repotoire import shutdown  # noqa: E402
from repotoire.request_body import RequestBodyLimit  # noqa: E402

# StopAware: on a stop, open Server-Sent Events streams end cleanly before uvicorn waits for the
# connections to close (repotoire/shutdown.py).
application = shutdown.StopAware(RequestBodyLimit(get_asgi_application(), max_bytes=settings.REPOTOIRE_MAX_REQUEST_BYTES))
