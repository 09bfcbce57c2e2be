"""Root conftest: the test environment is chosen before Django's settings are imported."""

import os

os.environ.setdefault("REPOTOIRE_ENV", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")


def pytest_configure(config):
    # Tables are built from the models (much faster than replaying dj-stripe's migrations);
    # CI applies the real migrations separately. Set REPOTOIRE_TEST_MIGRATIONS=1 to use them here.
    if hasattr(config.option, "nomigrations") and not os.environ.get("REPOTOIRE_TEST_MIGRATIONS"):
        config.option.nomigrations = True


def pytest_collection_modifyitems(session, config, items):
    # The browser tests run last: pytest-playwright's session-wide browser keeps an asyncio loop
    # running in the main thread until the session ends, and Django refuses ORM calls from a thread
    # with a running loop (SynchronousOnlyOperation) — every database test after them would fail.
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))
