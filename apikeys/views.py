from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apikeys.selectors import api_key_list
from apikeys.serializers import ApiKeyCreatedSerializer, ApiKeyInputSerializer, ApiKeySerializer
from logitrack.permissions import IsAdmin
from services.api_keys import api_key_create, api_key_revoke
from services.exceptions import ApiKeyExpiryInPast


@extend_validation_errors([ApiKeyExpiryInPast.code], field_name="expires_at", actions=["create"])
@extend_schema_view(
    list=extend_schema(summary="List API keys", description="Newest first; never the keys."),
    retrieve=extend_schema(summary="An API key", description="Never the key itself."),
)
class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """API keys for integrations. Admins only."""

    serializer_class = ApiKeySerializer
    permission_classes = [IsAdmin]
    filter_backends: list = []

    def get_queryset(self):
        return api_key_list()

    def get_serializer_class(self):
        if self.action == "create":
            return ApiKeyInputSerializer
        return ApiKeySerializer

    @extend_schema(
        responses={201: ApiKeyCreatedSerializer},
        summary="Create an API key",
        description=(
            "The answer carries `key`, shown this once: only its hash is kept. A "
            "`dispatcher` key creates and assigns deliveries as a dispatcher does; a "
            "`readonly` key reads what staff read and is refused every write "
            "(`403 api_key_read_only`). Neither may manage users or API keys. What a key "
            "does is recorded as done by the account `api-key:<prefix>`. "
            "`400 api_key_expiry_in_past` when `expires_at` is not in the future. "
            "Takes no `Idempotency-Key`: its answer, which holds the key, is never kept."
        ),
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, secret = api_key_create(**serializer.validated_data)
        body = {**ApiKeySerializer(api_key).data, "key": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: OpenApiResponse(ApiKeySerializer, description="The key, revoked.")},
        summary="Revoke an API key",
        description=(
            "For good: from the next request on, the key answers `401 api_key_revoked`. "
            "Revoking a revoked key changes nothing."
        ),
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        api_key = api_key_revoke(api_key=self.get_object())
        return Response(ApiKeySerializer(api_key).data)
