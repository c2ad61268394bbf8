import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus
from fleet.tests.factories import VehicleFactory
from services.deliveries import delivery_assign, delivery_create, delivery_start
from users.models import User
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


# Who sends, receives and carries a delivery, and where: never for the public to read.
PRIVATE_DETAILS = {
    "origin_address": "Origin Street 12, Utrecht",
    "destination_address": "Destination Lane 34, Leiden",
    "recipient_name": "Rita Recipient",
    "recipient_phone": "+31688888888",
    "recipient_email": "rita.recipient@example.com",
    "notes": "Leave it with the neighbour at number 12",
}


def delivery_on_its_way(*, actor: User, **fields) -> Delivery:
    """A delivery with ``PRIVATE_DETAILS`` (and ``fields``) created, assigned and started
    through the services, so with its history; its driver has a name and a phone."""
    driver = UserFactory.create(
        username="tracked-driver", first_name="Dora", last_name="Driverson", phone="+31699999999"
    )
    delivery = delivery_create(
        actor=actor,
        weight_kg="4.00",
        **{"scheduled_for": timezone.now() + dt.timedelta(days=1), **PRIVATE_DETAILS, **fields},
    )
    delivery = delivery_assign(
        delivery=delivery, vehicle=VehicleFactory.create(), driver=driver, actor=actor
    )
    return delivery_start(delivery=delivery, actor=driver)


def private_strings(delivery: Delivery) -> list[str]:
    """What the public must never read of ``delivery``: its details, its driver's, its
    vehicle's plate."""
    driver = delivery.driver
    assert driver is not None and delivery.vehicle is not None
    return [
        *(str(getattr(delivery, name)) for name in PRIVATE_DETAILS),
        "Utrecht",
        "Leiden",
        driver.username,
        driver.first_name,
        driver.last_name,
        driver.phone,
        driver.email,
        delivery.vehicle.plate_number,
    ]
