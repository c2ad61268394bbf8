"""Hostile and careless input: each case, and its obvious neighbours, gets the answer a
client can act on (a 4xx in the contract's error shape with its code), never a 500, and
costs the server little.

One row per case: who asks, the request, the status and the error code expected.
"""

import base64
import io
import json
import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from django.conf import settings
from PIL import Image
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from apikeys.tests.factories import issue_key
from deliveries.tests.factories import DeliveryFactory, delivery_body
from fleet.tests.factories import VehicleFactory
from logitrack.filters import SEARCH_MAX_CHARACTERS, SEARCH_MAX_WORDS
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DELIVERIES = "/api/v1/deliveries/"
VEHICLES = "/api/v1/vehicles/"
USERS = "/api/v1/users/"
TOKEN = "/api/v1/auth/token/"
WEBHOOKS = "/api/v1/webhooks/"
LOCATIONS = "/api/v1/locations/"


@dataclass
class World:
    """What the cases act on."""

    dispatcher: Any
    driver: Any
    vehicle: Any
    delivery: Any
    clients: dict = field(default_factory=dict)


@pytest.fixture
def world(db):
    dispatcher = UserFactory(dispatcher=True, username="dispatcher")
    admin = UserFactory(admin=True, username="admin")
    driver = UserFactory(username="driver")
    vehicle = VehicleFactory(plate_number="DEMO0001")
    delivery = DeliveryFactory()
    anonymous = APIClient()
    staff = APIClient()
    staff.force_authenticate(dispatcher)
    driving = APIClient()
    driving.force_authenticate(driver)
    administering = APIClient()
    administering.force_authenticate(admin)
    return World(
        dispatcher,
        driver,
        vehicle,
        delivery,
        {"anonymous": anonymous, "staff": staff, "driver": driving, "admin": administering},
    )


def _token_with(**claims) -> str:
    """A token signed with the real key whose claims say what the test wants."""
    payload = {"token_type": "access", "jti": "x", "user_id": "1", **claims}
    return jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


def _vehicle_body(**overrides) -> dict:
    return {
        "plate_number": "NEW0001",
        "make": "Ford",
        "model": "Transit",
        "year": 2022,
        "vehicle_type": "van",
        "capacity_kg": "900.00",
        **overrides,
    }


def _user_body(**overrides) -> dict:
    return {"username": "newuser", "password": "a-long-enough-passphrase", **overrides}


def _hook(url="https://203.0.113.9/in", events=("*",)) -> dict:
    """A webhook endpoint body; its URLs are addresses, so no name is ever looked up."""
    return {"url": url, "events": list(events)}


def _points(*overrides: dict, count: int = 0) -> dict:
    """A batch of positions: one point per override (or ``count`` plain ones)."""
    plain = {"lat": 52.37, "lng": 4.9, "recorded_at": "2025-06-01T10:00:00Z"}
    return {"points": [{**plain, **o} for o in overrides] or [plain] * count}


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


WORDS = " ".join(["b"] * 2000)


def _get(path, **params):
    return lambda w, c: c.get(path, params)


def _post(path, body):
    return lambda w, c: c.post(path.format(w=w), body(w) if callable(body) else body, format="json")


def _raw(method, path, content, content_type="application/json", **headers):
    return lambda w, c: getattr(c, method)(path, data=content, content_type=content_type, **headers)


def _with_token(path, token):
    def call(w, c):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=token(w) if callable(token) else token)
        return client.get(path)

    return call


def _assign(vehicle_id):
    return lambda w, c: c.post(
        f"{DELIVERIES}{w.delivery.pk}/assign/", {"vehicle_id": vehicle_id(w)}, format="json"
    )


def _with_api_key(header: str):
    """GET the vehicles with ``Authorization: <header>``."""
    return lambda w, c: c.get(VEHICLES, HTTP_AUTHORIZATION=header)


