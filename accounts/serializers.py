from __future__ import annotations

from rest_framework import serializers

from accounts.models import ApiKey, Role, Scope


class OrganizationOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    plan = serializers.CharField()


class MeOutputSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    auth_method = serializers.ChoiceField(choices=["api_key", "jwt", "session"])
    organization = OrganizationOutputSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    plan = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    api_key_id = serializers.UUIDField(allow_null=True)


class ApiKeyOutputSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "role",
            "scopes",
            "created_by",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "is_active",
        ]
        read_only_fields = fields


class ApiKeyCreatedOutputSerializer(ApiKeyOutputSerializer):
    key = serializers.CharField(read_only=True, help_text="The full key. Shown only in this response.")

    class Meta(ApiKeyOutputSerializer.Meta):
        fields = [*ApiKeyOutputSerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices), required=False, allow_empty=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
