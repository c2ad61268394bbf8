from rest_framework import serializers

from apikeys.models import ApiKey
from logitrack.fields import AwareDateTimeField, StrictModelSerializer


class ApiKeySerializer(serializers.ModelSerializer):
    created_at = serializers.DateTimeField(source="created", read_only=True)
    expires_at = serializers.DateTimeField(
        source="expiry_date", read_only=True, allow_null=True, help_text="`null`: never."
    )

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "role",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked",
        ]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(
        read_only=True,
        help_text="The key, shown this once (only its hash is kept): send it as "
        "`Authorization: Api-Key <key>`.",
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyInputSerializer(StrictModelSerializer):
    expires_at = AwareDateTimeField(
        required=False, allow_null=True, help_text="Left out or `null`: the key never expires."
    )

    class Meta:
        model = ApiKey
        fields = ["name", "role", "expires_at"]
        # The library's model field defaults to None, which would make it optional here.
        extra_kwargs = {"name": {"required": True}}
