"""A demo driver in Swagger UI, in Chromium: signs in, authorizes, starts the delivery of
today's round that needs a photo, is refused ``complete/`` without it, uploads one and
completes it."""

import json

import pytest
from PIL import Image

from demo.accounts import DEMO_DRIVER_PASSWORD
from logitrack.tests.browser import browser_tests
from logitrack.tests.test_browser_docs import execute, operation

pytestmark = browser_tests()

DRIVER = "driver1"


@pytest.fixture(scope="module")
def photo_delivery(demo_server) -> dict:
    """driver1's assigned delivery of today's round that needs a photo, found through the
    API with the driver's own token."""
    server = demo_server.server
    signed_in = server.request(
        "POST",
        "/api/v1/auth/token/",
        data={"username": DRIVER, "password": DEMO_DRIVER_PASSWORD},
    )
    assert signed_in.status == 200, signed_in.body
    found = server.request(
        "GET", "/api/v1/deliveries/?status=assigned", token=signed_in.body["access"]
    )
    assert found.status == 200, found.body
    needing_photo = [d for d in found.body["results"] if d["proof_required"] == ["photo"]]
    assert needing_photo, f"{DRIVER} has no assigned delivery needing a photo"
    return needing_photo[0]


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "doorstep.jpg"
    Image.new("RGB", (64, 48), "green").save(path, format="JPEG")
    return path


def sign_in_as_driver(page) -> None:
    block = operation(page, "post", "/api/v1/auth/token/")
    block.locator("textarea.body-param__text").fill(
        json.dumps({"username": DRIVER, "password": DEMO_DRIVER_PASSWORD})
    )
    status, body = execute(block)
    assert status == "200", body
    access = json.loads(body)["access"]
    block.locator(".opblock-summary").click()

    page.locator(".auth-wrapper .authorize").click()
    bearer = page.locator(".modal-ux .auth-container").filter(has_text="jwtAuth")
    bearer.locator("input").fill(access)
    bearer.locator("button.authorize").click()
    assert bearer.get_by_text("Authorized").is_visible()
    bearer.locator("button.btn-done").click()


def reopen(page, action: str):
    """An operation's block tried once already: opened again, still in "Try it out",
    its last answer cleared."""
    block = page.locator(".opblock-post").filter(
        has=page.locator(f'.opblock-summary-path[data-path="/api/v1/deliveries/{{id}}/{action}/"]')
    )
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Clear").click()
    return block


def run(page, screenshot, action: str, delivery_id: int, name: str, *, setup=None, again=False):
    """Opens ``POST /api/v1/deliveries/{id}/<action>/``, fills the id (and whatever
    ``setup`` fills), executes it, closes it again; its status and body."""
    path = f"/api/v1/deliveries/{{id}}/{action}/"
    block = reopen(page, action) if again else operation(page, "post", path)
    block.locator('input[placeholder="id"]').fill(str(delivery_id))
    if setup is not None:
        setup(block)
    status, body = execute(block)
    block.locator(".live-responses-table").scroll_into_view_if_needed()
    screenshot(page, name, full_page=False)
    block.locator(".opblock-summary").click()
    return status, body


def test_a_driver_completes_a_delivery_with_a_photo_in_swagger_ui(
    demo_server, photo_delivery, photo, open_page, screenshot
):
    watched = open_page()
    page = watched.page
    page.goto(demo_server.url("/api/docs/"))
    sign_in_as_driver(page)
    delivery_id = photo_delivery["id"]

    status, body = run(page, screenshot, "start", delivery_id, "started")
    assert status == "200", body
    assert json.loads(body)["status"] == "in_transit"

    status, body = run(page, screenshot, "complete", delivery_id, "refused-without-photo")
    assert status == "400", body
    assert "proof_required" in body

    def attach_photo(block) -> None:
        block.locator('tr[data-property-name="photo"] input[type="file"]').set_input_files(photo)
        # Swagger UI fills number fields with 0: cleared, so no place at 0° 0° is sent.
        for coordinate in ("lat", "lng"):
            block.locator(f'tr[data-property-name="{coordinate}"] input[type="text"]').fill("")

    status, body = run(
        page, screenshot, "proofs", delivery_id, "photo-uploaded", setup=attach_photo
    )
    assert status == "201", body
    proof = json.loads(body)
    assert (proof["kind"], proof["lat"], proof["lng"]) == ("photo", None, None)

    status, body = run(page, screenshot, "complete", delivery_id, "delivered", again=True)
    assert status == "200", body
    assert json.loads(body)["status"] == "delivered"

    refused = f"400 {demo_server.url(f'/api/v1/deliveries/{delivery_id}/complete/')}"
    assert watched.failed_responses == [refused]
    assert watched.problems(expected_answers=(refused,)) == []
