import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import ERROR, get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.models import VehicleType
from fleet.tests.factories import VehicleFactory
from services.deliveries import delivery_create
from services.exceptions import (
    DeliveryNotDeletable,
    DriverNotADriver,
    InvalidTimeWindow,
    VehicleInMaintenance,
    VehicleOutOfService,
    VehicleOverCapacity,
    VehicleRequired,
)
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The inline of events posts an (empty) management form with the delivery.
NO_EVENT_ROWS = {"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}


@pytest.fixture
def staff_client(client, dispatcher):
    client.force_login(dispatcher)
    return client


def changelist_url() -> str:
    return reverse("admin:deliveries_delivery_changelist")


def add_url() -> str:
    return reverse("admin:deliveries_delivery_add")


def change_url(delivery: Delivery) -> str:
    return reverse("admin:deliveries_delivery_change", args=[delivery.pk])


def delivery_form(**overrides) -> dict:
    data = {
        "recipient_name": "Ada Lovelace",
        "recipient_phone": "+31201234567",
        "recipient_email": "ada@example.com",
        "origin_address": "1 Depot Road",
        "destination_address": "2 High Street",
        "scheduled_for_0": "2030-01-15",
        "scheduled_for_1": "09:30:00",
        "weight_kg": "10.00",
        "notes": "",
        "vehicle": "",
        "driver": "",
    }
    for name, value in overrides.items():
        data[name] = "" if value is None else str(getattr(value, "pk", value))
    return data


def change_form(delivery: Delivery, **overrides) -> dict:
    """The change form as the page would post it back, with ``overrides``."""
    current = {
        "recipient_name": delivery.recipient_name,
        "weight_kg": delivery.weight_kg,
        "vehicle": delivery.vehicle,
        "driver": delivery.driver,
    }
    return {**delivery_form(**{**current, **overrides}), **NO_EVENT_ROWS}


def form_errors(response, field: str | None) -> list[tuple[str, str]]:
    """``(code, message)`` of each error the re-displayed form shows on ``field``."""
    form = response.context["adminform"].form
    errors = form.errors.as_data().get(field or "__all__", [])
    return [(error.code, message) for error in errors for message in error.messages]


def messages_of(response) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in get_messages(response.wsgi_request)]


def assert_shown(response, message: str) -> None:
    assert escape(message) in response.content.decode()


# Access -------------------------------------------------------------------------------


def test_dispatcher_can_open_the_delivery_pages(staff_client, dispatcher):
    delivery = delivery_create(
        actor=dispatcher,
        origin_address="a",
        destination_address="b",
        recipient_name="c",
        weight_kg=Decimal("1.00"),
        scheduled_for=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )

    assert staff_client.get(changelist_url()).status_code == 200
    assert staff_client.get(add_url()).status_code == 200
    assert staff_client.get(change_url(delivery)).status_code == 200


def test_driver_is_sent_to_the_login_page(client, driver):
    client.force_login(driver)

    response = client.get(changelist_url())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# List ---------------------------------------------------------------------------------


def test_list_filters_by_status_and_vehicle_type(staff_client):
    pending = DeliveryFactory()
    by_truck = DeliveryFactory(
        assigned=True, vehicle=VehicleFactory(vehicle_type=VehicleType.TRUCK)
    )
    DeliveryFactory(assigned=True)

    by_status = staff_client.get(changelist_url(), {"status__exact": DeliveryStatus.PENDING})
    by_type = staff_client.get(
        changelist_url(), {"vehicle__vehicle_type__exact": VehicleType.TRUCK}
    )

    assert list(by_status.context["cl"].result_list) == [pending]
    assert list(by_type.context["cl"].result_list) == [by_truck]


def test_list_filters_by_scheduled_date(staff_client):
    today = DeliveryFactory(scheduled_for=timezone.now())
    DeliveryFactory(scheduled_for=timezone.now() + dt.timedelta(days=2))
    page = staff_client.get(changelist_url())
    changelist = page.context["cl"]
    date_filter = next(f for f in changelist.filter_specs if f.field_path == "scheduled_for")
    today_link = next(c for c in date_filter.choices(changelist) if c["display"] == "Today")

    response = staff_client.get(changelist_url() + today_link["query_string"])

    assert list(response.context["cl"].result_list) == [today]


