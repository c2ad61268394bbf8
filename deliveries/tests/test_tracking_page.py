"""``/track/{code}/``: public tracking as a page for people, through Django's test client
(``test_browser_tracking.py`` looks at it in Chromium)."""

import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.dateformat import format as date_format
from rest_framework.throttling import SimpleRateThrottle

from deliveries.models import DeliveryEvent, DeliveryStatus, EventKind
from deliveries.tests.factories import (
    PRIVATE_DETAILS,
    DeliveryFactory,
    delivery_on_its_way,
    private_strings,
)
from deliveries.tracking_page import (
    EVENT_WORDS,
    NOT_FOUND_TEXT,
    NOT_FOUND_TITLE,
    RUNNING_LATE,
    STATUS_CHANGE_WORDS,
    STATUS_WORDS,
    THROTTLED_TEXT,
    THROTTLED_TITLE,
)
from locations.tests.factories import LocationPointFactory
from services.deliveries import (
    deliveries_mark_late,
)
from services.locations import delivery_eta_time

pytestmark = pytest.mark.django_db

DESTINATION = (51.9244, 4.4777)  # Rotterdam
POSITION = (52.3676, 4.9041)  # Amsterdam, where the driver is
PRIVATE_NOTE = PRIVATE_DETAILS["notes"]


def page_url(code: str) -> str:
    return f"/track/{code}/"


