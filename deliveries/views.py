from typing import cast

from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from drf_standardized_errors.openapi_utils import get_form_fields_with_error_codes
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from deliveries.filters import DeliveryFilter
from deliveries.models import Delivery, Report
from deliveries.permissions import DeliveryAccess
from deliveries.rendering import render
from deliveries.selectors import (
    delivery_event_list,
    delivery_get_public,
    delivery_list,
    delivery_page,
    delivery_rendered,
    delivery_stats,
    report_list,
)
from deliveries.serializers import (
    FILTER_VALUE_TYPE_CODE,
    UNKNOWN_FILTER_CODE,
    BulkResultSerializer,
    DeliveryAssignInputSerializer,
    DeliveryBulkAssignInputSerializer,
    DeliveryBulkAssignItemSerializer,
    DeliveryBulkCreateInputSerializer,
    DeliveryCancelInputSerializer,
    DeliveryEventSerializer,
    DeliveryFailInputSerializer,
    DeliveryInputSerializer,
    DeliverySerializer,
    ReportCreateInputSerializer,
    ReportSerializer,
    StatsSerializer,
    TrackingSerializer,
)
from logitrack.exception_handler import error_answer
from logitrack.filters import FilterBackend
from logitrack.openapi import CONFLICT_RESPONSE, refused_with_results
from logitrack.pagination import KeysetPagination
from logitrack.permissions import IsStaff
from logitrack.viewsets import ServiceModelViewSet
from services import deliveries as delivery_services
from services import reports as report_services
from services.bulk import bulk_run
from services.exceptions import (
    DriverNotADriver,
    InvalidTimeWindow,
    VehicleInMaintenance,
    VehicleOutOfService,
    VehicleOverCapacity,
    VehicleRequired,
)
from users.models import User

# The assignment rules' 400s, by the input field they name.
EDITING_ACTIONS = ["create", "update", "partial_update"]
ASSIGNING_ACTIONS = [*EDITING_ACTIONS, "assign"]
VEHICLE_RULE_CODES = [
    VehicleInMaintenance.code,
    VehicleOutOfService.code,
    VehicleOverCapacity.code,
    VehicleRequired.code,
]
ASSIGNMENT_ERRORS = (
    "`400` with code `vehicle_in_maintenance`, `vehicle_out_of_service`, "
    "`vehicle_over_capacity` or `driver_not_a_driver` when the assignment rules refuse; "
    "`409 invalid_transition` from a status that cannot be assigned."
)


BULK_DESCRIPTION = (
    "Each item goes through the same rules as the single call and gets the answer the "
    "single call would give (`status`, and the delivery or the `errors` with the same "
    "codes). At most 500 items (`400 too_many_items`). With `atomic`, any refused item "
    "answers 400 with every item's result, and nothing is written."
)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _transition_doc(summary: str, request=None):
    return extend_schema(
        request=request,
        responses={200: DeliverySerializer, 409: CONFLICT_RESPONSE},
        summary=summary,
        description="`409 invalid_transition` when the delivery's status does not allow it.",
    )


