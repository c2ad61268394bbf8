from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from logitrack.authentication import PASSWORD_CHANGED
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


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """simplejwt's refresh, which also refuses a refresh token issued before the
    account's password was last set, or whose account is gone or inactive
    (``401 token_not_valid``)."""

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])  # expired, forged, blacklisted: refused
        user = User.objects.filter(pk=refresh.get(api_settings.USER_ID_CLAIM)).first()
        if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
            raise InvalidToken(self.error_messages["no_active_account"])
        if refresh.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise InvalidToken(PASSWORD_CHANGED)
        return super().validate(attrs)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = serializers.CharField(style={"input_type": "password"}, max_length=128)
    new_password = serializers.CharField(style={"input_type": "password"}, max_length=128)
