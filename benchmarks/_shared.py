"""Helpers every database benchmark uses: percentiles, the schema built from the models (as the
test suite builds it), dropping the benchmark's own database, and a git copy of a project."""

from __future__ import annotations

import shutil
from pathlib import Path


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def build_schema() -> None:
    """Tables from the models, as the test suite builds them (the HNSW and GIN indexes included):
    seconds instead of the minutes of the real migrations."""
    from django.conf import settings
    from django.core.management import call_command

    class DisableMigrations(dict):
        def __contains__(self, item: object) -> bool:
            return True

        def __getitem__(self, item: str) -> None:
            return None

    settings.MIGRATION_MODULES = DisableMigrations()
    call_command("migrate", run_syncdb=True, verbosity=0)


def drop_database() -> None:
    """Drop the database this process points at (the benchmark's own, REPOTOIRE_DB_NAME)."""
    import psycopg
    from django.conf import settings
    from django.db import connections

    name = settings.DATABASES["default"]["NAME"]
    connections.close_all()
    with psycopg.connect(host=settings.DATABASES["default"]["HOST"], user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"dropped database {name}")


def git_copy(src: Path, dest: Path) -> None:
    """``src`` copied to ``dest`` as a git repository with one commit on ``main``."""
    from tests.gitrepo import git

    shutil.copytree(src, dest)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "import")
