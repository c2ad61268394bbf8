from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from logitrack.openapi import CONFLICT_RESPONSE
from logitrack.permissions import IsStaff
from logitrack.viewsets import ServiceModelViewSet
from services import webhooks as webhook_services
from services.exceptions import UnknownEventType, WebhookUrlNotAllowed
from webhooks.selectors import webhook_attempt_list, webhook_endpoint_list
from webhooks.serializers import (
    WebhookAttemptSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
    WebhookPingSerializer,
)

WRITING_ACTIONS = ["create", "update", "partial_update"]
URL_RULES = (
    "`400 webhook_url_not_allowed` for a URL that is not `https://` or whose host does not "
    "resolve to public addresses only; `400 unknown_event_type` for an event type "
    "LogiTrack does not send."
)


@extend_schema_view(
    create=extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointWithSecretSerializer},
        summary="Register an endpoint; its secret is shown this once",
        description=URL_RULES,
    ),
    update=extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={200: WebhookEndpointSerializer},
        description=URL_RULES + " Setting `is_active` again clears `disabled_reason`.",
    ),
    partial_update=extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={200: WebhookEndpointSerializer},
        description=URL_RULES + " Setting `is_active` again clears `disabled_reason`.",
    ),
    destroy=extend_schema(responses={204: None}),
)
@extend_validation_errors([WebhookUrlNotAllowed.code], field_name="url", actions=WRITING_ACTIONS)
@extend_validation_errors([UnknownEventType.code], field_name="events", actions=WRITING_ACTIONS)
class WebhookEndpointViewSet(ServiceModelViewSet):
    """Webhook endpoints: where LogiTrack sends signed events. Staff only."""

    serializer_class = WebhookEndpointSerializer
    input_serializer_class = WebhookEndpointInputSerializer
    permission_classes = [IsStaff]
    filter_backends: list = []
    instance_kwarg = "endpoint"
    create_service = staticmethod(webhook_services.webhook_endpoint_create)
    update_service = staticmethod(webhook_services.webhook_endpoint_update)
    delete_service = staticmethod(webhook_services.webhook_endpoint_delete)

    def get_queryset(self):
        return webhook_endpoint_list()

    def create(self, request, *args, **kwargs):
        data = self._validated(WebhookEndpointInputSerializer)
        endpoint = webhook_services.webhook_endpoint_create(actor=request.user, **data)
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    def _validated(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer},
        summary="Replace the secret; the new one is shown this once",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = webhook_services.webhook_secret_rotate(
            endpoint=self.get_object(), actor=request.user
        )
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        request=None,
        responses={202: WebhookPingSerializer, 409: CONFLICT_RESPONSE},
        summary="Send a webhook.ping to this endpoint",
        description="Sent by a worker after the answer, like every message; its attempts "
        "show in `attempts/`. `409 webhook_endpoint_inactive` while the endpoint is disabled.",
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        message = webhook_services.webhook_ping(endpoint=self.get_object(), actor=request.user)
        return Response({"message_id": message.public_id}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={200: WebhookAttemptSerializer(many=True)},
        summary="The attempts to send this endpoint's messages, newest first",
    )
    @action(detail=True, methods=["get"])
    def attempts(self, request, pk=None):
        page = self.paginate_queryset(webhook_attempt_list(endpoint=self.get_object()))
        return self.get_paginated_response(WebhookAttemptSerializer(page, many=True).data)