def _with_issued_key(**state):
    """GET the vehicles with a key issued in ``state`` (revoked, expired)."""
    return lambda w, c: c.get(VEHICLES, HTTP_AUTHORIZATION=f"Api-Key {issue_key(**state).secret}")


def _file(name: str, content: bytes):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG")
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header claims ``width`` × ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    pixels = zlib.compress(b"\x00" * 4096)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _proof(fields, *, driver_s_own=True, status="in_transit"):
    """A multipart proof upload to a delivery of the signed-in driver (or another's)."""

    def call(w, c):
        crew = {"driver": w.driver} if driver_s_own else {}
        delivery = DeliveryFactory(**{status: True}, **crew)
        body = {key: value() if callable(value) else value for key, value in fields.items()}
        return c.post(f"{DELIVERIES}{delivery.pk}/proofs/", body, format="multipart")

    return call


# (id, who, call, status, codes: the error codes expected, any of them)
CASES = [
    # Bodies that cost or crash.
    ("deep json", "anonymous", _raw("post", TOKEN, _deep(1000)), 400, {"parse_error"}),
    ("deeper json", "anonymous", _raw("post", TOKEN, _deep(100_000)), 400, {"parse_error"}),
    (
        "body over the limit",
        "anonymous",
        _raw("post", TOKEN, json.dumps({"username": "x" * 3_000_000, "password": "y"})),
        413,
        {"request_too_large"},
    ),
    (
        "body over the limit, signed in",
        "staff",
        _raw("post", DELIVERIES, json.dumps(delivery_body(notes="n" * 3_000_000))),
        413,
        {"request_too_large"},
    ),
    ("not json", "anonymous", _raw("post", TOKEN, "{nope"), 400, {"parse_error"}),
    # Paths and query strings.
    ("nul in tracking code", "anonymous", _get("/api/v1/track/%00/"), 404, {"not_found"}),
    (
        "odd tracking code",
        "anonymous",
        _get("/api/v1/track/" + "Z" * 300 + "/"),
        404,
        {"not_found"},
    ),
    ("huge page", "staff", _get(DELIVERIES, page="400000000000000000"), 404, {"not_found"}),
    ("page past the end", "staff", _get(DELIVERIES, page="3"), 404, {"not_found"}),
    (
        "huge page of vehicles",
        "staff",
        _get(VEHICLES, page="400000000000000000"),
        404,
        {"not_found"},
    ),
    ("huge page of users", "staff", _get(USERS, page="400000000000000000"), 404, {"not_found"}),
    ("2000-word search", "driver", _get(DELIVERIES, search=WORDS), 400, {"search_too_long"}),
    (
        "search one word too many",
        "staff",
        _get(DELIVERIES, search=" ".join(["b"] * (SEARCH_MAX_WORDS + 1))),
        400,
        {"search_too_long"},
    ),
    (
        "search one character too many",
        "staff",
        _get(DELIVERIES, search="b" * (SEARCH_MAX_CHARACTERS + 1)),
        400,
        {"search_too_long"},
    ),
    ("2000-word vehicle search", "driver", _get(VEHICLES, search=WORDS), 400, {"search_too_long"}),
    ("2000-word user search", "staff", _get(USERS, search=WORDS), 400, {"search_too_long"}),
    (
        "nul in user search",
        "staff",
        _get(USERS, search="a\x00b"),
        400,
        {"null_characters_not_allowed"},
    ),
    ("fractional vehicle filter", "staff", _get(DELIVERIES, vehicle="1.5"), 400, {"invalid"}),
    ("huge driver filter", "staff", _get(DELIVERIES, driver=str(2**70)), 400, {"max_value"}),
    ("path id too large", "staff", _get(f"{DELIVERIES}{2**70}/"), 404, {"not_found"}),
    # Tokens.
    (
        "expiry as a string",
        "anonymous",
        _with_token("/api/v1/auth/me/", lambda w: f"Bearer {_token_with(exp='1799999999')}"),
        401,
        {"token_not_valid"},
    ),
    (
        "expiry past year 3000",
        "anonymous",
        _with_token("/api/v1/auth/me/", lambda w: f"Bearer {_token_with(exp=10**15)}"),
        401,
        {"token_not_valid"},
    ),
    (
        "refresh with a string expiry",
        "anonymous",
        _post(
            "/api/v1/auth/token/refresh/",
            lambda w: {"refresh": _token_with(token_type="refresh", exp="1799999999")},
        ),
        401,
        {"token_not_valid"},
    ),
    (
        "bearer twice",
        "anonymous",
        _with_token(
            "/api/v1/auth/me/", lambda w: f"Bearer Bearer {AccessToken.for_user(w.driver)}"
        ),
        401,
        {"bad_authorization_header", "token_not_valid"},
    ),
    (
        "garbage token",
        "anonymous",
        _with_token("/api/v1/auth/me/", "Bearer " + base64.b64encode(b"\xff" * 40).decode()),
        401,
        {"token_not_valid"},
    ),
    # Ids.
    ("fractional vehicle id", "staff", _assign(lambda w: w.vehicle.pk + 0.5), 400, {"invalid"}),
    ("boolean vehicle id", "staff", _assign(lambda w: True), 400, {"incorrect_type"}),
    ("huge vehicle id", "staff", _assign(lambda w: 2**70), 400, {"does_not_exist"}),
    ("list as vehicle id", "staff", _assign(lambda w: [w.vehicle.pk]), 400, {"incorrect_type"}),
    # Decimals.
    *[
        (
            f"weight {weight!r}",
            "staff",
            _post(DELIVERIES, delivery_body(weight_kg=weight)),
            400,
            {"invalid"},
        )
        for weight in ["1_000", "٣", "1e3", "NaN", "Infinity", "0x10", " 5.00.1"]
    ],
    (
        "capacity with underscores",
        "staff",
        _post(VEHICLES, _vehicle_body(capacity_kg="1_000")),
        400,
        {"invalid"},
    ),
    # Free text.
    (
        "2 MB of notes",
        "staff",
        _post(DELIVERIES, delivery_body(notes="n" * 2_000_001)),
        400,
        {"max_length"},
    ),
    (
        "notes one over",
        "staff",
        _post(DELIVERIES, delivery_body(notes="n" * 2001)),
        400,
        {"max_length"},
    ),
    (
        "long maintenance reason",
        "staff",
        _post(VEHICLES + "{w.vehicle.pk}/maintenance/start/", {"reason": "r" * 1001}),
        400,
        {"max_length"},
    ),
    (
        "nul in a name",
        "staff",
        _post(DELIVERIES, delivery_body(recipient_name="A\x00B")),
        400,
        {"null_characters_not_allowed"},
    ),
    # Identifiers that look alike.
    (
        "plate of a zero-width space",
        "staff",
        _post(VEHICLES, _vehicle_body(plate_number="\u200b")),
        400,
        {"blank"},
    ),
    (
        "plate with a zero-width space",
        "staff",
        _post(VEHICLES, _vehicle_body(plate_number="DEMO\u200b0001")),
        400,
        {"unique"},
    ),
    (
        "full-width plate",
        "staff",
        _post(VEHICLES, _vehicle_body(plate_number="ＤＥＭＯ０００１")),
        400,
        {"unique"},
    ),
    (
        "plate in lower case",
        "staff",
        _post(VEHICLES, _vehicle_body(plate_number="demo 0001")),
        400,
        {"unique"},
    ),
    (
        "username in upper case",
        "staff",
        _post(USERS, _user_body(username="DISPATCHER")),
        400,
        {"unique"},
    ),
    (
        "full-width username",
        "staff",
        _post(USERS, _user_body(username="ＤＲＩＶＥＲ")),
        400,
        {"unique"},
    ),
    (
        "username with a zero-width space",
        "staff",
        _post(USERS, _user_body(username="driv\u200ber")),
        400,
        {"unique"},
    ),
    ("2 kB password", "staff", _post(USERS, _user_body(password="p" * 2000)), 400, {"max_length"}),
    # Date-times.
    *[
        (
            f"scheduled for {when}",
            "staff",
            _post(DELIVERIES, delivery_body(scheduled_for=when)),
            400,
            {"invalid"},
        )
        for when in [
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "1999-12-31T23:59:59Z",
            "2100-01-01T00:00:00Z",
            "2030-01-01T10:00:00",
            "tomorrow",
        ]
    ],
    # Query strings a generated client may send.
    ("page size of text", "staff", _get(VEHICLES, page_size="null"), 400, {"invalid"}),
    ("page size 0", "staff", _get(DELIVERIES, page_size="0"), 400, {"invalid"}),
    ("negative page size", "staff", _get(USERS, page_size="-2"), 400, {"invalid"}),
    ("empty page", "staff", _get(VEHICLES, page=""), 404, {"not_found"}),
    ("page of text", "staff", _get(DELIVERIES, page="x"), 404, {"not_found"}),
    ("is_active a number", "staff", _get(USERS, is_active="1504658550511"), 400, {"invalid"}),
    ("empty status filter", "staff", _get(VEHICLES, status=""), 400, {"blank"}),
    ("empty vehicle type filter", "driver", _get(VEHICLES, vehicle_type=""), 400, {"blank"}),
    ("empty role filter", "staff", _get(USERS, role=""), 400, {"blank"}),
    # JSON of the wrong type is refused, not converted.
    (
        "reason as a number",
        "staff",
        _post(DELIVERIES + "{w.delivery.pk}/cancel/", {"reason": 0}),
        400,
        {"invalid"},
    ),
    (
        "maintenance reason as a number",
        "staff",
        _post(VEHICLES + "{w.vehicle.pk}/maintenance/start/", {"reason": -766}),
        400,
        {"invalid"},
    ),
    (
        "weight as a JSON number",
        "staff",
        _post(DELIVERIES, delivery_body(weight_kg=5)),
        400,
        {"invalid"},
    ),
    ("year as text", "staff", _post(VEHICLES, _vehicle_body(year="2022")), 400, {"invalid"}),
    ("active as text", "staff", _post(USERS, _user_body(is_active="true")), 400, {"invalid"}),
    ("role as a number", "staff", _post(USERS, _user_body(role=1)), 400, {"invalid_choice"}),
    # Webhook endpoints: where the API could be made to send, and what.
    *[
        (
            f"webhook to {url}",
            "staff",
            _post(WEBHOOKS, _hook(url)),
            400,
            {"webhook_url_not_allowed"},
        )
        for url in (
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/",
            "https://[fe80::1%25eth0]/",
            "http://203.0.113.9/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://user:pw@203.0.113.9/",
            "https://203.0.113.9:99999/",
            "https:///no-host",
        )
    ],
    (
        "webhook url too long",
        "staff",
        _post(WEBHOOKS, _hook("https://a/" + "a" * 3000)),
        400,
        {"max_length"},
    ),
    (
        "webhook url with nul",
        "staff",
        _post(WEBHOOKS, _hook("https://\u0000/")),
        400,
        {"null_characters_not_allowed"},
    ),
    ("webhook url blank", "staff", _post(WEBHOOKS, _hook("")), 400, {"blank"}),
    ("webhook url as a number", "staff", _post(WEBHOOKS, _hook(7)), 400, {"invalid"}),
    (
        "unknown event",
        "staff",
        _post(WEBHOOKS, _hook(events=["delivery.exploded"])),
        400,
        {"unknown_event_type"},
    ),
    ("event as a number", "staff", _post(WEBHOOKS, _hook(events=[1])), 400, {"invalid"}),
    ("no events", "staff", _post(WEBHOOKS, _hook(events=[])), 400, {"empty"}),
    (
        "events as text",
        "staff",
        _post(WEBHOOKS, {"url": "https://203.0.113.9/", "events": "*"}),
        400,
        {"not_a_list"},
    ),
    ("too many events", "staff", _post(WEBHOOKS, _hook(events=["*"] * 100)), 400, {"max_length"}),
    ("driver lists webhooks", "driver", _get(WEBHOOKS), 403, {"permission_denied"}),
    (
        "a minute of 99",
        "staff",
        _post(DELIVERIES, delivery_body(scheduled_for="2030-01-01T12:99:00Z")),
        400,
        {"invalid"},
    ),
    (
        "an api key expiring at a minute of 99",
        "admin",
        _post(
            "/api/v1/api-keys/",
            {"name": "Shop", "role": "readonly", "expires_at": "2030-01-01T12:99:00Z"},
        ),
        400,
        {"invalid"},
    ),
    # API keys.
    (
        "api key header without a key",
        "anonymous",
        _with_api_key("Api-Key"),
        401,
        {"bad_authorization_header"},
    ),
    (
        "api key header with two keys",
        "anonymous",
        _with_api_key("Api-Key abc def"),
        401,
        {"bad_authorization_header"},
    ),
    (
        "unknown api key",
        "anonymous",
        _with_api_key("Api-Key AbCdEfGh." + "x" * 32),
        401,
        {"api_key_not_valid"},
    ),
    (
        "api key of another shape",
        "anonymous",
        _with_api_key("Api-Key " + "é\x00" * 3000),
        401,
        {"api_key_not_valid"},
    ),
    ("revoked api key", "anonymous", _with_issued_key(revoked=True), 401, {"api_key_revoked"}),
    ("expired api key", "anonymous", _with_issued_key(expired=True), 401, {"api_key_expired"}),
    (
        "read-only api key writes",
        "anonymous",
        lambda w, c: c.post(
            VEHICLES,
            _vehicle_body(),
            HTTP_AUTHORIZATION=f"Api-Key {issue_key(role='readonly').secret}",
        ),
        403,
        {"api_key_read_only"},
    ),
    # Proof of delivery uploads.
    (
        "text file named .jpg",
        "driver",
        _proof({"photo": lambda: _file("door.jpg", b"hello " * 100)}),
        400,
        {"invalid_image"},
    ),
    (
        "png bomb of 400 million pixels",
        "driver",
        _proof({"photo": lambda: _file("bomb.png", _png_claiming(20_000, 20_000))}),
        400,
        {"invalid_image"},
    ),
    (
        "png bomb of 60 million pixels",
        "driver",
        _proof({"photo": lambda: _file("bomb.png", _png_claiming(10_000, 6_000))}),
        400,
        {"invalid_image"},
    ),
    (
        "signature over 1 MB",
        "driver",
        _proof({"signature": lambda: _file("s.png", b"\x89PNG" + b"0" * 1_048_577)}),
        400,
        {"file_too_large"},
    ),
    (
        "html as a signature",
        "driver",
        _proof({"signature": lambda: _file("s.png", b"<script>alert(1)</script>")}),
        400,
        {"invalid_image"},
    ),
    ("proof without a file", "driver", _proof({"note": "x"}), 400, {"required"}),
    *[
        (
            f"proof at lat {lat!r}",
            "driver",
            _proof({"photo": lambda: _file("p.png", _png()), "lat": lat, "lng": "4.9"}),
            400,
            {code},
        )
        for lat, code in [
            ("91", "invalid_coordinates"),
            ("-90.0001", "invalid_coordinates"),
            ("NaN", "invalid"),
            ("1e400", "invalid"),
            ("٣", "invalid"),
        ]
    ],
    (
        "proof note one over",
        "driver",
        _proof({"photo": lambda: _file("p.png", _png()), "note": "n" * 1001}),
        400,
        {"max_length"},
    ),
    (
        "nul in the recipient's name",
        "driver",
        _proof({"photo": lambda: _file("p.png", _png()), "recipient_name": "A\x00B"}),
        400,
        {"null_characters_not_allowed"},
    ),
    (
        "proof on another driver's delivery",
        "driver",
        _proof({"photo": lambda: _file("p.png", _png())}, driver_s_own=False),
        404,
        {"not_found"},
    ),
    (
        "proof before departure",
        "driver",
        _proof({"photo": lambda: _file("p.png", _png())}, status="assigned"),
        409,
        {"invalid_transition"},
    ),
    (
        "proof as json",
        "staff",
        _post(DELIVERIES + "{w.delivery.pk}/proofs/", {"photo": "aGVsbG8="}),
        415,
        {"unsupported_media_type"},
    ),
    (
        "huge proof id",
        "staff",
        lambda w, c: c.get(f"{DELIVERIES}{w.delivery.pk}/proofs/{2**70}/file/"),
        404,
        {"not_found"},
    ),
    # Drivers' positions.
    *[
        (f"point {name}", "driver", _post(LOCATIONS, _points({field: value})), 400, {code})
        for name, field, value, code in [
            ("at lat 91", "lat", 91, "invalid_coordinates"),
            ("at lng -181", "lng", -181, "invalid_coordinates"),
            ("with lat as text", "lat", "52.1", "invalid"),
            ("with lat NaN as text", "lat", "NaN", "invalid"),
            ("with lng true", "lng", True, "invalid"),
            ("with a list as lat", "lat", [52], "invalid"),
            ("from the future", "recorded_at", "2099-01-01T00:00:00Z", "recorded_in_future"),
            ("without offset", "recorded_at", "2025-06-01T10:00:00", "invalid"),
            ("in year 1", "recorded_at", "0001-01-01T00:00:00Z", "invalid"),
            ("with negative speed", "speed_kmh", -5, "min_value"),
            ("with heading 720", "heading", 720, "max_value"),
        ]
    ],
    (
        "NaN literal",
        "driver",
        _raw("post", LOCATIONS, '{"points": [{"lat": NaN, "lng": 1, "recorded_at": "x"}]}'),
        400,
        {"parse_error"},
    ),
    (
        "lat 1e400",
        "driver",
        _raw(
            "post",
            LOCATIONS,
            '{"points": [{"lat": 1e400, "lng": 1, "recorded_at": "2025-06-01T10:00:00Z"}]}',
        ),
        400,
        {"invalid_coordinates"},
    ),
    ("501 points", "driver", _post(LOCATIONS, _points(count=501)), 400, {"too_many_items"}),
    (
        "20,000 points",
        "driver",
        _post(LOCATIONS, _points(count=20_000)),
        400,
        {"too_many_items"},
    ),
    ("no points", "driver", _post(LOCATIONS, {"points": []}), 400, {"empty"}),
    ("points as an object", "driver", _post(LOCATIONS, {"points": {}}), 400, {"not_a_list"}),
    ("staff sends points", "staff", _post(LOCATIONS, _points(count=1)), 403, {"permission_denied"}),
    (
        "anonymous sends points",
        "anonymous",
        _post(LOCATIONS, _points(count=1)),
        401,
        {"not_authenticated"},
    ),
    (
        "destination half given",
        "staff",
        _post(DELIVERIES, delivery_body(destination_lat=52.0)),
        400,
        {"destination_incomplete"},
    ),
    (
        "destination off the globe",
        "staff",
        _post(DELIVERIES, delivery_body(destination_lat=-90.5, destination_lng=4)),
        400,
        {"invalid_coordinates"},
    ),
    (
        "driver reads a vehicle's position",
        "driver",
        lambda w, c: c.get(f"{VEHICLES}{w.vehicle.pk}/location/"),
        403,
        {"permission_denied"},
    ),
    (
        "no known position",
        "staff",
        lambda w, c: c.get(f"{USERS}{w.driver.pk}/location/"),
        404,
        {"no_location"},
    ),
    ("position of no user", "staff", _get(f"{USERS}{2**70}/location/"), 404, {"not_found"}),
    (
        "eta of a pending delivery",
        "staff",
        lambda w, c: c.get(f"{DELIVERIES}{w.delivery.pk}/eta/"),
        409,
        {"eta_unavailable"},
    ),
    (
        "eta of someone else's delivery",
        "driver",
        lambda w, c: c.get(f"{DELIVERIES}{w.delivery.pk}/eta/"),
        404,
        {"not_found"},
    ),
    # Who may read what.
    (
        "driver reads maintenance records",
        "driver",
        lambda w, c: c.get(f"{VEHICLES}{w.vehicle.pk}/maintenance/"),
        403,
        {"permission_denied"},
    ),
]


