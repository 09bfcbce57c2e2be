"""Serializers of the GitHub App API (names prefixed ``Github`` to stay globally unique)."""

from __future__ import annotations

from rest_framework import serializers

from github_app.models import GithubInstallation, GithubRepository


class GithubInstallationOutputSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)
    repository_count = serializers.SerializerMethodField()

    class Meta:
        model = GithubInstallation
        fields = [
            "id",
            "installation_id",
            "account_login",
            "account_type",
            "repository_selection",
            "is_active",
            "suspended_at",
            "deleted_at",
            "linked_at",
            "repository_count",
            "created_at",
        ]
        read_only_fields = fields

    def get_repository_count(self, obj: GithubInstallation) -> int:
        return int(getattr(obj, "repository_count", 0) or 0)


class GithubQualityGateSerializer(serializers.ModelSerializer):
    """The quality gate of a repository; thresholds left null are not evaluated."""

    gate_enabled = serializers.BooleanField(required=False)
    min_health_score = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=100)
    max_new_critical = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    max_new_high = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    max_new_findings = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    fail_on_new_security = serializers.BooleanField(required=False)
    fail_on_new_import_cycle = serializers.BooleanField(required=False)
    fail_on_hotspot_complexity = serializers.BooleanField(
        required=False,
        help_text="Fail when the pull request raises the complexity of one of the base analysis' top-10 hotspots "
        "(git history: files changed most often x most complex).",
    )
    max_score_drop = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=100)
    gate_min_confidence = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=1,
        help_text="Findings below this confidence never fail the gate; null: the default floor. Security hotspots "
        "and findings of tests, examples, vendored and generated code never count.",
    )

    class Meta:
        model = GithubRepository
        fields = [
            "gate_enabled",
            "min_health_score",
            "max_new_critical",
            "max_new_high",
            "max_new_findings",
            "fail_on_new_security",
            "fail_on_new_import_cycle",
            "fail_on_hotspot_complexity",
            "max_score_drop",
            "gate_min_confidence",
        ]


class GithubRepositoryOutputSerializer(serializers.ModelSerializer):
    installation_id = serializers.UUIDField(read_only=True)
    repository_id = serializers.UUIDField(read_only=True, allow_null=True, help_text="The linked Repotoire repository.")
    quality_gate = GithubQualityGateSerializer(source="*", read_only=True)

    class Meta:
        model = GithubRepository
        fields = [
            "id",
            "installation_id",
            "github_id",
            "full_name",
            "private",
            "default_branch",
            "html_url",
            "enabled",
            "repository_id",
            "removed_at",
            "quality_gate",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class GithubReposSetInputSerializer(serializers.Serializer):
    repo_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=500, help_text="GitHub repository ids."
    )
    enabled = serializers.BooleanField()


class GithubInstallUrlOutputSerializer(serializers.Serializer):
    url = serializers.URLField()
    state = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the state stays valid.")


class GithubSetupInputSerializer(serializers.Serializer):
    installation_id = serializers.IntegerField(
        min_value=1, required=False, help_text="Required unless `setup_action` is `request` (GitHub sends none then)."
    )
    state = serializers.CharField(max_length=1000)
    setup_action = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="`install`, `update`, or `request` when a GitHub user without rights asked an owner to install the app.",
    )
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="OAuth code (when user authorization during installation is on).",
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("setup_action") != "request" and not attrs.get("installation_id"):
            raise serializers.ValidationError({"installation_id": ["This field is required."]})
        return attrs


class GithubSetupRequestedOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["requested"])
    detail = serializers.CharField()


class GithubWebhookOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "ignored"])
    delivery = serializers.CharField()
