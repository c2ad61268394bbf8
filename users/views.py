from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, status
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings

from apikeys.permissions import NotWithApiKey
from locations.serializers import LocationSerializer
from logitrack.lockout import SignInLockedOut, is_locked_out
from logitrack.openapi import (
    CONFLICT_RESPONSE,
    NO_LOCATION_RESPONSE,
    SIGN_IN_REFUSED_RESPONSE,
    UNAUTHORIZED_RESPONSE,
)
from logitrack.permissions import IsStaff
from logitrack.viewsets import ServiceModelViewSet
from services.exceptions import WrongPassword
from services.locations import location_last_known
from services.users import user_change_password, user_create, user_delete, user_update
from users.filters import UserFilter
from users.selectors import user_list
from users.serializers import (
    LogoutInputSerializer,
    PasswordChangeInputSerializer,
    TokenPairSerializer,
    UserInputSerializer,
    UserSerializer,
    UserUpdateInputSerializer,
)
from users.tokens import RefreshToken

# The codes of settings.AUTH_PASSWORD_VALIDATORS, which the services apply.
PASSWORD_RULE_CODES = [
    "password_too_short",
    "password_too_common",
    "password_entirely_numeric",
    "password_too_similar",
]


@extend_validation_errors(
    PASSWORD_RULE_CODES, field_name="password", actions=["create", "update", "partial_update"]
)
@extend_schema_view(
    create=extend_schema(request=UserInputSerializer, responses={201: UserSerializer}),
    update=extend_schema(
        request=UserUpdateInputSerializer,
        responses={200: UserSerializer, 409: CONFLICT_RESPONSE},
    ),
    partial_update=extend_schema(
        request=UserUpdateInputSerializer,
        responses={200: UserSerializer, 409: CONFLICT_RESPONSE},
    ),
    destroy=extend_schema(responses={204: None, 409: CONFLICT_RESPONSE}),
)
class UserViewSet(ServiceModelViewSet):
    """Accounts. Staff only; only admins may create, change or delete admins."""

    serializer_class = UserSerializer
    permission_classes = [IsStaff, NotWithApiKey]
    filterset_class = UserFilter
    search_fields = ["username", "email", "first_name", "last_name", "phone"]
    ordering_fields = ["username", "date_joined", "role"]
    instance_kwarg = "user"
    create_service = staticmethod(user_create)
    update_service = staticmethod(user_update)
    delete_service = staticmethod(user_delete)

    def get_queryset(self):
        return user_list()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return UserUpdateInputSerializer
        if self.action == "create":
            return UserInputSerializer
        return UserSerializer

    @extend_schema(
        responses={200: LocationSerializer, 404: NO_LOCATION_RESPONSE},
        summary="A driver's last known position",
        description="`404 no_location` when the user has sent no position.",
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def location(self, request, pk=None):
        last_known = location_last_known(driver=self.get_object())
        return Response(LocationSerializer(last_known).data)


class MeView(generics.RetrieveAPIView):
    """The signed-in user."""

    serializer_class = UserSerializer

    def get_object(self):
        return self.request.user


# The token endpoints authenticate no request, so the schema would not list their 401:
# bad credentials (``no_active_account``) or a refresh token that is refused
# (``token_not_valid``).
class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """Sign in: username and password for an access token (≤ 15 min) and a refresh token.
    After a few failed sign-ins for one username from one address (the admin's login page
    counts too), that username is locked out from that address for a while:
    `429 locked_out`."""

    throttle_scope = "auth"

    @extend_schema(
        responses={
            200: TokenObtainPairSerializer,
            401: UNAUTHORIZED_RESPONSE,
            429: SIGN_IN_REFUSED_RESPONSE,
        }
    )
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            if is_locked_out(request):
                raise SignInLockedOut() from None
            raise


@extend_schema_view(
    post=extend_schema(responses={200: TokenPairSerializer, 401: UNAUTHORIZED_RESPONSE})
)
class TokenRefreshView(jwt_views.TokenRefreshView):
    """A new access token and a new refresh token; the refresh token sent is blacklisted."""

    throttle_scope = "auth"


class LogoutView(generics.GenericAPIView):
    """Blacklists the refresh token: it can no longer be used to get tokens."""

    serializer_class = LogoutInputSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={205: OpenApiResponse(description="Signed out.")})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = RefreshToken(serializer.validated_data["refresh"])
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        if str(token.get(api_settings.USER_ID_CLAIM)) != str(request.user.pk):
            raise InvalidToken("The refresh token belongs to another user.")
        token.blacklist()
        return Response(status=status.HTTP_205_RESET_CONTENT)


@extend_validation_errors([WrongPassword.code], field_name="old_password")
@extend_validation_errors(PASSWORD_RULE_CODES, field_name="new_password")
class PasswordChangeView(generics.GenericAPIView):
    """Change your own password. Every other session of yours is signed out (tokens
    issued before are refused); the answer carries new tokens for this one."""

    serializer_class = PasswordChangeInputSerializer
    permission_classes = [IsAuthenticated, NotWithApiKey]
    throttle_scope = "auth"

    @extend_schema(
        responses={200: TokenPairSerializer},
        summary="Change your password",
        description=(
            "`400 wrong_password` when `old_password` is not yours; a weak `new_password` "
            "answers the password rules' codes ("
            + ", ".join(f"`{code}`" for code in PASSWORD_RULE_CODES)
            + ")."
        ),
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_change_password(user=request.user, **serializer.validated_data)
        refresh = RefreshToken.for_user(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})
