from __future__ import annotations

from rest_framework import serializers


class HistoryQueryInputSerializer(serializers.Serializer):
    analysis_id = serializers.UUIDField(required=False, help_text="A completed analysis (default: the latest with history).")


class CouplingQueryInputSerializer(HistoryQueryInputSerializer):
    level = serializers.ChoiceField(
        choices=["file", "module"], required=False, default="file", help_text="Pairs of files, or of directories."
    )
    hidden = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only hidden (or only visible) pairs."
    )
    min_confidence = serializers.FloatField(required=False, min_value=0.0, max_value=1.0, default=0.0)


class HistorySettingsSerializer(serializers.Serializer):
    months = serializers.IntegerField(
        required=False, min_value=1, max_value=240, help_text="History horizon (repotoire.toml [history] months wins)."
    )
    max_commits = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)


class HistoryPrivacySerializer(serializers.Serializer):
    show_author_emails = serializers.BooleanField(
        help_text="Store and show author e-mail addresses instead of salted hashes (changing it makes the next "
        "analysis of each repository mine its history again)."
    )


class HotspotOutputSerializer(serializers.Serializer):
    path = serializers.CharField()
    rank = serializers.IntegerField()
    score = serializers.FloatField(help_text="(revisions / most revisions) x (complexity / highest complexity).")
    revisions = serializers.IntegerField()
    complexity = serializers.IntegerField(help_text="Summed cyclomatic complexity of the file's functions.")
    churn = serializers.IntegerField()
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    authors = serializers.IntegerField()
    main_author = serializers.CharField(help_text="Display name.")
    main_author_share = serializers.FloatField()
    last_changed = serializers.IntegerField(help_text="Unix seconds.")
    age_days = serializers.FloatField()


class CouplingOutputSerializer(serializers.Serializer):
    a = serializers.CharField(help_text="A file, or a directory with level=module ('' for the root).")
    b = serializers.CharField()
    shared = serializers.IntegerField(help_text="Commits changing both files.")
    weighted_shared = serializers.FloatField()
    confidence = serializers.FloatField(help_text="Decay-weighted, the larger of both directions.")
    confidence_ab = serializers.FloatField()
    confidence_ba = serializers.FloatField()
    hidden = serializers.BooleanField(help_text="Neither file's module imports the other.")


class ModuleAuthorOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    key = serializers.CharField(help_text="Pseudonymised identity (the e-mail when the organisation opted in).")
    share = serializers.FloatField()
    lines = serializers.IntegerField()


class OwnershipOutputSerializer(serializers.Serializer):
    module = serializers.CharField(help_text="Directory ('' for the repository root).")
    files = serializers.IntegerField()
    bus_factor = serializers.IntegerField(help_text="Fewest authors holding more than half of the lines added.")
    main_author = serializers.CharField()
    main_author_share = serializers.FloatField()
    at_risk_files = serializers.ListField(child=serializers.CharField(), help_text="Files whose main author left.")
    authors = ModuleAuthorOutputSerializer(many=True)
