"""Swagger UI and ReDoc in Chromium: they load from this server alone, and a dispatcher
can sign in, authorize and try the API in Swagger UI as the README tells."""

import json

import pytest

from demo.accounts import DEMO_DISPATCHER_PASSWORD, DEMO_DISPATCHER_USERNAME
from logitrack.tests.browser import browser_tests

pytestmark = browser_tests()

TITLE = "LogiTrack API"


@pytest.fixture(scope="module")
def scene(demo_server) -> dict:
    """A pending demo delivery and a demo vehicle in maintenance, found through the API."""
    server = demo_server.server
    signed_in = server.request(
        "POST",
        "/api/v1/auth/token/",
        data={"username": DEMO_DISPATCHER_USERNAME, "password": DEMO_DISPATCHER_PASSWORD},
    )
    assert signed_in.status == 200, signed_in.body
    token = signed_in.body["access"]
    vehicles = server.request("GET", "/api/v1/vehicles/?status=in_maintenance", token=token)
    deliveries = server.request("GET", "/api/v1/deliveries/?status=pending", token=token)
    assert vehicles.body["results"], "the demo data has no vehicle in maintenance"
    assert deliveries.body["results"], "the demo data has no pending delivery"
    return {"vehicle": vehicles.body["results"][0], "delivery": deliveries.body["results"][0]}


def operation(page, method: str, path: str):
    """An operation's block in Swagger UI, opened, with "Try it out" pressed."""
    block = page.locator(f".opblock-{method}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
    )
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    return block


def execute(block) -> tuple[str, str]:
    """Presses Execute; the status and the body Swagger UI shows in its response panel."""
    block.get_by_role("button", name="Execute").click()
    live = block.locator(".live-responses-table")
    status = live.locator("tbody .response-col_status").first
    status.wait_for()
    body = live.locator("tbody .response-col_description .microlight").first
    return status.inner_text().strip(), body.inner_text()


def sign_in(page) -> None:
    block = operation(page, "post", "/api/v1/auth/token/")
    block.locator("textarea.body-param__text").fill(
        json.dumps({"username": DEMO_DISPATCHER_USERNAME, "password": DEMO_DISPATCHER_PASSWORD})
    )
    status, body = execute(block)
    assert status == "200", body
    access = json.loads(body)["access"]
    block.locator(".opblock-summary").click()  # closed again, as a person would

    page.locator(".auth-wrapper .authorize").click()
    # The dialog lists every scheme (API keys too); the token goes to the bearer one.
    bearer = page.locator(".modal-ux .auth-container").filter(has_text="jwtAuth")
    bearer.locator("input").fill(access)
    bearer.locator("button.authorize").click()  # "Authorize", labelled "Apply credentials"
    assert bearer.get_by_text("Authorized").is_visible()
    bearer.locator("button.btn-done").click()  # "Close"


def test_swagger_ui_signs_in_lists_and_is_refused_a_vehicle_in_maintenance(
    demo_server, scene, open_page, screenshot
):
    watched = open_page()
    page = watched.page
    page.goto(demo_server.url("/api/docs/"))
    assert TITLE in page.locator(".swagger-ui .info .title").inner_text()

    sign_in(page)
    listing = operation(page, "get", "/api/v1/deliveries/")
    status, body = execute(listing)
    assert status == "200", body
    assert json.loads(body)["results"]
    listing.locator(".live-responses-table").scroll_into_view_if_needed()
    screenshot(page, "deliveries-listed", full_page=False)

    assign = operation(page, "post", "/api/v1/deliveries/{id}/assign/")
    assign.locator('input[placeholder="id"]').fill(str(scene["delivery"]["id"]))
    assign.locator("textarea.body-param__text").fill(
        json.dumps({"vehicle_id": scene["vehicle"]["id"]})
    )
    status, body = execute(assign)
    assign.locator(".live-responses-table").scroll_into_view_if_needed()
    screenshot(page, "assignment-refused", full_page=False)
    assert status == "400", body
    assert [error["code"] for error in json.loads(body)["errors"]] == ["vehicle_in_maintenance"]
    assert scene["vehicle"]["plate_number"] in body
    assign_url = demo_server.url(f"/api/v1/deliveries/{scene['delivery']['id']}/assign/")
    refused = f"400 {assign_url}"
    assert watched.failed_responses == [refused]
    assert watched.problems(expected_answers=(refused,)) == []


def test_redoc_shows_the_api_and_its_operations_from_this_server_alone(
    demo_server, open_page, screenshot
):
    watched = open_page()
    page = watched.page
    page.goto(demo_server.url("/api/redoc/"))

    assert TITLE in page.locator("h1").first.inner_text()
    menu = page.locator(".menu-content")
    menu.get_by_text("deliveries", exact=True).click()
    assert menu.get_by_text("Assign to a vehicle and driver").is_visible()
    assert page.locator("h2", has_text="Sign in: get an access token and a refresh token").count()
    assert menu.get_by_text("API docs by Redocly").is_visible()
    screenshot(page, "redoc", full_page=False)
    assert watched.problems() == []
