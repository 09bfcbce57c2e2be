"""Serializers of the fixes API (input and output are separate classes with unique names)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fixes.models import ConfidenceLabel, FixProposal, FixProposalEvent, FixStatus


class FixProposalListQueryInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=FixStatus.choices, required=False)
    repository_id = serializers.UUIDField(required=False)
    finding_id = serializers.UUIDField(required=False)
    source = serializers.CharField(
        required=False, max_length=200, help_text="`rule` or `llm` (provenance), or an exact source such as `rule:unused-import`."
    )
    confidence = serializers.ChoiceField(choices=ConfidenceLabel.choices, required=False, help_text="Confidence label.")
    min_confidence = serializers.FloatField(required=False, min_value=0, max_value=1)


class FixProposalRejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class FixProposalReopenInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class FixProposalTestsOutputSerializer(serializers.Serializer):
    ran = serializers.BooleanField()
    passed = serializers.BooleanField(allow_null=True)
    output_tail = serializers.CharField(allow_blank=True)
    command = serializers.CharField(required=False)
    exit_code = serializers.IntegerField(required=False, allow_null=True)
    timed_out = serializers.BooleanField(required=False)
    network_isolated = serializers.BooleanField(required=False)
    duration_ms = serializers.IntegerField(required=False)


class FixProposalNewFindingOutputSerializer(serializers.Serializer):
    detector = serializers.CharField()
    severity = serializers.CharField()
    title = serializers.CharField()
    message = serializers.CharField()
    path = serializers.CharField()
    line = serializers.IntegerField()
    fingerprint = serializers.CharField()


class FixProposalCheckOutputSerializer(serializers.Serializer):
    """Evidence from the sandbox: the validation at generation, or an on-demand preview."""

    applies = serializers.BooleanField()
    syntax_ok = serializers.BooleanField()
    finding_resolved = serializers.BooleanField()
    target_present_before = serializers.BooleanField(allow_null=True, required=False)
    new_findings = FixProposalNewFindingOutputSerializer(many=True)
    tests = FixProposalTestsOutputSerializer()
    duration_ms = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.CharField(), required=False)
    base_changed = serializers.ListField(child=serializers.CharField(), required=False)


class FixProposalOutputSerializer(serializers.ModelSerializer):
    repository_id = serializers.UUIDField(read_only=True)
    finding_id = serializers.UUIDField(read_only=True)
    analysis_id = serializers.UUIDField(source="analysis_run_id", read_only=True, allow_null=True)
    branch = serializers.SerializerMethodField()

    class Meta:
        model = FixProposal
        fields = [
            "id",
            "repository_id",
            "finding_id",
            "analysis_id",
            "base_commit",
            "provenance",
            "source",
            "title",
            "confidence",
            "confidence_label",
            "status",
            "files",
            "error_code",
            "created_at",
            "updated_at",
            "branch",
        ]
        read_only_fields = fields

    def get_branch(self, obj: FixProposal) -> str | None:
        return (obj.apply_result or {}).get("branch") or None


class FixProposalEventOutputSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = FixProposalEvent
        fields = ["from_status", "to_status", "actor", "reason", "data", "created_at"]
        read_only_fields = fields


class FixProposalApplyResultOutputSerializer(serializers.Serializer):
    branch = serializers.CharField()
    commit_sha = serializers.CharField(allow_blank=True)
    pull_request_url = serializers.CharField(allow_null=True)
    pushed = serializers.BooleanField(required=False)


class FixProposalDetailOutputSerializer(FixProposalOutputSerializer):
    validation = serializers.SerializerMethodField()
    preview = serializers.SerializerMethodField()
    apply_result = serializers.SerializerMethodField()
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, allow_null=True, default=None)
    rejected_by = serializers.CharField(source="rejected_by.username", read_only=True, allow_null=True, default=None)
    applied_by = serializers.CharField(source="applied_by.username", read_only=True, allow_null=True, default=None)
    audit = FixProposalEventOutputSerializer(source="events", many=True, read_only=True)

    class Meta(FixProposalOutputSerializer.Meta):
        fields = [
            *FixProposalOutputSerializer.Meta.fields,
            "explanation",
            "diff",
            "base_hashes",
            "validation",
            "preview",
            "previewed_at",
            "approved_by",
            "approved_at",
            "rejected_by",
            "rejected_at",
            "rejection_reason",
            "applied_by",
            "applied_at",
            "apply_result",
            "error",
            "audit",
        ]
        read_only_fields = fields

    @extend_schema_field(FixProposalCheckOutputSerializer(allow_null=True))
    def get_validation(self, obj: FixProposal) -> dict | None:
        return obj.validation or None

    @extend_schema_field(FixProposalCheckOutputSerializer(allow_null=True))
    def get_preview(self, obj: FixProposal) -> dict | None:
        return obj.preview or None

    @extend_schema_field(FixProposalApplyResultOutputSerializer(allow_null=True))
    def get_apply_result(self, obj: FixProposal) -> dict | None:
        return obj.apply_result or None