@pytest.mark.parametrize(
    ("who", "call", "status", "codes"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_hostile_input_is_answered_with_its_code(world, who, call, status, codes):
    started = time.monotonic()
    response = call(world, world.clients[who])
    took = time.monotonic() - started

    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert body["type"] == ("validation_error" if status == 400 else "client_error")
    assert body["errors"], body
    assert {error["code"] for error in body["errors"]} <= codes, body
    assert took < 1.0, f"{took:.2f} s"


def test_a_bad_host_gets_json_under_the_api(client):
    response = client.get(DELIVERIES, HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "invalid_host",
                "detail": "This server does not answer to that host name.",
                "attr": None,
            }
        ],
    }


def test_an_invalid_token_is_one_error(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

    response = client.get("/api/v1/auth/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    [error] = response.json()["errors"]
    assert (error["code"], error["attr"]) == ("token_not_valid", None)


def test_a_long_search_costs_little_cpu(world):
    """The search the attack used: 2,000 words, 4 KB of URL; refused before any work."""
    client = world.clients["driver"]
    started = time.process_time()
    for _ in range(5):
        assert client.get(DELIVERIES, {"search": WORDS}).status_code == 400
    assert time.process_time() - started < 0.5


def test_signed_in_answers_are_kept_by_no_shared_cache(world):
    for who in ("staff", "driver"):
        response = world.clients[who].get(DELIVERIES)
        assert response.status_code == 200
        assert "private" in response["Cache-Control"]
        assert "no-store" in response["Cache-Control"]
        assert "Authorization" in response["Vary"]
    for error in (world.clients["staff"].get(f"{DELIVERIES}0/"),):
        assert "no-store" in error["Cache-Control"]


def test_public_tracking_says_nothing_about_private_caching(world):
    response = world.clients["anonymous"].get(f"/api/v1/track/{world.delivery.tracking_code}/")

    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")


def test_assign_without_driver_keeps_the_driver_and_null_clears_it(world):
    client = world.clients["staff"]
    url = f"{DELIVERIES}{world.delivery.pk}/assign/"
    other = VehicleFactory()
    assert (
        client.post(url, {"vehicle_id": world.vehicle.pk, "driver_id": world.driver.pk}).status_code
        == 200
    )

    kept = client.post(url, {"vehicle_id": other.pk})
    cleared = client.post(url, {"vehicle_id": other.pk, "driver_id": None})

    assert kept.status_code == 200
    assert (kept.json()["vehicle"]["id"], kept.json()["driver"]["id"]) == (
        other.pk,
        world.driver.pk,
    )
    assert cleared.status_code == 200
    assert cleared.json()["driver"] is None


@pytest.mark.parametrize("offset", ["+17:00", "-23:59", "+15:59", "Z"])
def test_any_utc_offset_in_a_date_filter_is_compared_in_utc(world, offset):
    """PostgreSQL refuses offsets past ±15:59; the filter turns them into UTC first."""
    response = world.clients["staff"].get(
        DELIVERIES, {"scheduled_before": f"2090-01-01T00:00:00{offset}"}
    )

    assert response.status_code == 200
    assert response.json()["count"] == 1
