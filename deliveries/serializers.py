from decimal import Decimal

import django_filters
from django import forms
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from deliveries.filters import DeliveryFilter
from deliveries.models import (
    DELIVERY_EDITABLE_FIELDS,
    Delivery,
    DeliveryEvent,
    DeliveryProof,
    DeliveryStatus,
    EventKind,
    ProofKind,
    Report,
    ReportKind,
    ReportStatus,
)
from fleet.models import Vehicle
from fleet.serializers import VehicleSerializer
from logitrack.fields import (
    MAX_ID,
    BoolField,
    ChoiceField,
    CoordinateField,
    FormCoordinateField,
    IdField,
    IntField,
    PlainDecimalField,
    StrictModelSerializer,
    TextField,
)
from users.models import User
from users.serializers import DriverSummarySerializer, UserSummarySerializer

LATE_HELP = (
    "Late: not finished (delivered, failed or cancelled) after its deadline, the end of "
    "its time window or, without one, `scheduled_for`; or delivered after it. Exactly at "
    "the deadline is in time."
)


class DeliverySerializer(serializers.ModelSerializer):
    proof_required = serializers.ListField(
        child=serializers.ChoiceField(choices=ProofKind.choices),
        read_only=True,
        help_text="Proof kinds that must be on record before `complete/` is allowed.",
    )
    # Computed from the delivery's own fields (``Delivery.lateness``); the fast path
    # (``deliveries.rendering``) computes them from a row the same way.
    is_late = serializers.BooleanField(
        source="lateness.is_late", read_only=True, help_text=LATE_HELP
    )
    late_by_minutes = serializers.IntegerField(
        source="lateness.late_by_minutes",
        read_only=True,
        allow_null=True,
        help_text="Whole minutes past the deadline (rounded down): of `delivered_at` for a "
        "delivery delivered late, of now for an unfinished one; `null` when not late.",
    )
    vehicle = VehicleSerializer(read_only=True, allow_null=True)
    driver = DriverSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "tracking_code",
            "status",
            *DELIVERY_EDITABLE_FIELDS,
            "failure_reason",
            "created_at",
            "updated_at",
            "delivered_at",
            "is_late",
            "late_by_minutes",
            "vehicle",
            "driver",
        ]
        read_only_fields = fields


# A report takes the delivery list's filters.
REPORT_FILTER_KEYS = tuple(DeliveryFilter.base_filters)
UNKNOWN_FILTER = "Unknown filter keys: {keys}. A report takes {known}."
UNKNOWN_KEYS_NAMED = 10


class _AssignmentFieldsMixin(serializers.Serializer):
    # Any user may be named: the service answers ``driver_not_a_driver`` for a non-driver.
    vehicle_id = IdField(
        queryset=Vehicle.objects.all(), source="vehicle", allow_null=True, required=False
    )
    driver_id = IdField(
        queryset=User.objects.all(),
        source="driver",
        allow_null=True,
        required=False,
        help_text="Left out: the delivery keeps its driver; `null`: no driver.",
    )


DESTINATION_HELP = (
    "Degrees (WGS 84); give `destination_lat` and `destination_lng` together, or neither "
    "(`400 destination_incomplete`). Used for the ETA."
)


class DeliveryInputSerializer(_AssignmentFieldsMixin, StrictModelSerializer):
    """Create or update; with ``vehicle_id`` the delivery goes through the assignment rules."""

    weight_kg = PlainDecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    proof_required = serializers.ListField(
        child=ChoiceField(choices=ProofKind.choices),
        required=False,
        help_text="Proof kinds the driver must add before completing it (default none); "
        "each named once at most counts once.",
    )
    destination_lat = CoordinateField(
        limit=90, required=False, allow_null=True, help_text=DESTINATION_HELP
    )
    destination_lng = CoordinateField(
        limit=180, required=False, allow_null=True, help_text=DESTINATION_HELP
    )

    class Meta:
        model = Delivery
        fields = [*DELIVERY_EDITABLE_FIELDS, "vehicle_id", "driver_id"]

    def validate_proof_required(self, value: list[str]) -> list[str]:
        return [kind for kind in ProofKind.values if kind in value]


