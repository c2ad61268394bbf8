import datetime as dt

from django.utils import timezone
from rest_framework import serializers

from logitrack.fields import AwareDateTimeField, CoordinateField, NumberField

MAX_POINTS = 500
TOO_MANY_POINTS = f"Send at most {MAX_POINTS} points in one call."
NO_POINTS = "Send at least one point."
# A device's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=1)
RECORDED_IN_FUTURE = "recorded_in_future"
IN_FUTURE = "This point was recorded more than a minute ahead of the server's clock."


class RecordedAtField(AwareDateTimeField):
    default_error_messages = {RECORDED_IN_FUTURE: IN_FUTURE}

    def to_internal_value(self, value):
        recorded_at = super().to_internal_value(value)
        if recorded_at > timezone.now() + CLOCK_SKEW:
            self.fail(RECORDED_IN_FUTURE)
        return recorded_at


class LocationPointListSerializer(serializers.ListSerializer):
    """Counts the points before reading any: a batch over the limit costs nothing."""

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > MAX_POINTS:
            raise serializers.ValidationError(TOO_MANY_POINTS, code="too_many_items")
        if isinstance(data, list) and not data:
            raise serializers.ValidationError(NO_POINTS, code="empty")
        return super().to_internal_value(data)


class LocationPointInputSerializer(serializers.Serializer):
    lat = CoordinateField(limit=90, help_text="Degrees, -90 to 90 (WGS 84).")
    lng = CoordinateField(limit=180, help_text="Degrees, -180 to 180 (WGS 84).")
    recorded_at = RecordedAtField(
        help_text="When the device took the position; at most a minute ahead of the server."
    )
    accuracy_m = NumberField(
        required=False, allow_null=True, min_value=0, help_text="Metres (optional)."
    )
    speed_kmh = NumberField(
        required=False, allow_null=True, min_value=0, max_value=1000, help_text="Optional."
    )
    heading = NumberField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=360,
        help_text="Degrees clockwise from north, 0 to 360 (optional).",
    )

    class Meta:
        list_serializer_class = LocationPointListSerializer


class LocationBatchInputSerializer(serializers.Serializer):
    points = LocationPointInputSerializer(
        many=True,
        help_text=f"1 to {MAX_POINTS} points, oldest first (`400 too_many_items` over that); "
        "points recorded while offline may come later, in their order.",
    )


class LocationAcceptedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="How many points were stored.")


class LocationSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    recorded_at = serializers.DateTimeField()
    age_s = serializers.IntegerField(
        help_text="Seconds since `recorded_at`, by the server's clock."
    )


class PositionSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    recorded_at = serializers.DateTimeField()


class EtaSerializer(serializers.Serializer):
    eta = serializers.DateTimeField(help_text="When the driver should reach the destination.")
    distance_km = serializers.FloatField(help_text="Straight-line distance left.")
    speed_kmh = serializers.FloatField(help_text="The speed the ETA assumes.")
    method = serializers.ChoiceField(
        choices=[
            ("recent_speed", "recent_speed"),
            ("minimum_speed", "minimum_speed"),
            ("default_speed", "default_speed"),
        ],
        help_text="`recent_speed`: the driver's average over the last 15 minutes; "
        "`minimum_speed`: that average was below `ETA_MIN_SPEED_KMH`, which is used instead; "
        "`default_speed`: no recent speed is known, `ETA_DEFAULT_SPEED_KMH` is used.",
    )
    based_on = PositionSerializer(help_text="The driver's last known position.")