def test_list_searches_tracking_code_and_recipient(staff_client):
    wanted = DeliveryFactory(recipient_name="Grace Hopper")
    other = DeliveryFactory(recipient_name="Alan Turing")

    by_name = staff_client.get(changelist_url(), {"q": "hopper"})
    by_code = staff_client.get(changelist_url(), {"q": other.tracking_code})

    assert list(by_name.context["cl"].result_list) == [wanted]
    assert list(by_code.context["cl"].result_list) == [other]


def test_list_query_count_does_not_grow_with_the_rows(staff_client):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(changelist_url())
        assert response.status_code == 200
        return len(queries)

    DeliveryFactory.create_batch(2, assigned=True)
    few = count_queries()
    DeliveryFactory.create_batch(8, assigned=True)
    many = count_queries()

    assert many == few


def test_driver_autocomplete_offers_only_active_drivers(staff_client, driver, admin_user):
    UserFactory(inactive=True, username="gone")

    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "deliveries", "model_name": "delivery", "field_name": "driver", "term": ""},
    )

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(driver.pk)]


# Add ----------------------------------------------------------------------------------


def test_add_form_creates_a_pending_delivery_with_its_event(staff_client, dispatcher):
    response = staff_client.post(add_url(), delivery_form())

    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.recipient_name == "Ada Lovelace"
    assert delivery.scheduled_for == dt.datetime(2030, 1, 15, 9, 30, tzinfo=dt.UTC)
    event = delivery.events.get()
    assert (event.from_status, event.to_status, event.actor) == (
        "",
        DeliveryStatus.PENDING,
        dispatcher,
    )


def test_add_form_with_a_vehicle_assigns_the_delivery(staff_client, driver):
    vehicle = VehicleFactory()

    response = staff_client.post(add_url(), delivery_form(vehicle=vehicle, driver=driver))

    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.ASSIGNED
    assert (delivery.vehicle, delivery.driver) == (vehicle, driver)
    assert list(delivery.events.values_list("to_status", flat=True)) == [
        DeliveryStatus.PENDING,
        DeliveryStatus.ASSIGNED,
    ]


def test_add_form_shows_that_the_vehicle_is_in_maintenance(staff_client, driver):
    vehicle = VehicleFactory(in_maintenance=True)

    response = staff_client.post(add_url(), delivery_form(vehicle=vehicle, driver=driver))

    assert response.status_code == 200
    message = VehicleInMaintenance(plate=vehicle.plate_number).detail
    assert form_errors(response, "vehicle") == [(VehicleInMaintenance.code, message)]
    assert_shown(response, message)
    assert not Delivery.objects.exists()
    assert not DeliveryEvent.objects.exists()


def test_add_form_shows_that_the_vehicle_is_out_of_service(staff_client):
    vehicle = VehicleFactory(out_of_service=True)

    response = staff_client.post(add_url(), delivery_form(vehicle=vehicle))

    assert response.status_code == 200
    message = VehicleOutOfService(plate=vehicle.plate_number).detail
    assert form_errors(response, "vehicle") == [(VehicleOutOfService.code, message)]
    assert not Delivery.objects.exists()


def test_add_form_shows_that_the_vehicle_is_over_capacity(staff_client):
    vehicle = VehicleFactory(capacity_kg=Decimal("100.00"))

    response = staff_client.post(add_url(), delivery_form(vehicle=vehicle, weight_kg="150.00"))

    assert response.status_code == 200
    message = VehicleOverCapacity(
        plate=vehicle.plate_number,
        capacity=Decimal("100.00"),
        load=Decimal("0.00"),
        weight=Decimal("150.00"),
    ).detail
    assert form_errors(response, "vehicle") == [(VehicleOverCapacity.code, message)]
    assert_shown(response, message)
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("who", ["dispatcher", "inactive driver"])
def test_add_form_shows_that_the_driver_is_not_a_driver(staff_client, dispatcher, who):
    not_a_driver = dispatcher if who == "dispatcher" else UserFactory(inactive=True)

    response = staff_client.post(
        add_url(), delivery_form(vehicle=VehicleFactory(), driver=not_a_driver)
    )

    assert response.status_code == 200
    message = DriverNotADriver(username=not_a_driver.username).detail
    assert form_errors(response, "driver") == [(DriverNotADriver.code, message)]
    assert_shown(response, message)
    assert not Delivery.objects.exists()


