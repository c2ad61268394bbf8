from rest_framework import serializers

from users.models import User

USER_FIELDS = [
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "role",
    "phone",
    "is_active",
    "date_joined",
]


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = USER_FIELDS
        read_only_fields = USER_FIELDS


class UserInputSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"})

    class Meta:
        model = User
        fields = [f for f in USER_FIELDS if f not in ("id", "date_joined")] + ["password"]


class UserUpdateInputSerializer(UserInputSerializer):
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}
    )


class UserSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name"]
        read_only_fields = fields


class DriverSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "phone"]
        read_only_fields = fields


class LogoutInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()
