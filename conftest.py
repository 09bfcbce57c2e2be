"""Root conftest: the test environment is chosen before Django's settings are imported."""

import os

os.environ.setdefault("REPOTOIRE_ENV", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