def test_add_form_refuses_a_driver_without_a_vehicle(staff_client, driver):
    response = staff_client.post(add_url(), delivery_form(driver=driver))

    assert response.status_code == 200
    assert form_errors(response, "vehicle") == [(VehicleRequired.code, VehicleRequired().detail)]
    assert not Delivery.objects.exists()


# Change -------------------------------------------------------------------------------


def test_change_form_assigns_a_pending_delivery(staff_client, driver, dispatcher):
    delivery = DeliveryFactory()
    vehicle = VehicleFactory()

    response = staff_client.post(
        change_url(delivery), change_form(delivery, vehicle=vehicle, driver=driver)
    )

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ASSIGNED
    assert (delivery.vehicle, delivery.driver) == (vehicle, driver)
    event = delivery.events.get()
    assert (event.to_status, event.actor) == (DeliveryStatus.ASSIGNED, dispatcher)


def test_change_form_keeps_the_assignment_when_other_fields_change(staff_client):
    delivery = DeliveryFactory(assigned=True)

    response = staff_client.post(change_url(delivery), change_form(delivery, notes="Ring twice"))

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.notes == "Ring twice"
    assert delivery.status == DeliveryStatus.ASSIGNED
    assert not delivery.events.exists()


def test_change_form_unassigns_when_vehicle_and_driver_are_cleared(staff_client):
    delivery = DeliveryFactory(assigned=True)

    response = staff_client.post(
        change_url(delivery), change_form(delivery, vehicle=None, driver=None)
    )

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert (delivery.vehicle, delivery.driver) == (None, None)
    assert delivery.events.get().to_status == DeliveryStatus.PENDING


def test_change_form_shows_that_the_vehicle_is_in_maintenance(staff_client, driver):
    delivery = DeliveryFactory(notes="Before")
    vehicle = VehicleFactory(in_maintenance=True)

    response = staff_client.post(
        change_url(delivery),
        change_form(delivery, vehicle=vehicle, driver=driver, notes="After"),
    )

    assert response.status_code == 200
    message = VehicleInMaintenance(plate=vehicle.plate_number).detail
    assert form_errors(response, "vehicle") == [(VehicleInMaintenance.code, message)]
    assert_shown(response, message)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.vehicle is None
    assert delivery.notes == "Before"
    assert not delivery.events.exists()


def test_change_form_shows_that_a_new_weight_is_over_capacity(staff_client):
    delivery = DeliveryFactory(assigned=True, vehicle=VehicleFactory(capacity_kg=Decimal("100.00")))

    response = staff_client.post(change_url(delivery), change_form(delivery, weight_kg="150.00"))

    assert response.status_code == 200
    message = VehicleOverCapacity(
        plate=delivery.vehicle.plate_number,
        capacity=Decimal("100.00"),
        load=Decimal("0.00"),
        weight=Decimal("150.00"),
    ).detail
    assert form_errors(response, "vehicle") == [(VehicleOverCapacity.code, message)]
    delivery.refresh_from_db()
    assert delivery.weight_kg == Decimal("10.00")


def test_change_form_shows_that_the_driver_is_not_a_driver(staff_client, dispatcher):
    delivery = DeliveryFactory(assigned=True)
    driver = delivery.driver

    response = staff_client.post(change_url(delivery), change_form(delivery, driver=dispatcher))

    assert response.status_code == 200
    message = DriverNotADriver(username=dispatcher.username).detail
    assert form_errors(response, "driver") == [(DriverNotADriver.code, message)]
    delivery.refresh_from_db()
    assert delivery.driver == driver


