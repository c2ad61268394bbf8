"""The OpenAPI schema and the documentation pages built on it."""

import re
from urllib.parse import urlparse

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

from users.tests.factories import TEST_PASSWORD

SCHEMA_URL = "/api/schema/"
DOCS_URL = "/api/docs/"
REDOC_URL = "/api/redoc/"

CONTRACT_PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/auth/token/refresh/",
    "/api/v1/auth/logout/",
    "/api/v1/auth/me/",
    "/api/v1/users/",
    "/api/v1/users/{id}/",
    "/api/v1/vehicles/",
    "/api/v1/vehicles/{id}/",
    "/api/v1/vehicles/{id}/maintenance/start/",
    "/api/v1/vehicles/{id}/maintenance/end/",
    "/api/v1/vehicles/{id}/maintenance/",
    "/api/v1/deliveries/",
    "/api/v1/deliveries/{id}/",
    "/api/v1/deliveries/{id}/assign/",
    "/api/v1/deliveries/{id}/unassign/",
    "/api/v1/deliveries/{id}/start/",
    "/api/v1/deliveries/{id}/complete/",
    "/api/v1/deliveries/{id}/fail/",
    "/api/v1/deliveries/{id}/cancel/",
    "/api/v1/deliveries/{id}/events/",
    "/api/v1/track/{tracking_code}/",
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(openapi_schema) -> dict:
    return openapi_schema


def sign_in(client, user) -> None:
    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")


def bearer_schemes(schema: dict) -> list[str]:
    return [
        name
        for name, scheme in schema["components"]["securitySchemes"].items()
        if scheme.get("type") == "http"
        and scheme.get("scheme", "").lower() == "bearer"
        and scheme.get("bearerFormat") == "JWT"
    ]


# The schema ------------------------------------------------------------------------------


def test_schema_generates_and_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"]
    assert schema["info"]["version"]


def test_served_schema_has_every_contract_path_and_bearer_jwt(settings, anon_client, dispatcher):
    settings.API_DOCS_PUBLIC = False
    sign_in(anon_client, dispatcher)

    response = anon_client.get(SCHEMA_URL, {"format": "json"})

    assert response.status_code == 200
    served = response.json()
    missing = [path for path in CONTRACT_PATHS if path not in served["paths"]]
    assert missing == []
    assert bearer_schemes(served)


def test_schema_documents_only_api_v1_paths(schema):
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_signed_in_endpoints_require_the_bearer_scheme(schema):
    bearer = set(bearer_schemes(schema))
    users_list = schema["paths"]["/api/v1/users/"]["get"]
    assert any(set(requirement) & bearer for requirement in users_list["security"])


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/v1/track/{tracking_code}/", "get"), ("/api/v1/auth/token/", "post")],
)
def test_public_endpoints_need_no_credentials(schema, path, method):
    requirements = schema["paths"][path][method].get("security", [])
    assert requirements == [] or {} in requirements


def test_schema_documents_the_user_password_as_write_only(schema):
    components = schema["components"]["schemas"]
    request_bodies = [
        components[name]["properties"]
        for name in components
        if name.startswith("UserInput") and name.endswith("Request")
    ]
    assert "password" not in components["User"]["properties"]
    assert request_bodies
    assert all("password" in body for body in request_bodies)


# Documentation pages -------------------------------------------------------------------


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)\s*=\s*"([^"]+)"', html)


@pytest.mark.parametrize("url", [DOCS_URL, REDOC_URL])
def test_docs_page_is_html_served_from_the_app(dispatcher_client, url):
    response = dispatcher_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert SCHEMA_URL in html
    prefix = static("")
    static_assets = [a for a in _asset_urls(html) if a.startswith(prefix)]
    assert any(a.startswith(static("drf_spectacular_sidecar/")) for a in static_assets)
    for asset in static_assets:
        assert finders.find(asset.removeprefix(prefix)), f"{asset} is not a static file"


@pytest.mark.parametrize("url", [DOCS_URL, REDOC_URL])
def test_docs_page_loads_nothing_from_other_hosts(dispatcher_client, url):
    html = dispatcher_client.get(url).content.decode()

    foreign = [a for a in _asset_urls(html) if urlparse(a).netloc or a.startswith("//")]
    assert foreign == []
    assert "cdn.jsdelivr.net" not in html
    assert "unpkg.com" not in html


# Who may read them -------------------------------------------------------------------


@pytest.mark.parametrize("url", [DOCS_URL, REDOC_URL])
def test_public_docs_are_open_to_anonymous(settings, anon_client, url):
    settings.API_DOCS_PUBLIC = True

    assert anon_client.get(url).status_code == 200


def test_public_schema_is_served_to_anonymous(settings, anon_client):
    settings.API_DOCS_PUBLIC = True

    response = anon_client.get(SCHEMA_URL, {"format": "json"})

    assert response.status_code == 200
    assert "/api/v1/deliveries/" in response.json()["paths"]


@pytest.mark.parametrize("url", [SCHEMA_URL, DOCS_URL, REDOC_URL])
def test_private_docs_refuse_anonymous(settings, anon_client, url):
    settings.API_DOCS_PUBLIC = False

    assert anon_client.get(url).status_code == 401


@pytest.mark.parametrize("url", [SCHEMA_URL, DOCS_URL, REDOC_URL])
def test_private_docs_refuse_drivers(settings, driver_client, url):
    settings.API_DOCS_PUBLIC = False

    assert driver_client.get(url).status_code == 403


@pytest.mark.parametrize("staff", ["dispatcher_client", "admin_client"])
@pytest.mark.parametrize("url", [DOCS_URL, REDOC_URL])
def test_private_docs_are_open_to_staff(settings, request, staff, url):
    settings.API_DOCS_PUBLIC = False

    assert request.getfixturevalue(staff).get(url).status_code == 200


@pytest.mark.parametrize("url", [SCHEMA_URL, DOCS_URL, REDOC_URL])
def test_refused_docs_answer_in_the_json_error_shape(settings, anon_client, url):
    settings.API_DOCS_PUBLIC = False

    response = anon_client.get(url)

    assert response.status_code == 401
    assert response["Content-Type"].split(";")[0] == "application/json"
    body = response.json()
    assert body["type"] == "client_error"
    assert [error["code"] for error in body["errors"]] == ["not_authenticated"]
