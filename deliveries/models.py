import re
import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from fleet.models import Vehicle

# No 0/O or 1/I/L: codes are read out over the phone.
TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TRACKING_CODE_LENGTH = 12
TRACKING_CODE = re.compile(f"LT[{TRACKING_ALPHABET}]{{{TRACKING_CODE_LENGTH}}}")


def generate_tracking_code() -> str:
    """A random, non-sequential code (~59 bits of entropy), e.g. ``LT7QK2M9XHB4RZ``."""
    return "LT" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ASSIGNED = "assigned", "Assigned"
    IN_TRANSIT = "in_transit", "In transit"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ProofKind(models.TextChoices):
    PHOTO = "photo", "Photo"
    SIGNATURE = "signature", "Signature"


def validate_proof_kinds(value) -> None:
    """``proof_required``: a list of distinct proof kinds."""
    if not isinstance(value, list) or any(kind not in ProofKind.values for kind in value):
        raise ValidationError(
            "Give a list of proof kinds: %(kinds)s.",
            code="invalid_choice",
            params={"kinds": ", ".join(ProofKind.values)},
        )
    if len(set(value)) != len(value):
        raise ValidationError("Name each proof kind once.", code="invalid")


# What a client may set on a delivery (status, vehicle and driver move through the services).
DELIVERY_EDITABLE_FIELDS = (
    "origin_address",
    "destination_address",
    "recipient_name",
    "recipient_phone",
    "recipient_email",
    "weight_kg",
    "scheduled_for",
    "notes",
    "proof_required",
    "destination_lat",
    "destination_lng",
)

DESTINATION_INCOMPLETE = "Give destination_lat and destination_lng together, or neither."

# Statuses in which a delivery occupies its vehicle.
ACTIVE_STATUSES = (DeliveryStatus.ASSIGNED, DeliveryStatus.IN_TRANSIT)
FINISHED_STATUSES = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)


