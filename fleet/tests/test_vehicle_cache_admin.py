"""Writes through the Django admin invalidate the cached vehicle reads and stats."""

import pytest
from django.urls import reverse

from fleet.models import VehicleStatus
from fleet.tests.factories import VehicleFactory

pytestmark = pytest.mark.django_db


def test_admin_change_and_action_show_on_the_next_api_read(
    client, dispatcher, dispatcher_client, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory(make="Ford")
    detail = f"/api/v1/vehicles/{vehicle.pk}/"
    assert dispatcher_client.get(detail).json()["make"] == "Ford"
    stats_before = dispatcher_client.get("/api/v1/stats/").json()["vehicles_by_status"]
    client.force_login(dispatcher)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:fleet_vehicle_change", args=[vehicle.pk]),
            {
                "plate_number": vehicle.plate_number,
                "make": "Volvo",
                "model": vehicle.model,
                "year": vehicle.year,
                "vehicle_type": vehicle.vehicle_type,
                "capacity_kg": vehicle.capacity_kg,
                "maintenance_records-TOTAL_FORMS": "0",
                "maintenance_records-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302
    assert dispatcher_client.get(detail).json()["make"] == "Volvo"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:fleet_vehicle_changelist"),
            {"action": "start_maintenance", "_selected_action": [vehicle.pk]},
        )
    assert dispatcher_client.get(detail).json()["status"] == VehicleStatus.IN_MAINTENANCE
    stats_after = dispatcher_client.get("/api/v1/stats/").json()["vehicles_by_status"]
    assert stats_after["in_maintenance"] == stats_before["in_maintenance"] + 1