@extend_schema_view(
    create=extend_schema(
        request=DeliveryInputSerializer,
        responses={201: DeliverySerializer},
        description="With `vehicle_id` the new delivery is assigned. " + ASSIGNMENT_ERRORS,
    ),
    update=extend_schema(
        request=DeliveryInputSerializer,
        responses={200: DeliverySerializer, 409: CONFLICT_RESPONSE},
        description="Only `pending`/`assigned` deliveries can be changed "
        "(`409 delivery_not_editable`). " + ASSIGNMENT_ERRORS,
    ),
    partial_update=extend_schema(
        request=DeliveryInputSerializer,
        responses={200: DeliverySerializer, 409: CONFLICT_RESPONSE},
        description="Only `pending`/`assigned` deliveries can be changed "
        "(`409 delivery_not_editable`). " + ASSIGNMENT_ERRORS,
    ),
    destroy=extend_schema(
        responses={204: None, 409: CONFLICT_RESPONSE},
        description="Only `pending` or `cancelled` deliveries (`409 delivery_not_deletable`).",
    ),
)
@extend_validation_errors(VEHICLE_RULE_CODES, field_name="vehicle_id", actions=ASSIGNING_ACTIONS)
@extend_validation_errors(
    [DriverNotADriver.code], field_name="driver_id", actions=ASSIGNING_ACTIONS
)
@extend_validation_errors(
    [InvalidTimeWindow.code], field_name="window_start", actions=EDITING_ACTIONS
)
@extend_validation_errors(
    [InvalidTimeWindow.code], field_name="window_end", actions=EDITING_ACTIONS
)
class DeliveryViewSet(ServiceModelViewSet):
    """Deliveries. Staff see and change all; a driver sees and moves only their own."""

    serializer_class = DeliverySerializer
    input_serializer_class = DeliveryInputSerializer
    permission_classes = [DeliveryAccess]
    filterset_class = DeliveryFilter  # ?search= included, shared with reports
    filter_backends = [FilterBackend, OrderingFilter]
    ordering_fields = ["scheduled_for", "created_at", "status"]
    instance_kwarg = "delivery"
    create_service = staticmethod(delivery_services.delivery_create)
    update_service = staticmethod(delivery_services.delivery_update)
    delete_service = staticmethod(delivery_services.delivery_delete)

    pagination_class = KeysetPagination
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Delivery.objects.none()
        return delivery_list(user=cast(User, self.request.user))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        order = list(queryset.query.order_by)
        if order[-1].lstrip("-") != "id":  # a unique last key, for keyset pages
            queryset = queryset.order_by(*order, "-id" if order[0].startswith("-") else "id")
        return queryset

    def list(self, request, *args, **kwargs):
        """Pages of deliveries: one query for the page and one (cached) for the count,
        or none while the page is cached (``delivery_page``)."""
        content = delivery_page(
            user=request.user,
            request=request,
            queryset=lambda: self.filter_queryset(self.get_queryset()),
            paginator=self.paginator,
        )
        return HttpResponse(content, content_type="application/json")

    def retrieve(self, request, *args, **kwargs):
        return Response(render(self.get_object()))

    def render(self, instance: Delivery) -> dict:
        """A changed delivery as the API writes it, read afresh as one row."""
        return delivery_rendered(instance.pk)

    def _validated(self, serializer_class) -> dict:
        return _valid(serializer_class, self.request.data)

    @extend_schema(
        request=DeliveryAssignInputSerializer,
        responses={200: DeliverySerializer, 409: CONFLICT_RESPONSE},
        summary="Assign to a vehicle and driver",
        description=ASSIGNMENT_ERRORS,
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        delivery = self.get_object()
        data = self._validated(DeliveryAssignInputSerializer)
        delivery = delivery_services.delivery_assign(
            delivery=delivery,
            vehicle=data["vehicle"],
            driver=data.get("driver", delivery_services.UNSET),
            actor=request.user,
        )
        return Response(self.render(delivery))

    @extend_schema(
        request=DeliveryBulkCreateInputSerializer,
        responses={200: BulkResultSerializer},
        summary="Create up to 500 deliveries, one result each",
        description=BULK_DESCRIPTION,
    )
    @refused_with_results
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        def create(item):
            data = _valid(DeliveryInputSerializer, item)
            delivery = delivery_services.delivery_create(actor=request.user, **data)
            return status.HTTP_201_CREATED, render(delivery)

        return self._bulk(DeliveryBulkCreateInputSerializer, create)

    @extend_schema(
        request=DeliveryBulkAssignInputSerializer,
        responses={200: BulkResultSerializer},
        summary="Assign up to 500 deliveries, one result each",
        description=BULK_DESCRIPTION,
    )
    @refused_with_results
    @action(detail=False, methods=["post"], url_path="bulk-assign")
    def bulk_assign(self, request):
        def assign(item):
            data = _valid(DeliveryBulkAssignItemSerializer, item)
            delivery = get_object_or_404(self.get_queryset(), pk=data["delivery_id"])
            delivery = delivery_services.delivery_assign(
                delivery=delivery,
                vehicle=data["vehicle"],
                driver=data.get("driver", delivery_services.UNSET),
                actor=request.user,
            )
            return status.HTTP_200_OK, delivery_rendered(delivery.pk)

        return self._bulk(DeliveryBulkAssignInputSerializer, assign)

    def _bulk(self, serializer_class, run) -> Response:
        data = self._validated(serializer_class)
        results = bulk_run(
            items=data["items"], atomic=data["atomic"], run=run, refusal=error_answer
        )
        failed = sum(not result.succeeded for result in results)
        body = {
            "succeeded": len(results) - failed,
            "failed": failed,
            "results": [
                {
                    "index": result.index,
                    "status": result.status,
                    ("delivery" if result.succeeded else "errors"): result.body,
                }
                for result in results
            ],
        }
        refused = data["atomic"] and failed
        return Response(body, status=status.HTTP_400_BAD_REQUEST if refused else status.HTTP_200_OK)

    @_transition_doc("Unassign: back to pending, vehicle and driver cleared")
    @action(detail=True, methods=["post"])
    def unassign(self, request, pk=None):
        delivery = delivery_services.delivery_unassign(
            delivery=self.get_object(), actor=request.user
        )
        return Response(self.render(delivery))

    @_transition_doc("Start: assigned → in transit")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        delivery = delivery_services.delivery_start(delivery=self.get_object(), actor=request.user)
        return Response(self.render(delivery))

    @_transition_doc("Complete: in transit → delivered")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        delivery = delivery_services.delivery_complete(
            delivery=self.get_object(), actor=request.user
        )
        return Response(self.render(delivery))

    @_transition_doc("Fail: in transit → failed", request=DeliveryFailInputSerializer)
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        delivery = self.get_object()
        data = self._validated(DeliveryFailInputSerializer)
        delivery = delivery_services.delivery_fail(
            delivery=delivery, reason=data["reason"], actor=request.user
        )
        return Response(self.render(delivery))

    @_transition_doc(
        "Cancel: pending or assigned → cancelled", request=DeliveryCancelInputSerializer
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        delivery = self.get_object()
        data = self._validated(DeliveryCancelInputSerializer)
        delivery = delivery_services.delivery_cancel(
            delivery=delivery, reason=data["reason"], actor=request.user
        )
        return Response(self.render(delivery))

    @extend_schema(
        responses={200: DeliveryEventSerializer(many=True)},
        summary="Status history, oldest first",
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def events(self, request, pk=None):
        events = delivery_event_list(delivery=self.get_object())
        return Response(DeliveryEventSerializer(events, many=True).data)


class TrackingView(generics.GenericAPIView):
    """Public tracking: status and history only, no personal data. No sign-in needed."""

    serializer_class = TrackingSerializer
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "track"

    @extend_schema(
        auth=[],
        responses={200: TrackingSerializer, 404: OpenApiResponse(description="Unknown code.")},
    )
    def get(self, request, tracking_code: str):
        delivery = delivery_get_public(tracking_code=tracking_code)
        if delivery is None:
            raise NotFound("No delivery has this tracking code.")
        return Response(self.get_serializer(delivery).data)


@extend_validation_errors([UNKNOWN_FILTER_CODE], field_name="filters", actions=["create"])
@extend_schema_view(
    list=extend_schema(summary="The reports you asked for, newest first"),
    retrieve=extend_schema(summary="A report's status, progress and download link"),
)
class ReportViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """CSV exports built by a worker. Staff only; each user sees only their own."""

    serializer_class = ReportSerializer
    permission_classes = [IsStaff]
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Report.objects.none()
        return report_list(user=cast(User, self.request.user))

    @extend_schema(
        request=ReportCreateInputSerializer,
        responses={202: ReportSerializer},
        summary="Ask for a report; a worker builds it",
    )
    def create(self, request, *args, **kwargs):
        serializer = ReportCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = report_services.report_create(actor=request.user, **serializer.validated_data)
        data = self.get_serializer(report).data
        return Response(data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(description="The CSV file."),
            409: CONFLICT_RESPONSE,
        },
        summary="Download a finished report",
        description="`409 report_not_ready` until the report is done.",
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        report = self.get_object()
        handle = report_services.report_open(report=report)
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"logitrack-{report.kind}-{report.pk}.csv",
            content_type="text/csv",
        )


# A filter a report refuses answers under filters.<key> the codes the list answers for
# it, read from the list's own filter form, or that its JSON type is wrong.
for _field in get_form_fields_with_error_codes(
    DeliveryFilter(queryset=Delivery.objects.none()).form
):
    codes = _field.error_codes | {FILTER_VALUE_TYPE_CODE}
    if _field.name == "search":  # validate_search names its code in no attribute
        codes.add("search_too_long")
    extend_validation_errors(
        sorted(codes),
        field_name=f"filters.{_field.name}",
        actions=["create"],
    )(ReportViewSet)


class StatsView(generics.GenericAPIView):
    """Counts of deliveries and vehicles by status and the on-time rate, up to date with
    every change. Staff only."""

    serializer_class = StatsSerializer
    permission_classes = [IsStaff]

    def get(self, request):
        return Response(self.get_serializer(delivery_stats()).data)