class DeliveryAssignInputSerializer(_AssignmentFieldsMixin):
    vehicle_id = IdField(queryset=Vehicle.objects.all(), source="vehicle")


class DeliveryFailInputSerializer(serializers.Serializer):
    reason = TextField(max_length=1000)


class DeliveryCancelInputSerializer(DeliveryFailInputSerializer):
    pass


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice stored as ``""`` for "none" (a creation event's ``from_status``),
    sent and documented as ``null``."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value):
        if value in ("", None):
            return None
        return super().to_representation(value)


EVENT_KIND_HELP = (
    "`status_change` (creation included), `late` (the delivery passed its deadline "
    "unfinished, or was delivered after it; once per delivery, within a minute), "
    "`proof` or `note`. An event that is no status change keeps the status: its "
    "`from_status` and `to_status` are the status the delivery had."
)


class DeliveryEventSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(
        choices=EventKind.choices, read_only=True, help_text=EVENT_KIND_HELP
    )
    from_status = BlankAsNullChoiceField(
        choices=DeliveryStatus.choices, help_text="`null` on the event that created it."
    )
    actor = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = DeliveryEvent
        fields = ["kind", "from_status", "to_status", "at", "actor", "note"]
        read_only_fields = fields


# Proof of delivery ------------------------------------------------------------------

PROOF_FILE_MISSING = "Send a photo, a signature or both."
COORDINATES_APART = "Give lat and lng together."


class DeliveryProofInputSerializer(serializers.Serializer):
    """A multipart upload: at least one file, what the recipient said and where."""

    photo = serializers.FileField(
        required=False,
        help_text="JPEG, PNG or WebP, at most 10 MB (`PROOF_PHOTO_MAX_BYTES`); the type is "
        "read from the content. Re-encoded without metadata.",
    )
    signature = serializers.FileField(
        required=False,
        help_text="PNG, at most 1 MB (`PROOF_SIGNATURE_MAX_BYTES`). Re-encoded.",
    )
    recipient_name = TextField(max_length=128, required=False, default="", allow_blank=True)
    note = TextField(max_length=1000, required=False, default="", allow_blank=True)
    lat = FormCoordinateField(limit=90, required=False)
    lng = FormCoordinateField(limit=180, required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("photo") is None and attrs.get("signature") is None:
            raise serializers.ValidationError({"photo": PROOF_FILE_MISSING}, code="required")
        if ("lat" in attrs) != ("lng" in attrs):
            missing = "lng" if "lat" in attrs else "lat"
            raise serializers.ValidationError({missing: COORDINATES_APART}, code="required")
        return attrs


class DeliveryProofSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="The file, for who may read the delivery (its driver and staff)."
    )

    class Meta:
        model = DeliveryProof
        fields = ["id", "kind", "url", "recipient_name", "note", "lat", "lng", "captured_at"]
        read_only_fields = fields

    def get_url(self, proof: DeliveryProof) -> str:
        url = reverse("delivery-proof-file", kwargs={"pk": proof.delivery_id, "proof_id": proof.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class TrackingEventSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(
        choices=EventKind.choices, read_only=True, help_text=EVENT_KIND_HELP
    )
    status = serializers.ChoiceField(
        choices=DeliveryStatus.choices, source="to_status", help_text="The status after it."
    )

    class Meta:
        model = DeliveryEvent
        fields = ["kind", "status", "at"]
        read_only_fields = fields


TRACKING_ETA_HELP = (
    "When the delivery should arrive (the delivery's ETA, as a time only); `null` unless "
    "it is in transit towards known coordinates and its driver has sent a position."
)


class TrackingSerializer(serializers.ModelSerializer):
    """What the public may know: no names, phones, e-mails, addresses or positions. The
    ETA comes in the context (``eta``: a datetime or ``None``), computed by the view."""

    events = TrackingEventSerializer(many=True, read_only=True)
    eta = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "tracking_code",
            "status",
            "scheduled_for",
            "window_start",
            "window_end",
            "delivered_at",
            "eta",
            "events",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True, help_text=TRACKING_ETA_HELP))
    def get_eta(self, delivery: Delivery) -> str | None:
        eta = self.context.get("eta")
        return None if eta is None else serializers.DateTimeField().to_representation(eta)


# Filters as the delivery list's query string carries them: text, a repeatable filter's
# values as a list; a report takes the same.
REPEATABLE_FILTERS = frozenset(
    key
    for key, value in DeliveryFilter.base_filters.items()
    if issubclass(value.field_class, forms.MultipleChoiceField)
)
UNKNOWN_FILTER_CODE = "unknown_filter"
# A value no query string could carry (an object, a boolean); a value it could carry but
# the filter refuses answers the list's own code for it (invalid_choice, …).
FILTER_VALUE_TYPE_CODE = "invalid"
FILTER_VALUE_INVALID = "Give {key} as text{numbers}{booleans}{lists}."
# Filters whose query-string value is a number, which JSON may also give as one.
NUMERIC_FILTERS = frozenset(
    key
    for key, value in DeliveryFilter.base_filters.items()
    if isinstance(value, django_filters.NumberFilter)
)
# Filters whose query-string value is true or false, which JSON may also give as a boolean.
BOOLEAN_FILTERS = frozenset(
    key
    for key, value in DeliveryFilter.base_filters.items()
    if isinstance(value, django_filters.BooleanFilter)
)
_STATUS_SCHEMA = {"type": "string", "enum": list(DeliveryStatus.values)}
_ID_SCHEMA = {
    "anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}],
    "nullable": True,
}
_TIME_SCHEMA = {"type": "string", "format": "date-time", "nullable": True}
REPORT_FILTERS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": {"oneOf": [_STATUS_SCHEMA, {"type": "array", "items": _STATUS_SCHEMA}]},
        "vehicle": _ID_SCHEMA,
        "driver": _ID_SCHEMA,
        "scheduled_after": _TIME_SCHEMA,
        "scheduled_before": _TIME_SCHEMA,
        "late": {"anyOf": [{"type": "boolean"}, {"type": "string"}], "nullable": True},
        "search": {"type": "string", "nullable": True},
    },
}