class Delivery(models.Model):
    """A parcel to carry. ``status``, ``vehicle`` and ``driver`` change only through
    ``services.deliveries``; each change appends a ``DeliveryEvent``."""

    tracking_code = models.CharField(
        max_length=20, unique=True, default=generate_tracking_code, editable=False
    )
    status = models.CharField(
        max_length=16,
        choices=DeliveryStatus,
        default=DeliveryStatus.PENDING,
        editable=False,
    )
    origin_address = models.CharField(max_length=255)
    destination_address = models.CharField(max_length=255)
    recipient_name = models.CharField(max_length=128)
    recipient_phone = models.CharField(max_length=32, blank=True)
    recipient_email = models.EmailField(blank=True)
    weight_kg = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    scheduled_for = models.DateTimeField()
    notes = models.TextField(blank=True, max_length=2000)
    # The proof kinds (``ProofKind``) that must be on record before it can be delivered.
    # A database default too, for rows written without the ORM (``seed_demo``'s COPY).
    proof_required = models.JSONField(
        default=list,
        db_default=models.Value([], output_field=models.JSONField()),
        blank=True,
        validators=[validate_proof_kinds],
    )
    # Where the parcel goes, for the ETA: both or neither.
    destination_lat = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    destination_lng = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    failure_reason = models.TextField(blank=True, max_length=1000)
    vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        # The list's orderings, each ending in id (the keyset tie-break), alone and
        # after the filters and scoping that come with them.
        indexes = [
            models.Index(fields=["created_at", "id"], name="delivery_created_idx"),
            models.Index(fields=["status", "created_at", "id"], name="delivery_status_created_idx"),
            models.Index(fields=["driver", "created_at", "id"], name="delivery_driver_created_idx"),
            models.Index(fields=["scheduled_for", "id"], name="delivery_scheduled_idx"),
            models.Index(
                fields=["status", "scheduled_for", "id"], name="delivery_status_sched_idx"
            ),
            models.Index(fields=["vehicle", "status"], name="delivery_vehicle_status_idx"),
            models.Index(fields=["driver", "status"], name="delivery_driver_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(name="delivery_weight_positive", condition=Q(weight_kg__gt=0)),
            models.CheckConstraint(
                name="delivery_status_valid", condition=Q(status__in=DeliveryStatus.values)
            ),
            # Pending deliveries carry no vehicle or driver; active ones have a vehicle.
            models.CheckConstraint(
                name="delivery_pending_unassigned",
                condition=~Q(status=DeliveryStatus.PENDING)
                | Q(vehicle__isnull=True, driver__isnull=True),
            ),
            models.CheckConstraint(
                name="delivery_active_has_vehicle",
                condition=~Q(status__in=ACTIVE_STATUSES) | Q(vehicle__isnull=False),
            ),
            models.CheckConstraint(
                name="delivery_delivered_at_iff_delivered",
                condition=Q(status=DeliveryStatus.DELIVERED, delivered_at__isnull=False)
                | (~Q(status=DeliveryStatus.DELIVERED) & Q(delivered_at__isnull=True)),
            ),
            models.CheckConstraint(
                name="delivery_destination_valid",
                condition=Q(destination_lat__isnull=True, destination_lng__isnull=True)
                | Q(
                    destination_lat__gte=-90,
                    destination_lat__lte=90,
                    destination_lng__gte=-180,
                    destination_lng__lte=180,
                ),
                violation_error_code="destination_incomplete",
                violation_error_message=DESTINATION_INCOMPLETE,
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_code


class DeliveryEvent(models.Model):
    """One status change of a delivery (its creation included). Append-only."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=DeliveryStatus, blank=True)
    to_status = models.CharField(max_length=16, choices=DeliveryStatus)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(blank=True, max_length=1000)
    # When the recipient's e-mail for this event went out (or was found unneeded);
    # null until then, which is what the notification sweep looks for.
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["delivery", "at"], name="event_delivery_at_idx"),
            models.Index(
                fields=["at"], condition=Q(notified_at__isnull=True), name="event_unnotified_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.from_status or '∅'} → {self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Delivery events are append-only.")
        super().save(*args, **kwargs)


def proof_storage() -> Storage:
    """Where proof files are kept: the ``proofs`` storage of ``STORAGES``, which no URL
    serves; the API streams each file to who may read its delivery."""
    return storages["proofs"]


def proof_file_name(proof: "DeliveryProof", filename: str) -> str:
    """``proofs/<delivery id>/<random>.<ext>``: the client's file name is never used."""
    extension = filename.rsplit(".", 1)[-1]
    return f"proofs/{proof.delivery_id}/{uuid.uuid4().hex}.{extension}"


class DeliveryProof(models.Model):
    """A photo or signature taken at the door, re-encoded without metadata. Append-only."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="proofs")
    kind = models.CharField(max_length=16, choices=ProofKind)
    file = models.FileField(storage=proof_storage, upload_to=proof_file_name, max_length=255)
    content_type = models.CharField(max_length=32, editable=False)
    recipient_name = models.CharField(max_length=128, blank=True)
    note = models.TextField(blank=True, max_length=1000)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    captured_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["captured_at", "id"]
        indexes = [
            models.Index(fields=["delivery", "kind"], name="proof_delivery_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(name="proof_kind_valid", condition=Q(kind__in=ProofKind.values)),
            models.CheckConstraint(
                name="proof_on_the_globe",
                condition=Q(lat__isnull=True, lng__isnull=True)
                | Q(lat__gte=-90, lat__lte=90, lng__gte=-180, lng__lte=180),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.kind}"


class ReportKind(models.TextChoices):
    DELIVERIES_CSV = "deliveries_csv", "Deliveries (CSV)"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Report(models.Model):
    """An export built by a worker; ``filters`` take the delivery list's keys."""

    kind = models.CharField(max_length=32, choices=ReportKind)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ReportStatus, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(upload_to="reports/", blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="report_progress_percent", condition=Q(progress__lte=100)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