class _Text(HTMLParser):
    """The text a person reads in a page's body, one space between words."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._in_body = False

    def handle_starttag(self, tag, attrs) -> None:
        self._in_body = self._in_body or tag == "body"

    def handle_data(self, data) -> None:
        if self._in_body:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def history(html: str) -> list[tuple[str, str]]:
    """Each event as the page lists it: (what, when)."""
    items = re.findall(
        r'<span class="what">([^<]*)</span>\s*<time class="when" datetime="[^"]+">([^<]*)</time>',
        html,
    )
    return [(unescape(what), unescape(when)) for what, when in items]


def status_words(html: str) -> str:
    found = re.search(r'<span class="status-words">([^<]*)</span>', html)
    assert found is not None, html
    return unescape(found.group(1))


def shown(value: dt.datetime, pattern: str) -> str:
    """``value`` as the page writes it (Django's date format), in the server's zone."""
    return date_format(timezone.localtime(value), pattern)


def get_page(code: str, **headers) -> tuple[int, str]:
    response = Client().get(page_url(code), headers=headers)
    assert response["Content-Type"] == "text/html; charset=utf-8"
    return response.status_code, response.content.decode()


@pytest.fixture
def window():
    """Tomorrow from 14:00 to 16:00 UTC."""
    start = (timezone.now() + dt.timedelta(days=1)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    return start, start + dt.timedelta(hours=2)


@pytest.fixture
def on_its_way(dispatcher, window):
    """Started through the services with a window, a destination and private details;
    its driver's position is known: it has an ETA."""
    delivery = delivery_on_its_way(
        actor=dispatcher,
        scheduled_for=window[0],
        window_start=window[0],
        window_end=window[1],
        destination_lat=DESTINATION[0],
        destination_lng=DESTINATION[1],
    )
    LocationPointFactory(driver=delivery.driver, lat=POSITION[0], lng=POSITION[1], speed_kmh=42.5)
    return delivery


def test_the_page_shows_the_status_window_eta_and_history(on_its_way, window):
    status, html = get_page(on_its_way.tracking_code)

    assert status == 200
    assert status_words(html) == "On its way"
    text = visible_text(html)
    assert f"Your delivery {on_its_way.tracking_code}" in text
    start, end = window
    assert f"Delivery window {shown(start, 'l j F Y')}, between 14:00 and 16:00 UTC" in text
    eta = delivery_eta_time(delivery=on_its_way)
    assert f"Expected arrival About {shown(eta, 'H:i')} UTC on {shown(eta, 'l j F')}" in text
    events = list(on_its_way.events.order_by("-at", "-id"))
    assert history(html) == [
        (STATUS_CHANGE_WORDS[event.to_status], shown(event.at, "D j M Y, H:i") + " UTC")
        for event in events
    ]
    assert [what for what, _ in history(html)] == [
        "On its way",
        "Planned for delivery",
        "Order received",
    ]
    assert "Times are shown in UTC." in text


def test_times_are_shown_in_the_servers_time_zone_which_the_page_names(
    settings, on_its_way, window
):
    settings.TIME_ZONE = "Europe/Amsterdam"
    amsterdam = [moment.astimezone(ZoneInfo("Europe/Amsterdam")) for moment in window]

    text = visible_text(get_page(on_its_way.tracking_code)[1])

    start, end = (moment.strftime("%H:%M") for moment in amsterdam)
    assert f"between {start} and {end} {amsterdam[1].strftime('%Z')}" in text
    assert "Times are shown in Europe/Amsterdam." in text


@pytest.mark.parametrize("status", list(DeliveryStatus))
def test_every_status_is_in_words(status):
    delivery = DeliveryFactory(**({} if status == "pending" else {status: True}))

    html = get_page(delivery.tracking_code)[1]

    assert status_words(html) == STATUS_WORDS[status][0]
    assert STATUS_WORDS[status][1] in visible_text(html)


def test_a_delivery_without_a_window_shows_when_it_is_planned_and_no_eta():
    delivery = DeliveryFactory(assigned=True)

    text = visible_text(get_page(delivery.tracking_code)[1])

    assert f"Planned for {shown(delivery.scheduled_for, 'l j F Y, H:i')} UTC" in text
    assert "Delivery window" not in text
    assert "Expected arrival" not in text


def test_late_proof_and_note_events_are_in_words(on_its_way):
    on_its_way.window_start = timezone.now() - dt.timedelta(hours=3)
    on_its_way.window_end = timezone.now() - dt.timedelta(hours=1)
    on_its_way.save(update_fields=["window_start", "window_end"])
    assert deliveries_mark_late() == 1
    for kind in (EventKind.PROOF, EventKind.NOTE):
        DeliveryEvent.objects.create(
            delivery=on_its_way,
            kind=kind,
            from_status=on_its_way.status,
            to_status=on_its_way.status,
            at=timezone.now(),
            note=PRIVATE_NOTE,
        )

    html = get_page(on_its_way.tracking_code)[1]

    assert [what for what, _ in history(html)][:3] == [
        EVENT_WORDS[EventKind.NOTE],
        EVENT_WORDS[EventKind.PROOF],
        EVENT_WORDS[EventKind.LATE],
    ]
    assert RUNNING_LATE in visible_text(html)
    assert PRIVATE_NOTE not in html


def test_a_delivery_on_time_is_not_said_to_be_late(on_its_way):
    assert RUNNING_LATE not in get_page(on_its_way.tracking_code)[1]


def test_the_page_reveals_no_personal_data_nor_positions(on_its_way):
    html = get_page(on_its_way.tracking_code)[1].replace(on_its_way.tracking_code, "")
    # Machine-readable times carry seconds and microseconds, which could spell a number.
    html = re.sub(r'datetime="[^"]*"', "", html)

    for secret in [
        *private_strings(on_its_way),
        *(str(number) for number in (*DESTINATION, *POSITION)),
        *(f"{number:.2f}" for number in (*DESTINATION, *POSITION)),
        "km",
    ]:
        assert secret.lower() not in html.lower(), secret


def test_a_lower_case_code_finds_the_delivery(on_its_way):
    status, html = get_page(on_its_way.tracking_code.lower())

    assert status == 200
    assert status_words(html) == "On its way"


@pytest.mark.parametrize(
    "code", ["LTNOSUCHCODE99", "LT23456789ABCD", "nope", "<b>bold</b>", "a/b/c", "%00", "x" * 300]
)
def test_an_unknown_or_malformed_code_is_a_friendly_404_page(on_its_way, code):
    status, html = get_page(code, accept="application/json")

    assert status == 404
    assert '<html lang="en">' in html
    assert f"<h1>{NOT_FOUND_TITLE}</h1>" in html
    text = visible_text(html)
    assert NOT_FOUND_TEXT in text
    assert "<b>" not in html  # what was typed is shown as text, never as markup
    assert "x" * 41 not in html  # nor at any length
    assert on_its_way.tracking_code not in html
    assert "Back to the LogiTrack start page" in text


def test_the_page_and_the_404_page_look_alike(on_its_way):
    found = get_page(on_its_way.tracking_code)[1]
    missing = get_page("LTNOSUCHCODE99")[1]

    style = re.compile(r"<style>.*?</style>", re.S)
    assert style.search(found).group() == style.search(missing).group()


def test_the_page_is_throttled_with_the_api(on_its_way):
    allowed, _ = SimpleRateThrottle.parse_rate(
        None, settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["track"]
    )
    client = Client()
    # The JSON and the page share one budget: a guesser gains nothing by alternating.
    statuses = [client.get(f"/api/v1/track/LTGUESS{n}/").status_code for n in range(allowed - 1)]
    statuses.append(client.get(page_url(on_its_way.tracking_code)).status_code)

    refused = client.get(page_url(on_its_way.tracking_code))

    assert statuses == [404] * (allowed - 1) + [200]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "text/html; charset=utf-8"
    assert int(refused["Retry-After"]) > 0
    html = refused.content.decode()
    assert f"<h1>{THROTTLED_TITLE}</h1>" in html
    assert THROTTLED_TEXT in visible_text(html)
    assert client.get(f"/api/v1/track/{on_its_way.tracking_code}/").status_code == 429


def test_the_page_costs_three_queries(on_its_way, django_assert_num_queries):
    with django_assert_num_queries(3):  # the delivery, its events, its driver's positions
        assert get_page(on_its_way.tracking_code)[0] == 200


def test_the_page_refuses_writes(on_its_way):
    response = Client().post(page_url(on_its_way.tracking_code))

    assert response.status_code == 405
    assert response["Content-Type"] == "text/html; charset=utf-8"
