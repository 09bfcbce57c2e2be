"""Findings with a persistent identity (the engine's fingerprint) and a triage lifecycle.

A ``Finding`` is one problem of one repository across analyses: it keeps its id and triage while
the analysed code keeps producing the same fingerprint. ``FindingOccurrence`` records where it was
in each run, so a run's findings can be listed exactly as they were. ``FindingTriageEvent`` is the
history of status changes, by people (triage) and by analyses (fixed, reopened).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from accounts.models import OrgScopedQuerySet
from analysis.engine.model import SEVERITY_ORDER
from analysis.engine.model import Severity as EngineSeverity


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    INFO = "info", "Info"


# Higher is worse; stored on the row so "most severe first" is an index scan, not a CASE.
SEVERITY_RANK: dict[str, int] = {s: EngineSeverity(s).rank for s in reversed(SEVERITY_ORDER)}
RANK_SEVERITY: dict[int, str] = {v: k for k, v in SEVERITY_RANK.items()}


class FindingKind(models.TextChoices):
    """What a finding claims (the engine's ``model.Kind``)."""

    VULNERABILITY = "vulnerability", "Vulnerability"
    HOTSPOT = "hotspot", "Security hotspot"
    ISSUE = "issue", "Issue"


class FileRole(models.TextChoices):
    """What the finding's file is for (the engine's ``model.Role``); only source counts."""

    SOURCE = "source", "Source"
    TEST = "test", "Test"
    EXAMPLE = "example", "Example or docs"
    VENDORED = "vendored", "Vendored"
    GENERATED = "generated", "Generated"


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ACCEPTED = "accepted", "Accepted (won't fix)"
    FALSE_POSITIVE = "false_positive", "False positive"
    FIXED = "fixed", "Fixed"


# Statuses a person may set; `fixed` is only ever set by an analysis that no longer sees the finding.
TRIAGE_STATUSES = (FindingStatus.OPEN, FindingStatus.ACKNOWLEDGED, FindingStatus.ACCEPTED, FindingStatus.FALSE_POSITIVE)
# Still a problem in the code: an analysis that stops seeing one of these marks it fixed.
ACTIVE_STATUSES = (FindingStatus.OPEN, FindingStatus.ACKNOWLEDGED)
# Triaged away: they stay listed but stop counting against the health score and quality gates.
SUPPRESSED_STATUSES = (FindingStatus.ACCEPTED, FindingStatus.FALSE_POSITIVE)


class FindingQuerySet(OrgScopedQuerySet):
    def unresolved(self) -> FindingQuerySet:
        return self.exclude(status=FindingStatus.FIXED)


class FindingLanguage(models.TextChoices):
    """The engine's languages (``analysis.engine.languages.ALL_LANGUAGES``)."""

    PYTHON = "python", "Python"
    JAVASCRIPT = "javascript", "JavaScript"
    TYPESCRIPT = "typescript", "TypeScript"
    GO = "go", "Go"
    JAVA = "java", "Java"
    CSHARP = "csharp", "C#"
    RUST = "rust", "Rust"
    C = "c", "C"
    CPP = "cpp", "C++"


class Finding(models.Model):
    """One problem in one repository, identified by the engine's fingerprint across analyses."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No single-column indexes: the composite indexes below start with these columns (fewer
    # indexes to maintain when an analysis writes thousands of rows).
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="findings", db_index=False)
    repository = models.ForeignKey("analysis.Repository", on_delete=models.CASCADE, related_name="findings", db_index=False)
    fingerprint = models.CharField(max_length=64)

    detector = models.CharField(max_length=100)
    category = models.CharField(max_length=30)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    severity_rank = models.PositiveSmallIntegerField(default=0, help_text="4 critical … 0 info (for ordering).")
    # git history: the hotspot score of the finding's file (0 outside hotspots); findings of equal
    # severity in the hottest files come first in the default ordering
    hotspot_score = models.FloatField(default=0.0)
    title = models.CharField(max_length=500)
    message = models.TextField(blank=True, default="")
    # Current location (as of last_seen_run); per-run locations live in FindingOccurrence.
    path = models.CharField(max_length=1000)
    line = models.PositiveIntegerField(default=0)
    column = models.PositiveIntegerField(default=0)
    end_line = models.PositiveIntegerField(default=0)
    end_column = models.PositiveIntegerField(default=0)
    symbol = models.CharField(max_length=500, blank=True, default="")
    snippet = models.TextField(blank=True, default="")
    cwe = models.CharField(max_length=20, blank=True, default="")
    confidence = models.FloatField(default=1.0)
    effort_minutes = models.PositiveIntegerField(default=5)
    metadata = models.JSONField(default=dict, blank=True)
    kind = models.CharField(max_length=15, choices=FindingKind.choices, default=FindingKind.ISSUE)
    role = models.CharField(max_length=10, choices=FileRole.choices, default=FileRole.SOURCE)
    taint_path = models.JSONField(
        default=list, blank=True, help_text="Vulnerabilities: steps {path, line, note} from the untrusted source to the sink."
    )
    language = models.CharField(
        max_length=20,
        choices=FindingLanguage.choices,
        default=FindingLanguage.PYTHON,
        help_text="Language of the finding's file.",
    )

    status = models.CharField(max_length=20, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    triage_reason = models.TextField(blank=True, default="")
    triaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    triaged_at = models.DateTimeField(null=True, blank=True)
    triage_expires_at = models.DateTimeField(null=True, blank=True, help_text="An accepted finding reopens after this.")
    reopened_count = models.PositiveIntegerField(default=0)
    reopened_at = models.DateTimeField(null=True, blank=True)

    first_seen_run = models.ForeignKey("analysis.AnalysisRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    last_seen_run = models.ForeignKey("analysis.AnalysisRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    fixed_in_run = models.ForeignKey("analysis.AnalysisRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Seen by the latest recorded (= latest completed) run of its repository: the default list.
    # Kept on the row so that list is an ordered scan of a partial index, not a join or an IN.
    is_present = models.BooleanField(default=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["-severity_rank", "-hotspot_score", "path", "line"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "fingerprint"], name="uniq_finding_repo_fingerprint"),
            models.CheckConstraint(condition=models.Q(severity_rank__lte=4), name="finding_severity_rank_range"),
        ]
        indexes = [
            # The default list (present findings), most severe first or by file: LIMIT stops early.
            models.Index(
                fields=["repository", "-severity_rank", "-hotspot_score", "path", "line", "id"],
                condition=models.Q(is_present=True),
                name="finding_present_repo_sev_hot",
            ),
            models.Index(
                fields=["organization", "-severity_rank", "-hotspot_score", "path", "line", "id"],
                condition=models.Q(is_present=True),
                name="finding_present_org_sev_hot",
            ),
            models.Index(
                fields=["repository", "path", "line", "id"], condition=models.Q(is_present=True), name="finding_present_repo_file"
            ),
            models.Index(fields=["repository", "status"], name="finding_repo_status"),
            models.Index(fields=["repository", "detector"], name="finding_repo_detector"),
            models.Index(fields=["repository", "category"], name="finding_repo_category"),
            models.Index(fields=["organization", "-created_at"], name="finding_org_created"),
            models.Index(fields=["path"], opclasses=["varchar_pattern_ops"], name="finding_path_prefix"),
            # No trigram index for `search`: measured, the two GIN indexes cost 40% of the write
            # time of an analysis while a filtered scan answers the search fast enough.
        ]

    def __str__(self) -> str:
        return f"{self.detector} {self.path}:{self.line} ({self.status})"

    @property
    def is_suppressed(self) -> bool:
        return self.status in SUPPRESSED_STATUSES


class FindingOccurrence(models.Model):
    """Where a finding was in one run (the run's own lines), one row per finding per run."""

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey("analysis.AnalysisRun", on_delete=models.CASCADE, related_name="finding_occurrences")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="occurrences")
    line = models.PositiveIntegerField(default=0)
    column = models.PositiveIntegerField(default=0)
    end_line = models.PositiveIntegerField(default=0)
    end_column = models.PositiveIntegerField(default=0)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    snippet_hash = models.CharField(max_length=16, blank=True, default="", help_text="First 16 hex of sha256(snippet).")

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["run", "finding"], name="uniq_occurrence_run_finding")]
        indexes = [models.Index(fields=["finding", "-id"], name="occurrence_finding")]

    def __str__(self) -> str:
        return f"{self.finding.path}:{self.line} in {self.run}"


class FindingTriageEventQuerySet(OrgScopedQuerySet):
    pass


class FindingTriageEvent(models.Model):
    """One status change: who (null for an analysis), when, from, to, why."""

    class Source(models.TextChoices):
        API = "api", "API"
        ADMIN = "admin", "Admin"
        ANALYSIS = "analysis", "Analysis"

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="triage_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    run = models.ForeignKey("analysis.AnalysisRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=20, choices=FindingStatus.choices)
    to_status = models.CharField(max_length=20, choices=FindingStatus.choices)
    reason = models.TextField(blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FindingTriageEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["finding", "-created_at"], name="triage_event_finding")]

    def __str__(self) -> str:
        return f"{self.finding}: {self.from_status} → {self.to_status}"
