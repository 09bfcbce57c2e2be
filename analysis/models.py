"""Repositories that an organisation analyses, and the analysis runs over them."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import OrgScopedQuerySet


class Provider(models.TextChoices):
    GIT = "git", "Git (any URL)"
    GITHUB = "github", "GitHub"
    LOCAL = "local", "Local path"


class RepositoryQuerySet(OrgScopedQuerySet):
    def active(self) -> RepositoryQuerySet:
        return self.filter(is_active=True)


class Repository(models.Model):
    """A code repository registered by an organisation: where to fetch it and its latest health."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="repositories")
    name = models.CharField(max_length=200)
    clone_url = models.CharField(max_length=1000, help_text="https://, ssh:// or scp-style git URL; a local path where allowed.")
    default_branch = models.CharField(max_length=255, blank=True, default="")
    provider = models.CharField(max_length=10, choices=Provider.choices, default=Provider.GIT)
    last_commit_sha = models.CharField(max_length=64, blank=True, default="")
    last_score = models.FloatField(null=True, blank=True)
    last_grade = models.CharField(max_length=2, blank=True, default="")
    last_analyzed_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RepositoryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "repositories"
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="uniq_repository_org_name")]

    def __str__(self) -> str:
        return self.name

    def brief(self) -> dict[str, str]:
        """How events and webhooks name the repository."""
        return {"id": str(self.pk), "name": self.name}


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
TERMINAL_STATUSES = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)


class RunTrigger(models.TextChoices):
    API = "api", "API"
    PUSH = "push", "Push"
    PULL_REQUEST = "pull_request", "Pull request"
    SCHEDULE = "schedule", "Schedule"
    RERUN = "rerun", "Re-run"


class RunErrorCode(models.TextChoices):
    CLONE_FAILED = "CLONE_FAILED", "Clone failed"
    TIMEOUT = "TIMEOUT", "Timed out"
    NO_SOURCE_FILES = "NO_SOURCE_FILES", "No source files"
    CONFIG_INVALID = "CONFIG_INVALID", "Invalid repotoire.toml"
    WORKER_LOST = "WORKER_LOST", "Worker lost"
    INTERNAL = "INTERNAL", "Internal error"


class AnalysisRunQuerySet(OrgScopedQuerySet):
    def active(self) -> AnalysisRunQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def running(self) -> AnalysisRunQuerySet:
        return self.filter(status=RunStatus.RUNNING)

    def completed(self) -> AnalysisRunQuerySet:
        return self.filter(status=RunStatus.COMPLETED)


class AnalysisRun(models.Model):
    """One analysis of one repository at one commit: queued → running → completed | failed | cancelled."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="analysis_runs")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(max_length=20, choices=RunTrigger.choices, default=RunTrigger.API)
    branch = models.CharField(max_length=255, blank=True, default="")
    commit_sha = models.CharField(max_length=64, blank=True, default="", help_text="Requested commit, then the analysed one.")
    pull_request_number = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    progress_percent = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=50, blank=True, default="")
    message = models.CharField(max_length=500, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When a queued run was last handed to the task queue (avoids duplicate messages)."
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker claimed this run.")

    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    files_analyzed = models.PositiveIntegerField(null=True, blank=True)
    lines_analyzed = models.PositiveIntegerField(null=True, blank=True)
    health_score = models.FloatField(null=True, blank=True)
    grade = models.CharField(max_length=2, blank=True, default="")
    pillar_scores = models.JSONField(default=dict, blank=True)
    findings_counts = models.JSONField(default=dict, blank=True, help_text="Findings by severity.")
    metrics = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(
        default=list, blank=True, help_text="Files the analysis left out for a reason worth telling (undecodable names)."
    )

    error_code = models.CharField(max_length=20, choices=RunErrorCode.choices, blank=True, default="")
    error_message = models.TextField(blank=True, default="")

    objects = AnalysisRunQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository"],
                condition=Q(status__in=["queued", "running"]),
                name="uniq_active_run_per_repository",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-queued_at"], name="analysisrun_org_queued"),
            models.Index(fields=["repository", "-queued_at"], name="analysisrun_repo_queued"),
            models.Index(
                fields=["organization", "status", "queued_at"],
                condition=Q(status__in=["queued", "running"]),
                name="analysisrun_active",
            ),
        ]

    def __str__(self) -> str:
        when = f" {self.queued_at:%Y-%m-%d %H:%M}" if self.queued_at else ""
        commit = f" @ {self.commit_sha[:12]}" if self.commit_sha else ""
        return f"{self.repository.name}{when}{commit} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def progress_payload(self) -> dict[str, Any]:
        """The SSE ``progress`` event body for this run's current state."""
        stamp = self.finished_at or self.heartbeat_at or self.started_at or self.queued_at
        return {
            "analysis_id": str(self.id),
            "status": self.status,
            "progress_percent": self.progress_percent,
            "stage": self.stage,
            "message": self.message,
            "timestamp": stamp.isoformat() if stamp else None,
        }


class AnalysisFacts(models.Model):
    """Per-file engine facts of a completed run (zlib-compressed pickle), kept apart from the run
    row so status reads never load them; the next run of the repository reuses them for files
    whose content hash did not change."""

    run = models.OneToOneField(AnalysisRun, on_delete=models.CASCADE, primary_key=True, related_name="facts")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    engine_version = models.CharField(max_length=20)
    file_count = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveIntegerField(default=0)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "analysis facts"

    def __str__(self) -> str:
        return f"facts of {self.run} ({self.size_bytes} bytes)"


class AnalysisReport(models.Model):
    """The engine's JSON report of a completed run (zlib-compressed); the SARIF, Markdown and
    HTML reports are rendered from it on request."""

    run = models.OneToOneField(AnalysisRun, on_delete=models.CASCADE, primary_key=True, related_name="report")
    size_bytes = models.PositiveIntegerField(default=0)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"report of {self.run} ({self.size_bytes} bytes)"
