"""Code search: one ``CodeChunk`` per function, method, class and module summary of a repository's
latest indexed analysis, with its embedding (pgvector) and an identifier-aware full-text vector.

``CodeIndex`` is one row per repository: which run was indexed last and how far indexing got.
Chunks carry a stable ``key`` (path, qualified name, kind, part) and a ``content_hash`` of the
text that is embedded, so a re-analysis embeds only what changed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from pgvector.django import HnswIndex, VectorField

from accounts.models import OrgScopedQuerySet


class ChunkKind(models.TextChoices):
    MODULE = "module", "Module summary"
    CLASS = "class", "Class"
    FUNCTION = "function", "Function"
    METHOD = "method", "Method"


class CodeChunkQuerySet(OrgScopedQuerySet):
    def embedded_with(self, model_id: str) -> CodeChunkQuerySet:
        return self.filter(embedding_model=model_id, embedding__isnull=False)


class CodeChunk(models.Model):
    """A searchable piece of code: a definition (or part of a long one) or a module summary."""

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    repository = models.ForeignKey("analysis.Repository", on_delete=models.CASCADE, related_name="code_chunks")
    run = models.ForeignKey("analysis.AnalysisRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    commit_sha = models.CharField(max_length=64, blank=True, default="")
    key = models.CharField(max_length=1200, help_text="path::qualname::kind::part — stable across analyses.")
    path = models.CharField(max_length=1000)
    qualname = models.CharField(max_length=500)
    kind = models.CharField(max_length=10, choices=ChunkKind.choices)
    language = models.CharField(max_length=20, default="python")
    start_line = models.PositiveIntegerField()
    end_line = models.PositiveIntegerField()
    part = models.PositiveSmallIntegerField(default=0, help_text="Piece of a long definition (0 when whole).")
    parts = models.PositiveSmallIntegerField(default=1)
    content = models.TextField()
    content_hash = models.CharField(max_length=64, help_text="sha256 of the embedded text.")
    embedding = VectorField(dimensions=settings.REPOTOIRE_EMBEDDING_DIMENSIONS, null=True, blank=True)
    embedding_model = models.CharField(max_length=200, blank=True, default="")
    search_vector = SearchVectorField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    embedded_at = models.DateTimeField(null=True, blank=True)

    objects = CodeChunkQuerySet.as_manager()

    class Meta:
        ordering = ["repository", "path", "start_line", "part"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "key"], name="uniq_codechunk_repo_key"),
            models.CheckConstraint(condition=models.Q(end_line__gte=models.F("start_line")), name="codechunk_line_span"),
        ]
        indexes = [
            HnswIndex(
                name="codechunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            GinIndex(fields=["search_vector"], name="codechunk_search_gin"),
            models.Index(fields=["organization", "repository"], name="codechunk_org_repo"),
            models.Index(fields=["repository", "path"], name="codechunk_repo_path"),
            models.Index(fields=["repository", "content_hash"], name="codechunk_repo_hash"),
            models.Index(fields=["organization", "embedding_model"], name="codechunk_org_model"),
        ]

    def __str__(self) -> str:
        return f"{self.path}:{self.start_line} {self.qualname}"

    @property
    def is_embedded(self) -> bool:
        return self.embedding is not None and bool(self.embedding_model)


class IndexStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    INDEXING = "indexing", "Indexing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class CodeIndexQuerySet(OrgScopedQuerySet):
    pass


class CodeIndex(models.Model):
    """Code search state of one repository: the analysis run its chunks come from."""

    repository = models.OneToOneField(
        "analysis.Repository", on_delete=models.CASCADE, primary_key=True, related_name="code_index"
    )
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey("analysis.AnalysisRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    run_finished_at = models.DateTimeField(
        null=True, blank=True, help_text="Completion time of the indexed run (older runs are ignored)."
    )
    commit_sha = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=10, choices=IndexStatus.choices, default=IndexStatus.PENDING)
    chunks_total = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True, help_text="Counts of the last indexing (created, changed, deleted...).")
    error = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    objects = CodeIndexQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "code indexes"

    def __str__(self) -> str:
        return f"{self.repository.name} @ {self.commit_sha[:12]} ({self.status})"
