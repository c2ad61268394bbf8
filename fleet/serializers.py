from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from fleet.models import VEHICLE_EDITABLE_FIELDS, MaintenanceRecord, Vehicle, normalize_plate
from logitrack.fields import StrictModelSerializer, TextField
from users.serializers import UserSummarySerializer

VEHICLE_FIELDS = [
    "id",
    "plate_number",
    "make",
    "model",
    "year",
    "vehicle_type",
    "capacity_kg",
    "status",
    "created_at",
    "updated_at",
]


class PlateNumberField(TextField):
    """Accepts ``"ab 123"`` (or ``ＡＢ１２３``) and stores ``"AB123"``; uniqueness is checked
    on the stored form; a plate with nothing left is ``400 blank``."""

    def to_internal_value(self, data):
        plate = normalize_plate(super().to_internal_value(data))
        if not plate:
            self.fail("blank")
        return plate


class VehicleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vehicle
        fields = VEHICLE_FIELDS
        read_only_fields = VEHICLE_FIELDS


class VehicleInputSerializer(StrictModelSerializer):
    plate_number = PlateNumberField(
        max_length=16, validators=[UniqueValidator(queryset=Vehicle.objects.all())]
    )

    class Meta:
        model = Vehicle
        fields = list(VEHICLE_EDITABLE_FIELDS)


class MaintenanceRecordSerializer(serializers.ModelSerializer):
    started_by = UserSummarySerializer(read_only=True, allow_null=True)
    ended_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = MaintenanceRecord
        fields = ["id", "reason", "started_at", "ended_at", "started_by", "ended_by"]
        read_only_fields = fields


class MaintenanceStartInputSerializer(serializers.Serializer):
    reason = TextField(max_length=1000)
