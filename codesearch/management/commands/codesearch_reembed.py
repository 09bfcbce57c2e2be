"""Queue embedding of every chunk lacking a vector of the current model (after changing
REPOTOIRE_EMBEDDING_BACKEND or the OpenAI embedding model). With ``--resize``, first change the
vector column to REPOTOIRE_EMBEDDING_DIMENSIONS (dropping all vectors) for a model of another size."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from codesearch import services
from codesearch.models import CodeChunk


class Command(BaseCommand):
    help = "Queue (re-)embedding of code search chunks with the configured model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--resize", action="store_true", help="Change the vector column to REPOTOIRE_EMBEDDING_DIMENSIONS first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["resize"]:
            dims = int(settings.REPOTOIRE_EMBEDDING_DIMENSIONS)
            table = CodeChunk._meta.db_table
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(f"ALTER TABLE {table} ALTER COLUMN embedding TYPE vector({dims}) USING NULL")
                cur.execute(f"UPDATE {table} SET embedding_model = '', embedded_at = NULL")
            self.stdout.write(f"vector column resized to {dims} dimensions; all chunks need embedding")
        with transaction.atomic():
            queued = services.codesearch_reembed_stale()
        self.stdout.write(f"queued {queued['chunks']} chunks in {queued['tasks']} tasks")
