"""Risky patterns without evidence: hotspots for a person to review once."""

import tempfile

from django.views.decorators.csrf import csrf_exempt
from flask import Flask

app = Flask(__name__)


@csrf_exempt  # expect: csrf-exempt hotspot
def webhook(request):
    return tempfile.mktemp()  # expect: insecure-tempfile hotspot


def serve():
    app.run(host="0.0.0.0", debug=True)  # expect: bind-all-interfaces hotspot; debug-enabled hotspot
