"""The served schema tells the truth: every status an operation can answer is documented,
and the bodies the API sends match the documented schemas (the contract's additions of
2026-11-29). ``make fuzz`` checks the same against a running server, at random; these
pin the cases the contract names."""

import io
import re

import jsonschema
import pytest
from PIL import Image
from rest_framework.test import APIClient

from deliveries.models import Delivery, DeliveryStatus, Report
from deliveries.serializers import FILTER_VALUE_TYPE_CODE
from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from logitrack.tests import contract
from services.webhooks import webhook_secret_new
from users.tests.factories import TEST_PASSWORD, UserFactory
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/schema/"
TOKEN_PATHS = ("/api/v1/auth/token/", "/api/v1/auth/token/refresh/")
BODY_METHODS = ("post", "put", "patch")
MALFORMED_JSON = b'{"'
# A multipart body without the boundary its parts need.
MALFORMED_MULTIPART = (b"--x\r\n", "multipart/form-data")
# Operations only drivers may call: anyone else is refused before the body is read.
DRIVERS_ONLY = frozenset({"/api/v1/locations/"})


@pytest.fixture
def schema(openapi_schema) -> dict:
    return openapi_schema


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def _json_schema(node):
    """OpenAPI 3.0's ``nullable`` as JSON Schema (the rest is JSON Schema already)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def response_validator(schema: dict, path: str, method: str, status: str):
    """A validator of the JSON body documented for ``status`` (formats checked)."""
    pointer = _pointer(
        "paths", path, method, "responses", status, "content", "application/json", "schema"
    )
    return jsonschema.Draft202012Validator(
        {**_json_schema(schema), "$ref": pointer},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def assert_documented(schema: dict, path: str, method: str, response) -> None:
    """``response`` has a status the operation documents and a body its schema accepts."""
    status = str(response.status_code)
    responses = schema["paths"][path][method]["responses"]
    assert status in responses, f"{method.upper()} {path} answered an undocumented {status}"
    if "application/json" in responses[status].get("content", {}):
        response_validator(schema, path, method, status).validate(response.json())


# What every operation documents -----------------------------------------------------


def test_every_operation_documents_the_statuses_the_contract_requires(schema):
    missing = []
    for path, method, operation in operations(schema):
        statuses = set(operation["responses"])
        required = {"429"}  # every view is throttled (anonymous, signed-in or by scope)
        if operation.get("security") and {} not in operation["security"]:
            required.add("401")
        if path in TOKEN_PATHS:
            required.add("401")
        if "{" in path:
            required.add("404")
        if "requestBody" in operation:
            required |= {"400", "413"}
        missing += [f"{method.upper()} {path}: {s}" for s in sorted(required - statuses)]
    assert missing == []


PARSE_ERROR = {
    "type": "validation_error",
    "errors": [{"code": "parse_error", "detail": "JSON parse error", "attr": None}],
}


def test_every_operation_with_a_body_documents_a_parse_error(schema):
    checked = 0
    for path, method, operation in operations(schema):
        if "requestBody" in operation:
            validator = response_validator(schema, path, method, "400")
            assert validator.is_valid(PARSE_ERROR), f"{method.upper()} {path}"
            checked += 1
    assert checked >= 10


def test_the_documented_401_codes_include_simplejwts(schema):
    codes = schema["components"]["schemas"]["ErrorCode401Enum"]["enum"]

    assert {"token_not_valid", "bad_authorization_header", "no_active_account"} <= set(codes)


# Answers match what is documented ---------------------------------------------------


@pytest.fixture
def objects(admin_user):
    """An object behind each kind of ``{id}``, which admins may change."""
    return {
        "deliveries": DeliveryFactory(),
        "vehicles": VehicleFactory(),
        "users": UserFactory(),
        "reports": Report.objects.create(kind="deliveries_csv", requested_by=admin_user),
        "webhooks": WebhookEndpoint.objects.create(
            url="https://hooks.example.com/", events=["*"], secret=webhook_secret_new()
        ),
    }


def _url(path: str, objects: dict) -> str:
    collection = path.split("/")[3]
    return re.sub(r"\{[^}]+\}", lambda _: str(objects[collection].pk), path)


def _signed_in(user) -> APIClient:
    client = APIClient()
    answer = client.post(
        TOKEN_PATHS[0], {"username": user.username, "password": TEST_PASSWORD}, format="json"
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['access']}")
    return client


def test_a_malformed_body_is_a_documented_400_on_every_operation_with_a_body(
    schema, admin_user, objects
):
    clients = {"admin": _signed_in(admin_user), "driver": _signed_in(UserFactory())}
    checked = 0
    for path, method, operation in operations(schema):
        if "requestBody" not in operation:
            continue
        body, content_type = (
            (MALFORMED_JSON, "application/json")
            if "application/json" in operation["requestBody"]["content"]
            else MALFORMED_MULTIPART
        )
        client = clients["driver" if path in DRIVERS_ONLY else "admin"]
        response = getattr(client, method)(_url(path, objects), body, content_type=content_type)
        assert response.status_code == 400, f"{method.upper()} {path}"
        assert [e["code"] for e in response.json()["errors"]] == ["parse_error"]
        assert_documented(schema, path, method, response)
        checked += 1
    assert checked >= 10


def test_an_id_that_is_not_a_whole_number_is_a_documented_400(schema, admin_client):
    delivery, vehicle = DeliveryFactory(), VehicleFactory()
    path = "/api/v1/deliveries/{id}/assign/"

    response = admin_client.post(
        path.replace("{id}", str(delivery.pk)), {"vehicle_id": vehicle.pk, "driver_id": 1.5}
    )

    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [("driver_id", "invalid")]
    assert_documented(schema, path, "post", response)


def test_a_body_too_large_is_a_documented_413(schema, settings, admin_client):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = admin_client.post(
        "/api/v1/deliveries/", {**DELIVERY, "notes": "n" * 2000}, format="json"
    )

    assert response.status_code == 413
    assert_documented(schema, "/api/v1/deliveries/", "post", response)


def test_too_many_reports_is_a_documented_429(schema, settings, admin_client, admin_user):
    settings.REPORTS_AT_ONCE = 1
    Report.objects.create(kind="deliveries_csv", requested_by=admin_user)

    response = admin_client.post(REPORTS, {"kind": "deliveries_csv"})

    assert response.status_code == 429
    assert [e["code"] for e in response.json()["errors"]] == ["too_many_reports"]
    assert_documented(schema, REPORTS, "post", response)


@pytest.mark.parametrize("path", ["/api/v1/vehicles/", "/api/v1/users/", "/api/v1/deliveries/"])
@pytest.mark.parametrize(
    "search", ["a b c d e f g", "x" * 101, "nul\x00character"], ids=["words", "long", "nul"]
)
def test_a_search_the_lists_refuse_is_a_documented_400(schema, admin_client, search, path):
    response = admin_client.get(path, {"search": search})

    assert response.status_code == 400
    assert_documented(schema, path, "get", response)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/vehicles/", {"page_size": "x"}),
        ("/api/v1/deliveries/", {"page_size": "0"}),
        ("/api/v1/deliveries/", {"status": ""}),
        ("/api/v1/users/", {"is_active": "maybe"}),
    ],
)
def test_refused_page_sizes_and_filters_are_a_documented_400(schema, admin_client, path, params):
    response = admin_client.get(path, params)

    assert response.status_code == 400
    assert_documented(schema, path, "get", response)


@pytest.mark.parametrize(
    "header", ["Bearer not-a-token", "Bearer Bearer not-a-token", "Token abc", "Bearer"]
)
def test_a_bad_token_is_a_documented_401(schema, anon_client, header):
    anon_client.credentials(HTTP_AUTHORIZATION=header)

    response = anon_client.get("/api/v1/auth/me/")

    assert response.status_code == 401
    assert_documented(schema, "/api/v1/auth/me/", "get", response)


def test_bad_credentials_are_a_documented_401(schema, anon_client, driver):
    response = anon_client.post(
        TOKEN_PATHS[0], {"username": driver.username, "password": "wrong"}, format="json"
    )

    assert response.status_code == 401
    assert_documented(schema, TOKEN_PATHS[0], "post", response)


def test_a_refused_refresh_token_is_a_documented_401(schema, anon_client):
    response = anon_client.post(TOKEN_PATHS[1], {"refresh": "not-a-token"}, format="json")

    assert response.status_code == 401
    assert [e["code"] for e in response.json()["errors"]] == ["token_not_valid"]
    assert_documented(schema, TOKEN_PATHS[1], "post", response)


# Blank is null: from_status ----------------------------------------------------------

DELIVERY = {
    "origin_address": "Osloweg 110, Groningen",
    "destination_address": "Julianalaan 153, Den Bosch",
    "recipient_name": "Sara Visser",
    "weight_kg": "2.50",
    "scheduled_for": "2030-01-01T10:00:00Z",
}
EVENTS_PATH = "/api/v1/deliveries/{id}/events/"


def test_the_creation_event_has_a_null_from_status(schema, admin_client):
    created = admin_client.post("/api/v1/deliveries/", DELIVERY).json()
    admin_client.post(f"/api/v1/deliveries/{created['id']}/cancel/", {"reason": "No longer"})

    response = admin_client.get(EVENTS_PATH.replace("{id}", str(created["id"])))

    assert [(e["from_status"], e["to_status"]) for e in response.json()] == [
        (None, DeliveryStatus.PENDING),
        (DeliveryStatus.PENDING, DeliveryStatus.CANCELLED),
    ]
    assert_documented(schema, EVENTS_PATH, "get", response)


# Blank optional fields: sent as "" and documented so ------------------------------


def test_a_delivery_without_email_or_phone_is_sent_with_empty_strings(schema, admin_client):
    created = admin_client.post("/api/v1/deliveries/", DELIVERY)
    assert created.status_code == 201
    delivery_id = created.json()["id"]
    detail = admin_client.get(f"/api/v1/deliveries/{delivery_id}/")
    listed = admin_client.get("/api/v1/deliveries/")

    for body in (created.json(), detail.json(), listed.json()["results"][0]):
        assert (body["recipient_email"], body["recipient_phone"], body["notes"]) == ("", "", "")
    assert_documented(schema, "/api/v1/deliveries/", "post", created)
    assert_documented(schema, "/api/v1/deliveries/{id}/", "get", detail)
    assert_documented(schema, "/api/v1/deliveries/", "get", listed)


def test_an_empty_email_may_be_sent_back_as_given(schema, admin_client):
    response = admin_client.post("/api/v1/deliveries/", {**DELIVERY, "recipient_email": ""})

    assert response.status_code == 201
    assert response.json()["recipient_email"] == ""
    assert Delivery.objects.get().recipient_email == ""


def test_a_user_without_email_is_sent_with_an_empty_string(schema, admin_client):
    user = UserFactory(email="")

    response = admin_client.get(f"/api/v1/users/{user.pk}/")

    assert response.json()["email"] == ""
    assert_documented(schema, "/api/v1/users/{id}/", "get", response)


def test_emails_are_documented_as_an_address_or_empty(schema):
    documented = schema["components"]["schemas"]["Delivery"]["properties"]["recipient_email"]
    validator = jsonschema.Draft202012Validator(
        documented, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    assert validator.is_valid("")
    assert validator.is_valid("sara@example.org")
    assert not validator.is_valid("not an address")


# Report filters take what the list's query string takes ----------------------------

REPORTS = "/api/v1/reports/"


@pytest.mark.parametrize("status", ["delivered", ["delivered"], ["delivered", "failed"]])
def test_report_status_filter_takes_one_value_or_a_list(schema, admin_client, status):
    response = admin_client.post(REPORTS, {"kind": "deliveries_csv", "filters": {"status": status}})

    assert response.status_code == 202
    assert_documented(schema, REPORTS, "post", response)
    expected = [status] if isinstance(status, str) else status
    assert Report.objects.get().filters == {"status": expected}


def test_report_with_one_status_covers_only_that_status(admin_client):
    from services.reports import report_queryset

    delivered = DeliveryFactory(delivered=True)
    DeliveryFactory(failed=True)
    admin_client.post(REPORTS, {"kind": "deliveries_csv", "filters": {"status": "delivered"}})

    covered = report_queryset(Report.objects.get().filters)

    assert list(covered) == [delivered]


@pytest.mark.parametrize(
    ("filters", "attr", "code"),
    [
        ({"status": "lost"}, "filters.status", "invalid_choice"),  # as ?status=lost
        ({"status": ["delivered", 3]}, "filters.status", FILTER_VALUE_TYPE_CODE),
        ({"search": False}, "filters.search", FILTER_VALUE_TYPE_CODE),
        ({"vehicle": ["1", "2"]}, "filters.vehicle", FILTER_VALUE_TYPE_CODE),
        ({"scheduled_after": {"at": "now"}}, "filters.scheduled_after", FILTER_VALUE_TYPE_CODE),
    ],
)
def test_report_filters_the_list_would_refuse_are_a_documented_400(
    schema, admin_client, filters, attr, code
):
    response = admin_client.post(REPORTS, {"kind": "deliveries_csv", "filters": filters})

    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [(attr, code)]
    assert_documented(schema, REPORTS, "post", response)
    assert not Report.objects.exists()


def test_report_numeric_filters_take_numbers_or_their_text(admin_client):
    vehicle = VehicleFactory()

    for value in (vehicle.pk, str(vehicle.pk), None):
        response = admin_client.post(
            REPORTS, {"kind": "deliveries_csv", "filters": {"vehicle": value}}
        )
        assert response.status_code == 202, value


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/deliveries/bulk-assign/", {"atomic": [], "items": ["g?", "x"]}),
        ("/api/v1/webhooks/", {"url": "https://203.0.113.9/", "events": ["*", "x" * 300]}),
    ],
)
def test_an_error_on_a_list_item_is_documented_with_its_index(schema, admin_client, path, body):
    """The API names a list's item by its index (``items.1``), where drf-standardized-errors
    writes ``items.INDEX``."""
    response = admin_client.post(path, body)

    assert response.status_code == 400
    assert any(error["attr"].endswith(".1") for error in response.json()["errors"])
    assert_documented(schema, path, "post", response)


# Proof of delivery: multipart in, one proof or a list out, files of their own type ----

PROOFS = "/api/v1/deliveries/{id}/proofs/"
PROOF_FILE = "/api/v1/deliveries/{id}/proofs/{proof_id}/file/"
COMPLETE = "/api/v1/deliveries/{id}/complete/"


def _image(image_format: str) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(out, format=image_format)
    out.seek(0)
    out.name = f"proof.{image_format.lower()}"
    return out


def test_proof_answers_are_documented(schema, admin_client):
    delivery = DeliveryFactory(in_transit=True, proof_required=["photo", "signature"])
    path = PROOFS.replace("{id}", str(delivery.pk))
    complete = COMPLETE.replace("{id}", str(delivery.pk))

    refused_complete = admin_client.post(complete)
    one = admin_client.post(path, {"photo": _image("JPEG")}, format="multipart")
    both = admin_client.post(
        path, {"photo": _image("WEBP"), "signature": _image("PNG")}, format="multipart"
    )
    not_an_image = admin_client.post(
        path, {"photo": io.BytesIO(b"text"), "lat": "1", "lng": "2"}, format="multipart"
    )
    off_the_globe = admin_client.post(
        path, {"photo": _image("PNG"), "lat": "100", "lng": "2"}, format="multipart"
    )
    listed = admin_client.get(path)
    file = admin_client.get(one.json()["url"])

    assert refused_complete.status_code == 400
    assert refused_complete.json()["errors"][0]["missing"] == ["photo", "signature"]
    assert_documented(schema, COMPLETE, "post", refused_complete)
    assert (one.status_code, both.status_code) == (201, 201)
    assert isinstance(one.json(), dict) and len(both.json()) == 2
    for response in (one, both, not_an_image, off_the_globe):
        assert_documented(schema, PROOFS, "post", response)
    assert [e["code"] for e in not_an_image.json()["errors"]] == ["invalid_image"]
    assert_documented(schema, PROOFS, "get", listed)
    assert set(listed.json()[0]) == contract.PROOF
    assert file["Content-Type"] in schema["paths"][PROOF_FILE]["get"]["responses"]["200"]["content"]
    assert_documented(schema, PROOF_FILE, "get", file)


def test_a_proof_outside_transit_is_a_documented_409(schema, admin_client):
    delivery = DeliveryFactory()

    response = admin_client.post(
        PROOFS.replace("{id}", str(delivery.pk)), {"photo": _image("PNG")}, format="multipart"
    )

    assert response.status_code == 409
    assert_documented(schema, PROOFS, "post", response)


# Drivers' positions ---------------------------------------------------------------

LOCATIONS = "/api/v1/locations/"


@pytest.mark.parametrize(
    "points",
    [
        [{"lat": 91, "lng": 4.9, "recorded_at": "2025-01-01T10:00:00Z"}],
        [{"lat": 52, "lng": 4.9, "recorded_at": "2025-01-01T10:00:00Z"}, {"lat": "x"}],
        [{"lat": 52, "lng": 4.9, "recorded_at": "2090-01-01T10:00:00Z"}],
        [[1, 2]],
        [],
    ],
    ids=["off the globe", "second point", "future", "not an object", "none"],
)
def test_a_refused_point_is_a_documented_400(schema, client_for, driver, points):
    response = client_for(driver).post(LOCATIONS, {"points": points}, format="json")

    assert response.status_code == 400
    assert_documented(schema, LOCATIONS, "post", response)


def test_positions_and_the_eta_are_documented_answers(schema, admin_client, driver):
    from locations.tests.factories import LocationPointFactory

    delivery = DeliveryFactory(in_transit=True, driver=driver)
    answers = {
        "/api/v1/users/{id}/location/": admin_client.get(f"/api/v1/users/{driver.pk}/location/"),
        "/api/v1/deliveries/{id}/eta/": admin_client.get(f"/api/v1/deliveries/{delivery.pk}/eta/"),
    }
    assert [r.status_code for r in answers.values()] == [404, 409]
    LocationPointFactory(driver=driver)
    delivery.destination_lat, delivery.destination_lng = 51.9, 4.4
    delivery.save()
    found = {
        "/api/v1/users/{id}/location/": admin_client.get(f"/api/v1/users/{driver.pk}/location/"),
        "/api/v1/deliveries/{id}/eta/": admin_client.get(f"/api/v1/deliveries/{delivery.pk}/eta/"),
    }
    assert [r.status_code for r in found.values()] == [200, 200]
    for answer in (answers, found):
        for path, response in answer.items():
            assert_documented(schema, path, "get", response)
