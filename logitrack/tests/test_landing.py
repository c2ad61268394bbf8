"""The page at ``/`` and the favicon, through Django's test client (the browser tests in
``test_browser_landing.py`` look at them in Chromium)."""

import pytest
from django.test import Client

from deliveries.selectors import delivery_tracking_example
from deliveries.tests.factories import DeliveryFactory
from demo.fleet import DEMO_PLATE_PREFIX
from fleet.tests.factories import VehicleFactory

pytestmark = pytest.mark.django_db

STAFF_ONLY_NOTE = "The documentation on this server is for staff"


def landing_html() -> str:
    response = Client().get("/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    return response.content.decode()


def test_landing_page_links_the_docs_and_the_admin():
    html = landing_html()

    assert "<h1>LogiTrack</h1>" in html
    for href in ('href="/api/docs/"', 'href="/api/redoc/"', 'href="/api/schema/"'):
        assert href in html
    assert 'href="/admin/"' in html
    assert "/track/" not in html  # no demo data


def test_landing_page_links_a_demo_delivery_on_the_road():
    demo_van = VehicleFactory(plate_number=f"{DEMO_PLATE_PREFIX}0001")
    DeliveryFactory(delivered=True, vehicle=demo_van)
    on_the_road = DeliveryFactory(in_transit=True, vehicle=demo_van)
    DeliveryFactory(in_transit=True)  # not demo data: never shown

    html = landing_html()

    assert f'href="/track/{on_the_road.tracking_code}/"' in html
    assert f"Track demo delivery {on_the_road.tracking_code}" in html


def test_tracking_example_falls_back_to_any_demo_delivery_and_else_none():
    assert delivery_tracking_example(plate_prefix=DEMO_PLATE_PREFIX) is None
    DeliveryFactory(in_transit=True)
    assert delivery_tracking_example(plate_prefix=DEMO_PLATE_PREFIX) is None

    delivered = DeliveryFactory(
        delivered=True, vehicle=VehicleFactory(plate_number=f"{DEMO_PLATE_PREFIX}0002")
    )
    assert delivery_tracking_example(plate_prefix=DEMO_PLATE_PREFIX) == delivered.tracking_code


@pytest.mark.parametrize(("public", "noted"), [(True, False), (False, True)])
def test_landing_page_says_when_the_docs_are_for_staff(settings, public, noted):
    settings.API_DOCS_PUBLIC = public

    assert (STAFF_ONLY_NOTE in landing_html()) is noted


def test_landing_page_refuses_writes():
    assert Client().post("/").status_code == 405


def test_favicon_is_served_at_the_root():
    response = Client().get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"
