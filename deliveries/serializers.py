import datetime as dt
from decimal import Decimal

from django.urls import reverse
from rest_framework import serializers

from deliveries.filters import DeliveryFilter
from deliveries.models import (
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    Report,
    ReportKind,
    ReportStatus,
)
from fleet.models import Vehicle
from fleet.serializers import VehicleSerializer
from services.deliveries import DELIVERY_EDITABLE_FIELDS
from users.models import User
from users.serializers import DriverSummarySerializer, UserSummarySerializer


class DeliverySerializer(serializers.ModelSerializer):
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
            "vehicle",
            "driver",
        ]
        read_only_fields = fields


# A report takes the delivery list's filters.
REPORT_FILTER_KEYS = tuple(DeliveryFilter.base_filters)


class _AssignmentFieldsMixin(serializers.Serializer):
    # Any user may be named: the service answers ``driver_not_a_driver`` for a non-driver.
    vehicle_id = serializers.PrimaryKeyRelatedField(
        queryset=Vehicle.objects.all(), source="vehicle", allow_null=True, required=False
    )
    driver_id = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), source="driver", allow_null=True, required=False
    )


class DeliveryInputSerializer(_AssignmentFieldsMixin, serializers.ModelSerializer):
    """Create or update; with ``vehicle_id`` the delivery goes through the assignment rules."""

    weight_kg = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))

    class Meta:
        model = Delivery
        fields = [*DELIVERY_EDITABLE_FIELDS, "vehicle_id", "driver_id"]


class DeliveryAssignInputSerializer(_AssignmentFieldsMixin):
    vehicle_id = serializers.PrimaryKeyRelatedField(
        queryset=Vehicle.objects.all(), source="vehicle"
    )


class DeliveryFailInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class DeliveryCancelInputSerializer(DeliveryFailInputSerializer):
    pass


class DeliveryEventSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = DeliveryEvent
        fields = ["from_status", "to_status", "at", "actor", "note"]
        read_only_fields = fields


class TrackingEventSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, source="to_status")

    class Meta:
        model = DeliveryEvent
        fields = ["status", "at"]
        read_only_fields = fields


class TrackingSerializer(serializers.ModelSerializer):
    """What the public may know: no names, phones, e-mails or addresses."""

    events = TrackingEventSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ["tracking_code", "status", "scheduled_for", "delivered_at", "events"]
        read_only_fields = fields


class ReportCreateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text="The delivery list's filter keys: status (a list for several), vehicle, "
        "driver, scheduled_after, scheduled_before, search.",
    )

    def validate_filters(self, value):
        unknown = sorted(set(value) - set(REPORT_FILTER_KEYS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown filter keys: {', '.join(unknown)}.", code="unknown_filter"
            )
        filterset = DeliveryFilter(data=value, queryset=Delivery.objects.none())
        if not filterset.is_valid():
            raise serializers.ValidationError(
                {key: errors for key, errors in filterset.errors.items()}, code="invalid_filter"
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
        help_text="Share of delivered deliveries delivered no later than scheduled (0–1); "
        "null before the first delivery.",
    )
    generated_at = serializers.DateTimeField()


# Lean output for the delivery list: the same JSON as DeliverySerializer, built from
# ``.values()`` rows (see deliveries.selectors.delivery_list_rows) without a serializer
# per row. A test holds the two outputs equal.
_CENTS = Decimal("0.01")


def _datetime(value):
    if value is None:
        return None
    text = value.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _decimal(value):
    return None if value is None else f"{value.quantize(_CENTS):f}"


def delivery_list_item(row: dict) -> dict:
    vehicle = None
    if row["vehicle__id"] is not None:
        vehicle = {
            "id": row["vehicle__id"],
            "plate_number": row["vehicle__plate_number"],
            "make": row["vehicle__make"],
            "model": row["vehicle__model"],
            "year": row["vehicle__year"],
            "vehicle_type": row["vehicle__vehicle_type"],
            "capacity_kg": _decimal(row["vehicle__capacity_kg"]),
            "status": row["vehicle__status"],
            "created_at": _datetime(row["vehicle__created_at"]),
            "updated_at": _datetime(row["vehicle__updated_at"]),
        }
    driver = None
    if row["driver__id"] is not None:
        driver = {
            "id": row["driver__id"],
            "username": row["driver__username"],
            "first_name": row["driver__first_name"],
            "last_name": row["driver__last_name"],
            "phone": row["driver__phone"],
        }
    return {
        "id": row["id"],
        "tracking_code": row["tracking_code"],
        "status": row["status"],
        "origin_address": row["origin_address"],
        "destination_address": row["destination_address"],
        "recipient_name": row["recipient_name"],
        "recipient_phone": row["recipient_phone"],
        "recipient_email": row["recipient_email"],
        "weight_kg": _decimal(row["weight_kg"]),
        "scheduled_for": _datetime(row["scheduled_for"]),
        "notes": row["notes"],
        "failure_reason": row["failure_reason"],
        "created_at": _datetime(row["created_at"]),
        "updated_at": _datetime(row["updated_at"]),
        "delivered_at": _datetime(row["delivered_at"]),
        "vehicle": vehicle,
        "driver": driver,
    }
