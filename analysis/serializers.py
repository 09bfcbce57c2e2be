"""Input and output serializers of repositories and analysis runs (no business logic here)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analysis.engine.calibration import DEFAULT_MIN_CONFIDENCE
from analysis.models import AnalysisRun, Repository, RunStatus
from analysis.sources import redact_clone_url


class RepositoryOutputSerializer(serializers.ModelSerializer):
    clone_url = serializers.SerializerMethodField(help_text="The clone URL with any credentials masked.")

    class Meta:
        model = Repository
        fields = [
            "id",
            "name",
            "clone_url",
            "default_branch",
            "provider",
            "last_commit_sha",
            "last_score",
            "last_grade",
            "last_analyzed_at",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_clone_url(self, obj: Repository) -> str:
        return redact_clone_url(obj.clone_url)


class RepositoryCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    clone_url = serializers.CharField(
        max_length=1000,
        help_text="https://, ssh:// or git@host:path; file:// or an absolute path where the server allows local repositories.",
    )
    default_branch = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class RepositoryUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    clone_url = serializers.CharField(max_length=1000, required=False)
    default_branch = serializers.CharField(max_length=255, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class RepositoryTrendPointOutputSerializer(serializers.Serializer):
    analysis_id = serializers.UUIDField(source="id")
    finished_at = serializers.DateTimeField()
    commit_sha = serializers.CharField()
    branch = serializers.CharField()
    health_score = serializers.FloatField(allow_null=True)
    grade = serializers.CharField()
    pillar_scores = serializers.DictField(child=serializers.FloatField())
    findings_counts = serializers.DictField(child=serializers.IntegerField())


class AnalysisTriggerInputSerializer(serializers.Serializer):
    repository_id = serializers.UUIDField()
    commit_sha = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    branch = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class AnalysisHistoryFilterInputSerializer(serializers.Serializer):
    repository_id = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=RunStatus.choices, required=False)


class AnalysisErrorOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class AnalysisRunOutputSerializer(serializers.ModelSerializer):
    repository_id = serializers.UUIDField(read_only=True)
    repository_name = serializers.CharField(source="repository.name", read_only=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    error = serializers.SerializerMethodField()
    warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Files left out of the analysis for a reason worth telling, e.g. a name that is not valid UTF-8.",
    )

    class Meta:
        model = AnalysisRun
        fields = [
            "id",
            "repository_id",
            "repository_name",
            "status",
            "trigger",
            "branch",
            "commit_sha",
            "pull_request_number",
            "progress_percent",
            "stage",
            "message",
            "queued_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "duration_seconds",
            "files_analyzed",
            "lines_analyzed",
            "health_score",
            "grade",
            "pillar_scores",
            "findings_counts",
            "warnings",
            "error",
        ]
        read_only_fields = fields

    @extend_schema_field(AnalysisErrorOutputSerializer(allow_null=True))
    def get_error(self, obj: AnalysisRun) -> dict[str, Any] | None:
        if not obj.error_code:
            return None
        return {"code": obj.error_code, "message": obj.error_message}


class AnalysisConcurrencyOutputSerializer(serializers.Serializer):
    current = serializers.IntegerField(help_text="Analyses running now.")
    limit = serializers.IntegerField(help_text="Analyses the plan runs at the same time.")
    queued = serializers.IntegerField(help_text="Analyses waiting for a free slot.")
    plan = serializers.CharField()


class AnalysisProgressEventOutputSerializer(serializers.Serializer):
    """Body of each ``event: progress`` of the SSE stream."""

    analysis_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=RunStatus.choices)
    progress_percent = serializers.IntegerField()
    stage = serializers.CharField()
    message = serializers.CharField()
    timestamp = serializers.DateTimeField()


class AnalysisReportViewInputSerializer(serializers.Serializer):
    """Which findings a report lists (the same defaults as the finding list)."""

    scope = serializers.ChoiceField(
        choices=[("source", "source"), ("all", "all")],
        required=False,
        default="source",
        help_text="`source` (default): findings of source files; `all`: tests, examples, vendored and generated code too.",
    )
    min_confidence = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        default=DEFAULT_MIN_CONFIDENCE,
        help_text=f"Only findings at or above this confidence. Default {DEFAULT_MIN_CONFIDENCE}.",
    )
