"""The landing page in Chromium, as a phone (360 px) and a desktop (1280 px) show it."""

import re
from pathlib import Path

import pytest

from logitrack.tests.accessibility import accessibility_problems
from logitrack.tests.browser import browser_tests

pytestmark = browser_tests()

# Link text: its href, where the browser ends up, and what it shows there.
LINKS = {
    "Swagger UI": ("/api/docs/", "/api/docs/", ".swagger-ui .info .title", "LogiTrack API"),
    "ReDoc": ("/api/redoc/", "/api/redoc/", "h1", "LogiTrack API"),
    "Django admin": (
        "/admin/",
        "/admin/login/?next=/admin/",
        "#site-name",
        "LogiTrack fleet administration",
    ),
}
DEMO_LINK = re.compile(r"^Track demo delivery (\w+)$")


SCHEMA_LINK = "OpenAPI schema"


@pytest.mark.parametrize("width", [360, 1280])
def test_landing_page_says_what_this_is_and_is_accessible(
    demo_server, open_page, screenshot, width
):
    watched = open_page(width=width)
    page = watched.page
    page.goto(demo_server.url("/"))

    assert page.title() == "LogiTrack — fleet and deliveries API"
    assert page.locator("h1").inner_text() == "LogiTrack"
    assert "fleet and deliveries API" in page.locator("header").inner_text()
    for text, (href, *_) in LINKS.items():
        assert page.get_by_role("link", name=text, exact=True).get_attribute("href") == href
    assert page.get_by_role("link", name=SCHEMA_LINK).get_attribute("href") == "/api/schema/"
    screenshot(page, f"{width}px")
    assert accessibility_problems(page) == []
    assert watched.problems() == []


@pytest.mark.parametrize("text", list(LINKS))
def test_each_link_leads_to_its_page(demo_server, open_page, text):
    _, lands_on, selector, shown = LINKS[text]
    watched = open_page()
    page = watched.page
    page.goto(demo_server.url("/"))

    page.get_by_role("link", name=text, exact=True).click()
    page.wait_for_url(demo_server.url(lands_on))
    assert shown in page.locator(selector).first.inner_text()
    assert watched.problems() == []


def test_the_schema_link_downloads_the_openapi_document(demo_server, open_page):
    watched = open_page()
    page = watched.page
    page.goto(demo_server.url("/"))

    with page.expect_download() as download:
        page.get_by_role("link", name=SCHEMA_LINK).click()
    assert download.value.suggested_filename == "LogiTrack API.yaml"
    assert Path(download.value.path()).read_text().startswith("openapi: 3")
    assert watched.problems() == []


def test_the_demo_tracking_link_leads_to_its_tracking_page(demo_server, open_page, screenshot):
    watched = open_page(width=360)
    page = watched.page
    page.goto(demo_server.url("/"))

    link = page.get_by_role("link", name=DEMO_LINK)
    code = DEMO_LINK.match(link.inner_text()).group(1)
    link.click()

    page.wait_for_url(demo_server.url(f"/track/{code}/"))
    assert page.locator("h1").inner_text() == f"Your delivery\n{code}"
    assert page.locator(".status-words").inner_text() == "On its way"
    screenshot(page, "demo-delivery")
    reply = demo_server.server.request("GET", f"/api/v1/track/{code}/")
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "in_transit"
    assert watched.problems() == []


def test_favicon_is_an_icon(demo_server, open_page):
    watched = open_page()
    answer = watched.page.request.get(demo_server.url("/favicon.ico"))

    assert answer.status == 200
    assert answer.headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert answer.body()[:4] == b"\x00\x00\x01\x00"  # the ICO header


BROKEN_PAGE = """<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width">
<style>body { margin: 0 } .faint { color: #aaaaaa; background: #ffffff }</style></head>
<body><h1>One</h1><h3>Skipped a level</h3><h1>Two</h1>
<p class="faint">Grey on white</p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input name="nameless"><div style="width: 500px">Wider than a phone</div></body></html>"""


def test_the_accessibility_check_finds_what_is_wrong(open_page):
    watched = open_page(width=360)
    watched.page.set_content(BROKEN_PAGE)

    problems = accessibility_problems(watched.page)

    assert problems[0] == "<html> names no language (lang)"
    assert any(p.startswith("expected one h1") for p in problems)
    assert "h3 'Skipped a level' follows h1: a level skipped" in problems
    assert any(p.startswith("img without alt") for p in problems)
    assert "form control without a label: nameless" in problems
    assert any(p.startswith("text 'Grey on white': contrast 2.32:1") for p in problems)
    assert any(p.startswith("scrolls sideways: 500 px") for p in problems)
