from decimal import Decimal

import pytest

from deliveries.models import Delivery
from fleet.tests.factories import VehicleFactory


@pytest.fixture
def vehicle(db):
    """An available van that carries 100 kg."""
    return VehicleFactory(capacity_kg=Decimal("100.00"))


@pytest.fixture
def stored_state():
    """``stored_state(delivery)``: the delivery as stored, with the length of its history."""

    def take(delivery: Delivery) -> dict:
        row = Delivery.objects.values(
            "status",
            "vehicle_id",
            "driver_id",
            "weight_kg",
            "notes",
            "failure_reason",
            "delivered_at",
            "updated_at",
        ).get(pk=delivery.pk)
        return {**row, "events": delivery.events.count()}

    return take
