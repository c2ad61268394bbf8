from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers
from rest_framework.validators import UniqueValidator
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from logitrack.authentication import PASSWORD_CHANGED
from logitrack.fields import StrictModelSerializer, TextField
from users.models import User
from users.tokens import RefreshToken

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


class UsernameField(TextField):
    """Stored in its plain form (``User.normalize_username``) and unique whatever its
    case: ``ADMIN`` and ``ＡＤＭＩＮ`` are taken once ``admin`` is."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=150,
            validators=[
                UnicodeUsernameValidator(),
                UniqueValidator(
                    queryset=User.objects.all(),
                    lookup="iexact",
                    message="A user with that username already exists.",
                ),
            ],
            **kwargs,
        )

    def to_internal_value(self, data):
        return User.normalize_username(super().to_internal_value(data))


class UserInputSerializer(StrictModelSerializer):
    username = UsernameField()
    password = TextField(write_only=True, max_length=128, style={"input_type": "password"})

    class Meta:
        model = User
        fields = [f for f in USER_FIELDS if f not in ("id", "date_joined")] + ["password"]


class UserUpdateInputSerializer(UserInputSerializer):
    password = TextField(
        write_only=True, required=False, max_length=128, style={"input_type": "password"}
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
    refresh = TextField()


class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    """simplejwt's sign-in, answering ``access`` first: the token a client sends with
    every request, and the first one a person reading the answer copies."""

    def validate(self, attrs):
        tokens = super().validate(attrs)
        return {"access": tokens["access"], "refresh": tokens["refresh"]}


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """simplejwt's refresh, which also refuses a refresh token issued before the
    account's password was last set, or whose account is gone or inactive
    (``401 token_not_valid``)."""

    token_class = RefreshToken

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])  # expired, forged, blacklisted: refused
        user = User.objects.filter(pk=refresh.get(api_settings.USER_ID_CLAIM)).first()
        if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
            raise InvalidToken(str(self.error_messages["no_active_account"]))
        if refresh.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise InvalidToken(PASSWORD_CHANGED)
        return super().validate(attrs)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = TextField(style={"input_type": "password"}, max_length=128)
    new_password = TextField(style={"input_type": "password"}, max_length=128)