def _query_text(key: str, value) -> str:
    """A JSON value as the query string carries it: text, the digits of a number for
    a numeric filter, ``true``/``false`` for a boolean one; ``null`` is an empty value
    (no filter)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if key in NUMERIC_FILTERS and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if key in BOOLEAN_FILTERS and isinstance(value, bool):
        return "true" if value else "false"
    raise serializers.ValidationError(
        {
            key: [
                FILTER_VALUE_INVALID.format(
                    key=key,
                    numbers=" or a number" if key in NUMERIC_FILTERS else "",
                    booleans=" or a boolean" if key in BOOLEAN_FILTERS else "",
                    lists=", or a list of them" if key in REPEATABLE_FILTERS else "",
                )
            ]
        },
        code=FILTER_VALUE_TYPE_CODE,
    )


def filters_as_query(filters: dict) -> dict:
    """``filters`` as the delivery list reads its query string: text values, and for a
    repeatable filter (``status``) a list, whether one value or a list was given."""
    query = {}
    for key, value in filters.items():
        values = value if isinstance(value, list) and key in REPEATABLE_FILTERS else [value]
        texts = [_query_text(key, item) for item in values]
        query[key] = texts if key in REPEATABLE_FILTERS else texts[-1]
    return query


@extend_schema_field(REPORT_FILTERS_SCHEMA)
class ReportFiltersField(serializers.DictField):
    pass


class ReportCreateInputSerializer(serializers.Serializer):
    kind = ChoiceField(choices=ReportKind.choices)
    filters = ReportFiltersField(
        required=False,
        default=dict,
        help_text="The delivery list's filters, as its query string takes them: "
        "status (one value or a list), vehicle, driver, scheduled_after, "
        "scheduled_before, late, search.",
    )

    def validate_filters(self, value):
        unknown = sorted(set(value) - set(REPORT_FILTER_KEYS))
        if unknown:
            named = ", ".join(unknown[:UNKNOWN_KEYS_NAMED])
            more = len(unknown) - UNKNOWN_KEYS_NAMED
            raise serializers.ValidationError(
                UNKNOWN_FILTER.format(
                    keys=named + (f" and {more} more" if more > 0 else ""),
                    known=", ".join(REPORT_FILTER_KEYS),
                ),
                code=UNKNOWN_FILTER_CODE,
            )
        value = filters_as_query(value)
        filterset = DeliveryFilter(data=value, queryset=Delivery.objects.none())
        if not filterset.is_valid():
            # Each filter's own codes, as the list answers them (``search_too_long``, …).
            raise serializers.ValidationError(
                {
                    key: [ErrorDetail(error.messages[0], code=error.code) for error in errors]
                    for key, errors in filterset.errors.as_data().items()
                }
            )
        return value


class ReportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "filters",
            "status",
            "progress",
            "row_count",
            "download_url",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_download_url(self, report: Report) -> str | None:
        if report.status != ReportStatus.DONE:
            return None
        url = reverse("report-download", kwargs={"pk": report.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class StatsSerializer(serializers.Serializer):
    deliveries_by_status = serializers.DictField(child=serializers.IntegerField())
    vehicles_by_status = serializers.DictField(child=serializers.IntegerField())
    on_time_rate = serializers.FloatField(
        allow_null=True,
        help_text="Share of delivered deliveries delivered no later than their deadline, "
        "the end of their time window or, without one, `scheduled_for` (0–1); "
        "null before the first delivery.",
    )
    generated_at = serializers.DateTimeField()


# Bulk calls -----------------------------------------------------------------------

MAX_BULK_ITEMS = 500
TOO_MANY_ITEMS = f"Send at most {MAX_BULK_ITEMS} items in one call."


class _BulkInputSerializer(serializers.Serializer):
    atomic = BoolField(
        default=False,
        help_text="All or nothing: if any item is refused, none is written and the answer "
        "is 400 with every item's result.",
    )

    def validate_items(self, value):
        if len(value) > MAX_BULK_ITEMS:
            raise serializers.ValidationError(TOO_MANY_ITEMS, code="too_many_items")
        return value


class DeliveryBulkCreateInputSerializer(_BulkInputSerializer):
    items = serializers.ListField(
        child=serializers.DictField(),
        allow_empty=False,
        help_text=f"At most {MAX_BULK_ITEMS}; each a body of `POST /api/v1/deliveries/`.",
    )


class DeliveryBulkAssignItemSerializer(_AssignmentFieldsMixin):
    # An unknown delivery is 404, as for POST /deliveries/{id}/assign/.
    delivery_id = IntField(min_value=1, max_value=MAX_ID)
    vehicle_id = IdField(queryset=Vehicle.objects.all(), source="vehicle")


class DeliveryBulkAssignInputSerializer(_BulkInputSerializer):
    items = serializers.ListField(
        child=serializers.DictField(),
        allow_empty=False,
        help_text=f"At most {MAX_BULK_ITEMS}; each `{{delivery_id, vehicle_id, driver_id}}`, "
        "as the body of `POST /api/v1/deliveries/{id}/assign/`.",
    )


class ErrorEntrySerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in `items`, from 0.")
    status = serializers.IntegerField(help_text="What the single call would answer.")
    delivery = DeliverySerializer(required=False, help_text="When the item succeeded.")
    errors = ErrorEntrySerializer(  # type: ignore[assignment]  # a field, not .errors
        many=True, required=False, help_text="When it was refused: the single call's errors."
    )


class BulkResultSerializer(serializers.Serializer):
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BulkItemResultSerializer(many=True)
