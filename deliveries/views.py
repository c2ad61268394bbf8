from typing import cast

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from drf_standardized_errors.openapi_utils import get_form_fields_with_error_codes
from drf_standardized_errors.openapi_validation_errors import (
    extend_validation_errors,
    set_validation_errors,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import MultiPartParser
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
    delivery_proof_get,
    delivery_proof_list,
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
    DeliveryProofInputSerializer,
    DeliveryProofSerializer,
    DeliverySerializer,
    ReportCreateInputSerializer,
    ReportSerializer,
    StatsSerializer,
    TrackingSerializer,
)
from deliveries.tracking_page import (
    TrackingPageNegotiation,
    TrackingPageRenderer,
    tracking_page_context,
)
from locations.serializers import EtaSerializer
from logitrack.exception_handler import error_answer
from logitrack.fields import MAX_ID
from logitrack.filters import FilterBackend
from logitrack.negotiation import JsonErrorsOnly
from logitrack.openapi import CONFLICT_RESPONSE, refused_with_results
from logitrack.pagination import KeysetPagination
from logitrack.permissions import IsStaff
from logitrack.viewsets import ServiceModelViewSet
from services import deliveries as delivery_services
from services import locations as location_services
from services import proofs as proof_services
from services import reports as report_services
from services.bulk import bulk_run
from services.exceptions import (
    DestinationIncomplete,
    DriverNotADriver,
    FileTooLarge,
    InvalidImage,
    InvalidTimeWindow,
    ProofRequired,
    VehicleInMaintenance,
    VehicleOutOfService,
    VehicleOverCapacity,
    VehicleRequired,
)
from users.models import User

TRACKING_NOT_FOUND = "No delivery has this tracking code."

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


PROOF_ADD_DESCRIPTION = (
    "Multipart. While the delivery is `in_transit` (else `409 invalid_transition`), by its "
    "driver or staff. One proof per file: sending one file answers that proof; sending "
    "`photo` and `signature` answers a list of both, the photo first. `400 invalid_image` "
    "when a file's content is not an image of the allowed types, or has more than "
    "`PROOF_MAX_PIXELS` pixels; `400 file_too_large` over its limit (or a body larger than "
    "both limits together). Emits `delivery.proof_added`."
)
_PROOF = {"$ref": "#/components/schemas/DeliveryProof"}
PROOF_CREATED_SCHEMA = {"oneOf": [_PROOF, {"type": "array", "items": _PROOF}]}
PROOF_FILE_TYPES = ("image/jpeg", "image/png", "image/webp")
NO_SUCH_PROOF = "This delivery has no proof with this id."


