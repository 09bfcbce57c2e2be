from __future__ import annotations

from typing import Any

from rest_framework import serializers

from findings.models import TRIAGE_STATUSES, Finding, FindingOccurrence, FindingStatus, FindingTriageEvent, Severity
from findings.services import MAX_BULK_TRIAGE

_RUN_LOCATION = ("line", "column", "end_line", "end_column")


class FindingOutputSerializer(serializers.ModelSerializer):
    repository_id = serializers.UUIDField(read_only=True)
    triaged_by = serializers.CharField(source="triaged_by.username", read_only=True, allow_null=True, default=None)
    first_seen_analysis_id = serializers.UUIDField(source="first_seen_run_id", read_only=True, allow_null=True)
    last_seen_analysis_id = serializers.UUIDField(source="last_seen_run_id", read_only=True, allow_null=True)
    fixed_in_analysis_id = serializers.UUIDField(source="fixed_in_run_id", read_only=True, allow_null=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "repository_id",
            "fingerprint",
            "detector",
            "category",
            "severity",
            "title",
            "message",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "symbol",
            "cwe",
            "confidence",
            "effort_minutes",
            "kind",
            "role",
            "taint_path",
            "language",
            "status",
            "triage_reason",
            "triaged_by",
            "triaged_at",
            "triage_expires_at",
            "reopened_count",
            "first_seen_analysis_id",
            "last_seen_analysis_id",
            "fixed_in_analysis_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Finding) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Listed for one run (analysis_id): the lines the finding had in that run.
        for name in _RUN_LOCATION:
            value = getattr(instance, f"run_{name}", None)
            if value is not None:
                data[name] = value
        return data


class FindingOccurrenceOutputSerializer(serializers.ModelSerializer):
    analysis_id = serializers.UUIDField(source="run_id", read_only=True)
    commit_sha = serializers.CharField(source="run.commit_sha", read_only=True)
    analyzed_at = serializers.DateTimeField(source="run.finished_at", read_only=True, allow_null=True)

    class Meta:
        model = FindingOccurrence
        fields = [
            "analysis_id",
            "commit_sha",
            "analyzed_at",
            "line",
            "column",
            "end_line",
            "end_column",
            "severity",
            "snippet_hash",
        ]
        read_only_fields = fields


class FindingTriageEventOutputSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)
    analysis_id = serializers.UUIDField(source="run_id", read_only=True, allow_null=True)

    class Meta:
        model = FindingTriageEvent
        fields = ["from_status", "to_status", "reason", "expires_at", "actor", "source", "analysis_id", "created_at"]
        read_only_fields = fields


class FindingDetailOutputSerializer(FindingOutputSerializer):
    snippet = serializers.CharField(read_only=True)
    metadata = serializers.JSONField(read_only=True)
    occurrences = FindingOccurrenceOutputSerializer(
        source="occurrence_history", many=True, read_only=True, help_text="One per run that saw it, newest first (at most 100)."
    )
    triage_history = FindingTriageEventOutputSerializer(
        source="triage_events", many=True, read_only=True, help_text="Newest first."
    )

    class Meta(FindingOutputSerializer.Meta):
        fields = [*FindingOutputSerializer.Meta.fields, "snippet", "metadata", "reopened_at", "occurrences", "triage_history"]
        read_only_fields = fields


class FindingTriageInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=FindingStatus.choices,
        help_text=f"One of {', '.join(TRIAGE_STATUSES)}; `fixed` is set by analyses only (400).",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Accepted only: the finding reopens after this time."
    )


class FindingBulkTriageInputSerializer(FindingTriageInputSerializer):
    ids = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=MAX_BULK_TRIAGE, help_text="All or nothing."
    )


class FindingBulkTriageOutputSerializer(serializers.Serializer):
    updated = serializers.IntegerField()
    findings = FindingOutputSerializer(many=True)


class FindingSeverityCountsOutputSerializer(serializers.Serializer):
    critical = serializers.IntegerField()
    high = serializers.IntegerField()
    medium = serializers.IntegerField()
    low = serializers.IntegerField()
    info = serializers.IntegerField()


class FindingStatusCountsOutputSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    accepted = serializers.IntegerField()
    false_positive = serializers.IntegerField()
    fixed = serializers.IntegerField(help_text="Present in a past run and fixed since.")


class FindingSummaryOutputSerializer(serializers.Serializer):
    analysis_ids = serializers.ListField(child=serializers.UUIDField(), help_text="The runs summarised.")
    total = serializers.IntegerField(help_text="Findings present in those runs.")
    effective = serializers.IntegerField(help_text="Total minus accepted and false-positive findings.")
    by_severity = FindingSeverityCountsOutputSerializer()
    by_category = serializers.DictField(child=serializers.IntegerField())
    by_status = FindingStatusCountsOutputSerializer(help_text="Current status of the findings present in those runs.")
    resolved = serializers.IntegerField(help_text="Findings those runs marked fixed (no longer detected).")
    by_kind = serializers.DictField(child=serializers.IntegerField(), help_text="vulnerability, hotspot, issue.")
    by_role = serializers.DictField(
        child=serializers.IntegerField(), help_text="Role of the files: source, test, example, vendored, generated."
    )
    by_language = serializers.DictField(
        child=serializers.IntegerField(), help_text="Language of the files (languages with findings only)."
    )


class FindingDetectorOutputSerializer(serializers.Serializer):
    detector = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    count = serializers.IntegerField()
    highest_severity = serializers.ChoiceField(choices=Severity.choices)