def test_a_form_shown_again_leaves_nothing_behind(staff_client, driver):
    """The form is re-displayed when the page's inline data is missing: the assignment
    the form's own validation made is rolled back with it."""
    delivery = DeliveryFactory()
    data = change_form(delivery, vehicle=VehicleFactory(), driver=driver)
    for name in NO_EVENT_ROWS:
        del data[name]

    response = staff_client.post(change_url(delivery), data)

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.vehicle is None
    assert not delivery.events.exists()


@pytest.mark.parametrize("status", ["in_transit", "delivered", "failed"])
def test_deliveries_past_assignment_are_read_only(staff_client, status):
    delivery = DeliveryFactory(**{status: True})

    page = staff_client.get(change_url(delivery))
    response = staff_client.post(change_url(delivery), change_form(delivery, notes="Changed"))

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.notes == ""


def test_events_are_shown_read_only(staff_client, dispatcher, driver):
    delivery = delivery_create(
        actor=dispatcher,
        vehicle=VehicleFactory(),
        driver=driver,
        origin_address="a",
        destination_address="b",
        recipient_name="c",
        weight_kg=Decimal("1.00"),
        scheduled_for=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    first, second = delivery.events.all()

    page = staff_client.get(change_url(delivery))
    response = staff_client.post(
        change_url(delivery),
        {
            **change_form(delivery),
            "events-TOTAL_FORMS": "3",
            "events-INITIAL_FORMS": "2",
            "events-0-id": str(first.pk),
            "events-0-note": "Rewritten",
            "events-0-DELETE": "on",
            "events-1-id": str(second.pk),
            "events-2-note": "Invented",
            "events-2-to_status": DeliveryStatus.DELIVERED,
        },
    )

    inline = page.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    assert_shown(page, second.note)
    assert response.status_code == 302
    assert list(delivery.events.values_list("pk", "note")) == [
        (first.pk, first.note),
        (second.pk, second.note),
    ]


# Delete -------------------------------------------------------------------------------


def test_delete_removes_a_pending_delivery(staff_client):
    delivery = DeliveryFactory()

    response = staff_client.post(
        reverse("admin:deliveries_delivery_delete", args=[delivery.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Delivery.objects.filter(pk=delivery.pk).exists()


def test_delete_reports_a_delivery_that_may_not_be_deleted(staff_client):
    delivery = DeliveryFactory(in_transit=True)

    response = staff_client.post(
        reverse("admin:deliveries_delivery_delete", args=[delivery.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(delivery)
    assert Delivery.objects.filter(pk=delivery.pk).exists()
    assert messages_of(response) == [
        (ERROR, DeliveryNotDeletable(status=DeliveryStatus.IN_TRANSIT.value).detail)
    ]


def test_bulk_delete_is_not_offered(staff_client):
    delivery = DeliveryFactory()

    staff_client.post(
        changelist_url(),
        {"action": "delete_selected", "_selected_action": [delivery.pk], "post": "yes"},
    )

    assert Delivery.objects.filter(pk=delivery.pk).exists()


@pytest.mark.parametrize(
    "window",
    [
        {"window_start_0": "2030-01-01", "window_start_1": "09:00:00"},
        {
            "window_start_0": "2030-01-01",
            "window_start_1": "11:00:00",
            "window_end_0": "2030-01-01",
            "window_end_1": "09:00:00",
        },
    ],
)
def test_add_form_shows_that_the_time_window_is_invalid(staff_client, window):
    response = staff_client.post(add_url(), delivery_form(**window))

    assert response.status_code == 200
    assert form_errors(response, None) == [(InvalidTimeWindow.code, InvalidTimeWindow().detail)]
    assert not Delivery.objects.exists()


def test_add_form_saves_the_time_window(staff_client):
    window = {
        "window_start_0": "2030-01-01",
        "window_start_1": "09:00:00",
        "window_end_0": "2030-01-01",
        "window_end_1": "11:00:00",
    }

    response = staff_client.post(add_url(), delivery_form(**window))

    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.window_end - delivery.window_start == dt.timedelta(hours=2)
