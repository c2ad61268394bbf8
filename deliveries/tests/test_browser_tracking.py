"""The tracking page in Chromium, as a phone (360 px) and a desktop (1280 px) show it: a
demo delivery on its way with a window and an ETA, and the page for an unknown code."""

import datetime as dt

import pytest

from deliveries.tracking_page import NOT_FOUND_TEXT, NOT_FOUND_TITLE, STATUS_CHANGE_WORDS
from demo.accounts import (
    DEMO_DISPATCHER_PASSWORD,
    DEMO_DISPATCHER_USERNAME,
    DEMO_DRIVER_PASSWORD,
)
from logitrack.tests.accessibility import accessibility_problems
from logitrack.tests.browser import browser_tests

pytestmark = browser_tests()

ROTTERDAM = {"destination_lat": 51.9244, "destination_lng": 4.4777}
AMSTERDAM = {"lat": 52.3676, "lng": 4.9041}
UNKNOWN_CODE = "LTNOSUCHCODE99"


def _token(server, username: str, password: str) -> str:
    signed_in = server.request(
        "POST", "/api/v1/auth/token/", data={"username": username, "password": password}
    )
    assert signed_in.status == 200, signed_in.body
    return signed_in.body["access"]


@pytest.fixture(scope="module")
def on_its_way(demo_server) -> dict:
    """An assigned demo delivery given a window tomorrow from 14:00 to 16:00 UTC and a
    destination (through the API, as a dispatcher), then started and a position of its
    driver sent (as the driver): its page has all there is to show."""
    server = demo_server.server
    token = _token(server, DEMO_DISPATCHER_USERNAME, DEMO_DISPATCHER_PASSWORD)
    found = server.request("GET", "/api/v1/deliveries/?status=assigned", token=token)
    assert found.body["results"], "the demo data has no assigned delivery"
    delivery = found.body["results"][0]
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    window = {
        "window_start": start.isoformat(),
        "window_end": (start + dt.timedelta(hours=2)).isoformat(),
    }
    changed = server.request(
        "PATCH", f"/api/v1/deliveries/{delivery['id']}/", token=token, data=window | ROTTERDAM
    )
    assert changed.status == 200, changed.body
    driver = _token(server, delivery["driver"]["username"], DEMO_DRIVER_PASSWORD)
    started = server.request("POST", f"/api/v1/deliveries/{delivery['id']}/start/", token=driver)
    assert started.status == 200, started.body
    point = {**AMSTERDAM, "recorded_at": dt.datetime.now(dt.UTC).isoformat()}
    posted = server.request("POST", "/api/v1/locations/", token=driver, data={"points": [point]})
    assert posted.status == 202, posted.body
    return {**started.body, "start": start}


@pytest.mark.parametrize("width", [360, 1280])
def test_the_tracking_page_is_readable_and_accessible(
    demo_server, on_its_way, open_page, screenshot, width
):
    watched = open_page(width=width)
    page = watched.page
    page.goto(demo_server.url(f"/track/{on_its_way['tracking_code']}/"))

    assert page.locator("h1").inner_text() == f"Your delivery\n{on_its_way['tracking_code']}"
    assert page.locator(".status-words").inner_text() == "On its way"
    when = page.locator("dl").inner_text()
    day = on_its_way["start"].strftime("%A %-d %B %Y")
    assert f"Delivery window\n{day}, between 14:00 and 16:00 UTC" in when
    assert "Expected arrival\nAbout " in when
    history = page.locator(".history .what").all_inner_texts()
    assert history[0] == STATUS_CHANGE_WORDS["in_transit"]
    assert history[-1] == STATUS_CHANGE_WORDS["pending"]
    body = page.locator("body").inner_text()
    for private in ("Rotterdam", "51.92", "52.36", on_its_way["recipient_name"]):
        assert private not in body
    screenshot(page, f"{width}px")
    assert accessibility_problems(page) == []
    assert watched.problems() == []


@pytest.mark.parametrize("width", [360, 1280])
def test_an_unknown_code_gets_a_friendly_page(demo_server, open_page, screenshot, width):
    watched = open_page(width=width)
    page = watched.page
    url = demo_server.url(f"/track/{UNKNOWN_CODE}/")

    answer = page.goto(url)

    assert answer is not None and answer.status == 404
    assert page.locator("h1").inner_text() == NOT_FOUND_TITLE
    assert NOT_FOUND_TEXT in page.locator("main").inner_text()
    screenshot(page, f"not-found-{width}px")
    assert accessibility_problems(page) == []
    page.get_by_role("link", name="Back to the LogiTrack start page").click()
    page.wait_for_url(demo_server.url("/"))
    assert watched.problems(expected_answers=(f"404 {url}",)) == []
