from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from logitrack.text import normalize_identifier


def normalize_plate(value: str) -> str:
    """Plates are stored upper-case in their plain form (NFKC, no invisible characters)
    with every space removed."""
    return "".join(normalize_identifier(value).split()).upper()


# What a client may set on a vehicle (its status moves through the services).
VEHICLE_EDITABLE_FIELDS = ("plate_number", "make", "model", "year", "vehicle_type", "capacity_kg")


class VehicleType(models.TextChoices):
    VAN = "van", "Van"
    TRUCK = "truck", "Truck"
    CAR = "car", "Car"
    MOTORCYCLE = "motorcycle", "Motorcycle"
    BICYCLE = "bicycle", "Bicycle"


class VehicleStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    IN_MAINTENANCE = "in_maintenance", "In maintenance"
    OUT_OF_SERVICE = "out_of_service", "Out of service"


class Vehicle(models.Model):
    """A vehicle of the fleet. ``status`` changes only through ``services.fleet``."""

    plate_number = models.CharField(max_length=16, unique=True)
    make = models.CharField(max_length=64)
    model = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1950), MaxValueValidator(2100)]
    )
    vehicle_type = models.CharField(max_length=16, choices=VehicleType)
    capacity_kg = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    status = models.CharField(
        max_length=16,
        choices=VehicleStatus,
        default=VehicleStatus.AVAILABLE,
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plate_number"]
        indexes = [models.Index(fields=["status"], name="vehicle_status_idx")]
        constraints = [
            models.CheckConstraint(
                name="vehicle_plate_normalized",
                condition=Q(plate_number=Upper("plate_number"))
                & ~Q(plate_number__contains=" ")
                & ~Q(plate_number=""),
            ),
            models.CheckConstraint(
                name="vehicle_capacity_positive", condition=Q(capacity_kg__gt=0)
            ),
            models.CheckConstraint(
                name="vehicle_status_valid", condition=Q(status__in=VehicleStatus.values)
            ),
        ]

    def __str__(self) -> str:
        return self.plate_number

    def save(self, *args, **kwargs):
        self.plate_number = normalize_plate(self.plate_number)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Before validate_unique, so "ab 123" collides with an existing "AB123".
        self.plate_number = normalize_plate(self.plate_number)


class MaintenanceRecord(models.Model):
    """One stay of a vehicle in maintenance; open while ``ended_at`` is null."""

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="maintenance_records"
    )
    reason = models.TextField(max_length=1000)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"],
                condition=Q(ended_at__isnull=True),
                name="maintenance_one_open_per_vehicle",
            ),
            models.CheckConstraint(
                name="maintenance_ends_after_start",
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} from {self.started_at:%Y-%m-%d}"