def _refuse_oversized_upload(request) -> None:
    """A body larger than both files and the form's text together cannot be a proof:
    refused before it is read."""
    limit = (
        settings.PROOF_PHOTO_MAX_BYTES
        + settings.PROOF_SIGNATURE_MAX_BYTES
        + (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)
    )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise FileTooLarge(field="The upload", limit=limit, attr="photo")


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

    @extend_schema(
        request=None,
        responses={200: DeliverySerializer, 409: CONFLICT_RESPONSE},
        summary="Complete: in transit → delivered",
        description="`409 invalid_transition` when the delivery's status does not allow it; "
        "`400 proof_required` while a kind of `proof_required` has no proof, the kinds "
        "in the error's `missing`.",
    )
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

    @extend_schema(
        responses={200: DeliveryProofSerializer(many=True)},
        summary="Proofs of delivery, oldest first",
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        filter_backends=[],
        parser_classes=[MultiPartParser],
    )
    def proofs(self, request, pk=None):
        proofs = delivery_proof_list(delivery=self.get_object())
        context = self.get_serializer_context()
        return Response(DeliveryProofSerializer(proofs, many=True, context=context).data)

    @extend_schema(
        request=DeliveryProofInputSerializer,
        responses={
            201: OpenApiResponse(
                PROOF_CREATED_SCHEMA,
                description="The proof; a list of two when both files were sent.",
            ),
            409: CONFLICT_RESPONSE,
        },
        summary="Add proof of delivery: a photo, a signature or both",
        description=PROOF_ADD_DESCRIPTION,
    )
    @proofs.mapping.post
    def proof_add(self, request, pk=None):
        delivery = self.get_object()
        _refuse_oversized_upload(request)
        data = self._validated(DeliveryProofInputSerializer)
        proofs = proof_services.delivery_proof_add(
            delivery=delivery,
            actor=request.user,
            details=proof_services.ProofDetails(
                recipient_name=data["recipient_name"],
                note=data["note"],
                lat=data.get("lat"),
                lng=data.get("lng"),
            ),
            photo=data.get("photo"),
            signature=data.get("signature"),
        )
        context = self.get_serializer_context()
        body = DeliveryProofSerializer(proofs, many=True, context=context).data
        return Response(body[0] if len(body) == 1 else body, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("proof_id", int, OpenApiParameter.PATH)],
        responses={
            **{
                (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")
                for content_type in PROOF_FILE_TYPES
            },
        },
        summary="A proof's file",
        description="Streamed to the delivery's driver and staff only; the type is the "
        "stored image's, whatever `Accept` asks.",
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"proofs/(?P<proof_id>[0-9]+)/file",
        url_name="proof-file",
        pagination_class=None,
        filter_backends=[],
        content_negotiation_class=JsonErrorsOnly,
    )
    def proof_file(self, request, pk=None, proof_id=None):
        delivery = self.get_object()
        number = int(str(proof_id))
        proof = delivery_proof_get(delivery=delivery, proof_id=number) if number <= MAX_ID else None
        if proof is None:
            raise NotFound(NO_SUCH_PROOF)
        extension = proof.file.name.rsplit(".", 1)[-1]
        return FileResponse(
            proof.file.open("rb"),
            content_type=proof.content_type,
            filename=f"{delivery.tracking_code}-{proof.kind}-{proof.pk}.{extension}",
        )

    @extend_schema(
        responses={200: EtaSerializer, 409: CONFLICT_RESPONSE},
        summary="Estimated time of arrival",
        description=(
            "The straight-line distance from its driver's last known position to its "
            "destination, at the driver's recent speed. `409 eta_unavailable` (the detail "
            "says why) unless the delivery is in transit, has `destination_lat` and "
            "`destination_lng`, and its driver has sent a position."
        ),
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def eta(self, request, pk=None):
        eta = location_services.delivery_eta(delivery=self.get_object())
        return Response(EtaSerializer(eta).data)


# A destination and a time window are each both ends or neither, on every edit.
for _code, _fields in (
    (DestinationIncomplete.code, ("destination_lat", "destination_lng")),
    (InvalidTimeWindow.code, ("window_start", "window_end")),
):
    for _edited in _fields:
        extend_validation_errors([_code], field_name=_edited, actions=EDITING_ACTIONS)(
            DeliveryViewSet
        )

# The proof upload's own refusals, by the field they name. The upload is the POST mapped
# onto proofs/ (its action: proof_add), which extend_validation_errors does not take for
# an action name, so its errors are set as that decorator sets them.
for _proof_field, _codes in {
    "photo": [InvalidImage.code, FileTooLarge.code, "required"],
    "signature": [InvalidImage.code, FileTooLarge.code],
    "lat": ["required"],
    "lng": ["required"],
}.items():
    set_validation_errors(
        DeliveryViewSet,
        error_codes=_codes,
        field_name=_proof_field,
        actions=["proof_add"],
        methods=None,
        versions=None,
    )
extend_validation_errors([ProofRequired.code], field_name="proof_required", actions=["complete"])(
    DeliveryViewSet
)


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
        return Response(self.tracking(tracking_code))

    def tracking(self, tracking_code: str) -> dict:
        """What the public may know of the delivery: the serializer's data, its ETA a
        time only. ``NotFound`` for a code no delivery has."""
        delivery = delivery_get_public(tracking_code=tracking_code)
        if delivery is None:
            raise NotFound(TRACKING_NOT_FOUND)
        eta = location_services.delivery_eta_time(delivery=delivery)
        return self.get_serializer(
            delivery, context={**self.get_serializer_context(), "eta": eta}
        ).data


class TrackingPageView(TrackingView):
    """``/track/{tracking_code}/``: the same for people, as a page (same throttle scope,
    so the page and the JSON share one budget per client)."""

    renderer_classes = [TrackingPageRenderer]
    content_negotiation_class = TrackingPageNegotiation

    @extend_schema(exclude=True)
    def get(self, request, tracking_code: str):
        return Response(tracking_page_context(self.tracking(tracking_code)))


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
