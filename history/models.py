"""The git history of analysed repositories: per-commit facts (so that the next analysis mines
only new commits), per-run snapshots of the history metrics, and the privacy setting of an
organisation (author e-mails are stored pseudonymised unless it opts in)."""

from __future__ import annotations

import secrets

from django.db import models

from accounts.models import OrgScopedQuerySet


def _new_salt() -> str:
    return secrets.token_hex(32)


class IdentityMode(models.TextChoices):
    HASHED = "hashed", "Salted SHA-256 of the e-mail"
    EMAIL = "email", "E-mail address (the organisation opted in)"


class OrganizationHistorySettings(models.Model):
    """How an organisation's authors are identified in stored history. ``salt`` makes the
    pseudonyms of one organisation unlinkable to another's."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, primary_key=True, related_name="history_settings"
    )
    show_author_emails = models.BooleanField(default=False, help_text="Store and show author e-mail addresses.")
    salt = models.CharField(max_length=64, default=_new_salt, editable=False)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "organization history settings"

    def __str__(self) -> str:
        return f"history settings of {self.organization_id}"


class RepositoryHistory(models.Model):
    """Per repository: the history window fetched and mined, and what is stored of it."""

    repository = models.OneToOneField("analysis.Repository", on_delete=models.CASCADE, primary_key=True, related_name="history")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    months = models.PositiveSmallIntegerField(default=12, help_text="History horizon (repotoire.toml [history] months wins).")
    max_commits = models.PositiveIntegerField(default=10_000)
    identity = models.CharField(max_length=10, choices=IdentityMode.choices, default=IdentityMode.HASHED)
    head_sha = models.CharField(max_length=64, blank=True, default="")
    commits_stored = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "repository histories"
        constraints = [
            models.CheckConstraint(condition=models.Q(months__gte=1, months__lte=240), name="history_months_range"),
            models.CheckConstraint(condition=models.Q(max_commits__gte=1), name="history_max_commits_positive"),
        ]

    def __str__(self) -> str:
        return f"history of {self.repository_id}"


class HistoryCommit(models.Model):
    """One mined non-merge commit: author (display name, pseudonymised key), time and per-file
    changes ``[[path, added, removed, old_path], ...]``."""

    repository = models.ForeignKey("analysis.Repository", on_delete=models.CASCADE, related_name="history_commits")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    sha = models.CharField(max_length=64)
    # newest first when sorted descending: the order git log gave, runs appending above
    ordinal = models.BigIntegerField()
    author_name = models.CharField(max_length=255)
    author_key = models.CharField(max_length=320)
    timestamp = models.BigIntegerField(help_text="Author time, unix seconds.")
    ignored = models.BooleanField(default=False, help_text="A bulk-reformatting commit (ignore list).")
    changes = models.JSONField(default=list)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["repository", "sha"], name="uniq_history_commit_repository_sha")]
        indexes = [models.Index(fields=["repository", "-ordinal"], name="history_commit_order")]

    def __str__(self) -> str:
        return self.sha[:12]


class HistorySnapshot(models.Model):
    """The history metrics of one completed run (hotspots, couplings, ownership), as lists the
    API pages through."""

    run = models.OneToOneField("analysis.AnalysisRun", on_delete=models.CASCADE, primary_key=True, related_name="history")
    repository = models.ForeignKey("analysis.Repository", on_delete=models.CASCADE, related_name="history_snapshots")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict)
    hotspots = models.JSONField(default=list)
    couplings = models.JSONField(default=list)
    module_couplings = models.JSONField(default=list, help_text="The same between directories.")
    modules = models.JSONField(default=list)
    functions = models.JSONField(default=list)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["repository", "-created_at"], name="history_snapshot_latest")]

    def __str__(self) -> str:
        return f"history snapshot of run {self.run_id}"
