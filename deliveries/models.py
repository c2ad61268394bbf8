import datetime as dt
import re
import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

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
    "window_start",
    "window_end",
    "notes",
    "proof_required",
    "destination_lat",
    "destination_lng",
)

DESTINATION_INCOMPLETE = "Give destination_lat and destination_lng together, or neither."

# Statuses in which a delivery occupies its vehicle.
ACTIVE_STATUSES = (DeliveryStatus.ASSIGNED, DeliveryStatus.IN_TRANSIT)
FINISHED_STATUSES = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)
UNFINISHED_STATUSES = (DeliveryStatus.PENDING, *ACTIVE_STATUSES)

TIME_WINDOW_INVALID_CODE = "invalid_time_window"
TIME_WINDOW_INVALID = (
    "A time window needs both window_start and window_end, the end after the start."
)

# Lateness. A delivery's deadline is the end of its time window, else its scheduled
# time (the ``deadline`` column, computed by the database; ``delivery_late_by`` in
# Python). It is late when unfinished past its deadline, or delivered after it.
LATENESS_INPUTS = ("status", "scheduled_for", "window_end", "delivered_at")


def overdue_q(now: dt.datetime) -> Q:
    """Deliveries not finished and past their deadline at ``now``."""
    return Q(status__in=UNFINISHED_STATUSES, deadline__lt=now)


DELIVERED_LATE_Q = Q(status=DeliveryStatus.DELIVERED, delivered_at__gt=F("deadline"))
DELIVERED_ON_TIME_Q = Q(status=DeliveryStatus.DELIVERED, delivered_at__lte=F("deadline"))


def late_q(now: dt.datetime) -> Q:
    """Deliveries late at ``now`` (``delivery_late_by`` as a filter)."""
    return overdue_q(now) | DELIVERED_LATE_Q


def delivery_late_by(
    *,
    status: str,
    scheduled_for: dt.datetime,
    window_end: dt.datetime | None,
    delivered_at: dt.datetime | None,
    now: dt.datetime,
) -> dt.timedelta | None:
    """How far past its deadline the delivery is (unfinished: at ``now``) or was
    delivered; ``None`` when it is not late (exactly at the deadline is in time)."""
    deadline = window_end or scheduled_for
    if status == DeliveryStatus.DELIVERED:
        end = delivered_at
    elif status in UNFINISHED_STATUSES:
        end = now
    else:
        return None
    if end is None or end <= deadline:
        return None
    return end - deadline


def lateness(late_by: dt.timedelta | None) -> dict:
    """The API's ``is_late`` and ``late_by_minutes`` (whole minutes, rounded down;
    ``null`` when not late) of a delivery ``late_by`` past its deadline."""
    return {
        "is_late": late_by is not None,
        "late_by_minutes": None if late_by is None else int(late_by.total_seconds() // 60),
    }


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
    window_start = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Start of the time window agreed with the recipient: both or neither.",
    )
    window_end = models.DateTimeField(
        null=True,
        blank=True,
        help_text="End of the time window, after its start; the deadline when given.",
    )
    deadline = models.GeneratedField(
        expression=Coalesce("window_end", "scheduled_for"),
        output_field=models.DateTimeField(),
        db_persist=True,
    )
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
    # When the late sweep gave it its ``late`` event (the same fact as that event, kept
    # here so that the sweep's index holds only deliveries still to be looked at).
    late_marked_at = models.DateTimeField(null=True, blank=True, editable=False)

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
            # The late sweep's: unfinished, not yet marked, by deadline. The statuses
            # are OR-ed, not IN (…): PostgreSQL writes an IN list's definition back in
            # a form that reads differently once re-created (as seed_demo's large
            # loads re-create indexes).
            models.Index(
                fields=["deadline"],
                condition=Q(*[("status", s) for s in UNFINISHED_STATUSES], _connector=Q.OR)
                & Q(late_marked_at__isnull=True),
                name="delivery_late_due_idx",
            ),
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
            models.CheckConstraint(
                name="delivery_time_window_valid",
                violation_error_code=TIME_WINDOW_INVALID_CODE,
                violation_error_message=TIME_WINDOW_INVALID,
                condition=Q(window_start__isnull=True, window_end__isnull=True)
                | Q(
                    window_start__isnull=False,
                    window_end__isnull=False,
                    window_end__gt=F("window_start"),
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    @cached_property
    def lateness(self) -> dict:
        """``lateness()`` of this delivery now (the API's ``is_late``, ``late_by_minutes``)."""
        late_by = delivery_late_by(
            **{name: getattr(self, name) for name in LATENESS_INPUTS}, now=timezone.now()
        )
        return lateness(late_by)


class EventKind(models.TextChoices):
    STATUS_CHANGE = "status_change", "Status change"
    LATE = "late", "Late"
    PROOF = "proof", "Proof"
    NOTE = "note", "Note"


class DeliveryEvent(models.Model):
    """One thing that happened to a delivery: a status change (its creation included),
    its becoming late, … (``kind``). Append-only."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(
        max_length=16,
        choices=EventKind,
        default=EventKind.STATUS_CHANGE,
        db_default=EventKind.STATUS_CHANGE,
    )
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
        constraints = [
            models.UniqueConstraint(
                fields=["delivery"], condition=Q(kind=EventKind.LATE), name="event_one_late"
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
