"""``seed_demo`` gives the demo drivers a round for today that they can work through."""

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus
from demo.accounts import DEMO_DRIVER_PASSWORD
from demo.day import DAY_NOTE, PER_DRIVER

pytestmark = pytest.mark.django_db


def seed():
    call_command("seed_demo", vehicles=10, drivers=3, deliveries=60, no_progress=True)


def signed_in(username: str) -> APIClient:
    client = APIClient()
    answer = client.post(
        "/api/v1/auth/token/", {"username": username, "password": DEMO_DRIVER_PASSWORD}
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['access']}")
    return client


def test_each_demo_driver_has_a_round_for_the_coming_hours():
    seed()

    round_ = Delivery.objects.filter(notes=DAY_NOTE, driver__isnull=False)
    assert round_.count() == 3 * PER_DRIVER
    assert Delivery.objects.count() == 60  # the round is part of the deliveries asked for
    for username in ("driver1", "driver2", "driver3"):
        mine = signed_in(username).get("/api/v1/deliveries/?status=assigned&status=in_transit")
        theirs = [d for d in mine.json()["results"] if d["notes"] == DAY_NOTE]
        assert len(theirs) == PER_DRIVER, username
        assert all(d["window_start"] and d["destination_lat"] for d in theirs)
        assert not any(d["is_late"] for d in theirs)
        assert {tuple(d["proof_required"]) for d in theirs} == {
            (),
            ("photo",),
            ("photo", "signature"),
        }
    assert all(d.window_end > timezone.now() for d in round_)


def test_the_first_driver_is_on_the_road_with_an_eta():
    seed()

    on_the_road = Delivery.objects.get(notes=DAY_NOTE, status=DeliveryStatus.IN_TRANSIT)
    driver = signed_in(on_the_road.driver.username)
    eta = driver.get(f"/api/v1/deliveries/{on_the_road.pk}/eta/")

    assert on_the_road.driver.username == "driver1"
    assert eta.status_code == 200, eta.content
    assert eta.json()["distance_km"] > 0


def test_the_round_is_planned_once_and_e_mails_no_one(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    events = DeliveryEvent.objects.count()
    seed()

    assert DeliveryEvent.objects.count() == events
    assert mailoutbox == []
