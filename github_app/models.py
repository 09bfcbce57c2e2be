"""The GitHub App: installations, the repositories they grant, quality gates, received webhook
deliveries and the pull-request checks we run."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from accounts.models import OrgScopedQuerySet


class GithubInstallation(models.Model):
    """One installation of our GitHub App on a GitHub account (user or organisation).

    ``organization`` stays empty until the setup flow links it (a signed state from the
    organisation that started the install). The installation access token is cached here,
    Fernet-encrypted, until shortly before it expires.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="github_installations"
    )
    installation_id = models.BigIntegerField(unique=True, help_text="GitHub's installation id.")
    account_login = models.CharField(max_length=255, blank=True, default="")
    account_id = models.BigIntegerField(null=True, blank=True)
    account_type = models.CharField(max_length=30, blank=True, default="", help_text="User or Organization.")
    repository_selection = models.CharField(max_length=10, blank=True, default="", help_text="all or selected.")
    permissions = models.JSONField(default=dict, blank=True)
    events = models.JSONField(default=list, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)
    token_encrypted = models.TextField(blank=True, default="", editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["account_login", "installation_id"]

    def __str__(self) -> str:
        return f"{self.account_login or '?'} ({self.installation_id})"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None and self.suspended_at is None


class GithubRepositoryQuerySet(OrgScopedQuerySet):
    def enabled(self) -> GithubRepositoryQuerySet:
        return self.filter(enabled=True, removed_at__isnull=True)


class GithubRepository(models.Model):
    """A repository an installation grants us, whether we analyse it (``enabled``, linked to an
    ``analysis.Repository``) and its quality gate."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="github_repositories"
    )
    installation = models.ForeignKey(GithubInstallation, on_delete=models.CASCADE, related_name="repositories")
    github_id = models.BigIntegerField(help_text="GitHub's repository id.")
    full_name = models.CharField(max_length=300)
    private = models.BooleanField(default=False)
    default_branch = models.CharField(max_length=255, blank=True, default="")
    clone_url = models.CharField(max_length=1000, blank=True, default="")
    html_url = models.CharField(max_length=1000, blank=True, default="")
    enabled = models.BooleanField(default=False)
    repository = models.ForeignKey(
        "analysis.Repository", on_delete=models.SET_NULL, null=True, blank=True, related_name="github_links"
    )
    removed_at = models.DateTimeField(null=True, blank=True, help_text="No longer granted by the installation.")

    # Debounced push analysis: the latest default-branch commit waiting for the repository to be free.
    pending_push_sha = models.CharField(max_length=64, blank=True, default="")

    # Quality gate, evaluated on pull requests (new code vs the base commit's analysis, and totals).
    gate_enabled = models.BooleanField(default=True)
    min_health_score = models.FloatField(null=True, blank=True)
    max_new_critical = models.PositiveIntegerField(null=True, blank=True, default=0)
    max_new_high = models.PositiveIntegerField(null=True, blank=True)
    max_new_findings = models.PositiveIntegerField(null=True, blank=True)
    fail_on_new_security = models.BooleanField(default=False)
    fail_on_new_import_cycle = models.BooleanField(default=False)
    # git history: the pull request raises the complexity of one of the base's top-10 hotspots
    fail_on_hotspot_complexity = models.BooleanField(default=False)
    max_score_drop = models.FloatField(null=True, blank=True)
    # Findings below this confidence never fail the gate (null: the engine's default floor).
    gate_min_confidence = models.FloatField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GithubRepositoryQuerySet.as_manager()

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "GitHub repositories"
        constraints = [
            models.UniqueConstraint(fields=["installation", "github_id"], name="uniq_github_repo_installation"),
        ]
        indexes = [models.Index(fields=["github_id"], name="github_repo_github_id")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[-1]


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class GithubWebhookDelivery(models.Model):
    """A verified webhook delivery from GitHub; the unique delivery id makes redeliveries no-ops."""

    id = models.BigAutoField(primary_key=True)
    delivery_id = models.CharField(max_length=100, unique=True)
    event = models.CharField(max_length=100)
    action = models.CharField(max_length=100, blank=True, default="")
    installation_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED)
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "GitHub webhook deliveries"
        indexes = [models.Index(fields=["status", "received_at"], name="github_delivery_status")]

    def __str__(self) -> str:
        return f"{self.event}.{self.action} {self.delivery_id}"


class CheckStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the repository to be free"
    ANALYZING = "analyzing", "Analysing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    SUPERSEDED = "superseded", "Superseded by a newer commit"


class GithubPullRequestCheck(models.Model):
    """The analysis of one pull request head commit: its run, the base run it is compared with,
    the GitHub check run, and the quality gate evaluation (each condition's actual value and
    whether it passed)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    github_repository = models.ForeignKey(GithubRepository, on_delete=models.CASCADE, related_name="checks")
    pull_request_number = models.PositiveIntegerField()
    head_sha = models.CharField(max_length=64)
    head_ref = models.CharField(max_length=255, blank=True, default="")
    base_sha = models.CharField(max_length=64, blank=True, default="")
    base_ref = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=12, choices=CheckStatus.choices, default=CheckStatus.PENDING)
    run = models.OneToOneField(
        "analysis.AnalysisRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="github_check"
    )
    base_run = models.ForeignKey("analysis.AnalysisRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    check_run_id = models.BigIntegerField(null=True, blank=True)
    conclusion = models.CharField(max_length=20, blank=True, default="")
    health_score = models.FloatField(null=True, blank=True)
    score_delta = models.FloatField(null=True, blank=True)
    new_findings = models.JSONField(default=dict, blank=True, help_text="New findings by severity.")
    fixed_findings = models.PositiveIntegerField(default=0)
    gate = models.JSONField(default=dict, blank=True, help_text="{enabled, passed, conditions: [...]}")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["github_repository", "pull_request_number", "head_sha"],
                condition=Q(status__in=["pending", "analyzing"]),
                name="uniq_open_check_per_pr_head",
            ),
        ]
        indexes = [
            models.Index(fields=["github_repository", "status", "created_at"], name="github_check_repo_status"),
            models.Index(fields=["check_run_id"], name="github_check_run_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pull_request_number} {self.head_sha[:12]} {self.status}"
