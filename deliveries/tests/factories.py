import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus
from fleet.tests.factories import VehicleFactory
from users.tests.factories import UserFactory


class DeliveryFactory(factory.django.DjangoModelFactory[Delivery]):
    """A pending delivery; traits ``assigned``, ``in_transit``, ``delivered``, ``failed``,
    ``cancelled`` set the status with a vehicle and driver (fixtures, no events)."""

    class Meta:
        model = Delivery

    origin_address = factory.Faker("address")
    destination_address = factory.Faker("address")
    recipient_name = factory.Faker("name")
    recipient_phone = "+31201234567"
    recipient_email = factory.Faker("email")
    weight_kg = Decimal("10.00")
    scheduled_for = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))

    class Params:
        with_crew = factory.Trait(
            vehicle=factory.SubFactory(VehicleFactory), driver=factory.SubFactory(UserFactory)
        )
        assigned = factory.Trait(with_crew=True, status=DeliveryStatus.ASSIGNED)
        in_transit = factory.Trait(with_crew=True, status=DeliveryStatus.IN_TRANSIT)
        delivered = factory.Trait(
            with_crew=True,
            status=DeliveryStatus.DELIVERED,
            delivered_at=factory.LazyFunction(timezone.now),
        )
        failed = factory.Trait(
            with_crew=True, status=DeliveryStatus.FAILED, failure_reason="Nobody home"
        )
        cancelled = factory.Trait(status=DeliveryStatus.CANCELLED)


def delivery_body(**overrides) -> dict:
    """A valid body of ``POST /api/v1/deliveries/`` (JSON values), with ``overrides``."""
    return {
        "origin_address": "Depot 1",
        "destination_address": "Main Street 2",
        "recipient_name": "Ann Smith",
        "weight_kg": "5.00",
        "scheduled_for": "2030-01-01T10:00:00Z",  # fixed: the same body twice is identical
        **overrides,
    }
