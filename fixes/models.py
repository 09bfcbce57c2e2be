"""Fix proposals: a unified diff against a base commit that resolves one finding, with the
evidence of its automatic validation, a human review, and the result of applying it.

States (``FixStatus``)::

    generating ─► pending ─► approved ─► applied
        │           │  ▲        │  └───► failed
        ▼           ▼  │        ▼
      invalid    rejected     stale  (pending/approved whose base files changed)

``generating`` and ``invalid`` belong to the system: a proposal only reaches ``pending`` (the
first state a human sees as reviewable) with its validation evidence stored. Every transition is
recorded as a ``FixProposalEvent`` (the audit trail).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import OrgScopedQuerySet


class FixStatus(models.TextChoices):
    GENERATING = "generating", "Generating"
    INVALID = "invalid", "Invalid (failed automatic validation)"
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Apply failed"
    STALE = "stale", "Stale (base files changed)"


# (from, to) pairs; anything else is a 409 CONFLICT.
ALLOWED_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (FixStatus.GENERATING, FixStatus.PENDING),
        (FixStatus.GENERATING, FixStatus.INVALID),
        (FixStatus.PENDING, FixStatus.APPROVED),
        (FixStatus.PENDING, FixStatus.REJECTED),
        (FixStatus.APPROVED, FixStatus.APPLIED),
        (FixStatus.APPROVED, FixStatus.FAILED),
        (FixStatus.REJECTED, FixStatus.PENDING),
        (FixStatus.PENDING, FixStatus.STALE),
        (FixStatus.APPROVED, FixStatus.STALE),
    }
)
# Still waiting for someone: these become stale when their base files change.
OPEN_STATUSES = (FixStatus.PENDING, FixStatus.APPROVED)


class Provenance(models.TextChoices):
    RULE = "rule", "Rule-based fixer"
    LLM = "llm", "Language model"


class ConfidenceLabel(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


def confidence_label(value: float) -> str:
    if value >= 0.8:
        return ConfidenceLabel.HIGH
    if value >= 0.5:
        return ConfidenceLabel.MEDIUM
    return ConfidenceLabel.LOW


class FixProposalQuerySet(OrgScopedQuerySet):
    def open(self) -> FixProposalQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class FixProposal(models.Model):
    """A proposed change (unified diff against ``base_commit``) that resolves one finding."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="fix_proposals")
    repository = models.ForeignKey("analysis.Repository", on_delete=models.CASCADE, related_name="fix_proposals")
    finding = models.ForeignKey("findings.Finding", on_delete=models.CASCADE, related_name="fix_proposals")
    analysis_run = models.ForeignKey("analysis.AnalysisRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    base_commit = models.CharField(max_length=64, blank=True, default="")

    provenance = models.CharField(max_length=10, choices=Provenance.choices, default=Provenance.RULE)
    source = models.CharField(max_length=200, blank=True, default="", help_text="rule:<fixer-id> or llm:<model>.")
    title = models.CharField(max_length=500, blank=True, default="")
    explanation = models.TextField(blank=True, default="")
    diff = models.TextField(blank=True, default="")
    files = models.JSONField(default=list, blank=True, help_text="Paths the diff changes.")
    base_hashes = models.JSONField(default=dict, blank=True, help_text="{path: sha256 of the base file}.")
    confidence = models.FloatField(default=0.0)
    confidence_label = models.CharField(max_length=10, choices=ConfidenceLabel.choices, default=ConfidenceLabel.LOW)

    status = models.CharField(max_length=12, choices=FixStatus.choices, default=FixStatus.GENERATING)
    validation = models.JSONField(default=dict, blank=True, help_text="Sandbox evidence gathered before review.")
    preview = models.JSONField(default=dict, blank=True, help_text="Latest on-demand sandbox preview.")
    previewed_at = models.DateTimeField(null=True, blank=True)

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, default="")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    applied_at = models.DateTimeField(null=True, blank=True)
    apply_result = models.JSONField(default=dict, blank=True, help_text="{branch, commit_sha, pull_request_url}.")
    error_code = models.CharField(max_length=40, blank=True, default="")
    error = models.TextField(blank=True, default="")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FixProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Idempotent generation: one live proposal per finding and commit.
            models.UniqueConstraint(
                fields=["finding", "base_commit"],
                condition=Q(status__in=["generating", "pending"]),
                name="uniq_live_fix_per_finding_commit",
            ),
            models.CheckConstraint(condition=Q(confidence__gte=0) & Q(confidence__lte=1), name="fix_confidence_range"),
            models.CheckConstraint(
                condition=Q(status__in=FixStatus.values),
                name="fix_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="fix_org_created"),
            models.Index(fields=["repository", "status"], name="fix_repo_status"),
            models.Index(fields=["finding", "-created_at"], name="fix_finding_created"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.source or self.provenance} ({self.status})"

    @property
    def short_id(self) -> str:
        return self.id.hex[:8]

    @property
    def branch_name(self) -> str:
        return f"repotoire/fix-{self.short_id}"


class FixProposalEventQuerySet(OrgScopedQuerySet):
    pass


class FixProposalEvent(models.Model):
    """One transition of a proposal (the audit trail): who (null for the system), when, why."""

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(FixProposal, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=12, choices=FixStatus.choices, blank=True, default="")
    to_status = models.CharField(max_length=12, choices=FixStatus.choices)
    reason = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FixProposalEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["proposal", "created_at"], name="fix_event_proposal")]

    def __str__(self) -> str:
        return f"{self.proposal}: {self.from_status or '∅'} → {self.to_status}"
