from django.db.models import Prefetch, QuerySet

from deliveries.models import Delivery, DeliveryEvent
from logitrack.permissions import is_staff_user
from users.models import User


def delivery_list(*, user: User) -> QuerySet[Delivery]:
    """The deliveries ``user`` may see (staff: all; a driver: their own), with vehicle
    and driver joined so a page costs one query whatever its size."""
    qs = Delivery.objects.select_related("vehicle", "driver").order_by("-created_at", "-id")
    if not is_staff_user(user):
        qs = qs.filter(driver=user)
    return qs


def delivery_event_list(*, delivery: Delivery) -> QuerySet[DeliveryEvent]:
    return delivery.events.select_related("actor").order_by("at", "id")


def delivery_get_public(*, tracking_code: str) -> Delivery | None:
    """The delivery behind a public tracking code, with its status history."""
    return (
        Delivery.objects.filter(tracking_code=tracking_code.strip().upper())
        .only("tracking_code", "status", "scheduled_for", "delivered_at")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=DeliveryEvent.objects.only("delivery_id", "to_status", "at").order_by(
                    "at", "id"
                ),
            )
        )
        .first()
    )
