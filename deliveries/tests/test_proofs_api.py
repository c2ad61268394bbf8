"""Proof of delivery: photos and signatures uploaded while in transit, kept without their
metadata, served only to who may read the delivery, and required by ``complete/``."""

import io
import json

import pytest
from django.core.files.storage import storages
from PIL import Image

from deliveries.models import DeliveryEvent, DeliveryProof, DeliveryStatus
from deliveries.serializers import COORDINATES_APART, PROOF_FILE_MISSING
from deliveries.tests.factories import DeliveryFactory
from webhooks.models import EventType, WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
CAMERA_MAKE = 0x010F


def image_bytes(image_format: str, size=(64, 48), *, exif: bool = False, mode="RGB") -> bytes:
    image = Image.new(mode, size, "red" if mode != "L" else 128)
    out = io.BytesIO()
    options = {}
    if exif:
        data = Image.Exif()
        data[CAMERA_MAKE] = "SpyCam"
        data[GPS_IFD] = {1: "N", 2: (52.0, 22.0, 1.0)}
        options["exif"] = data.tobytes()
    image.save(out, format=image_format, **options)
    return out.getvalue()


def upload(name: str, content: bytes, content_type="application/octet-stream"):
    file = io.BytesIO(content)
    file.name = name
    return file


def url(delivery) -> str:
    return f"/api/v1/deliveries/{delivery.pk}/proofs/"


@pytest.fixture
def delivery(driver):
    return DeliveryFactory(in_transit=True, driver=driver)


def post(client, delivery, **fields):
    return client.post(url(delivery), fields, format="multipart")


def stored_image(proof_id: int) -> tuple[Image.Image, bytes]:
    proof = DeliveryProof.objects.get(pk=proof_id)
    with storages["proofs"].open(proof.file.name) as handle:
        data = handle.read()
    return Image.open(io.BytesIO(data)), data


# Uploads --------------------------------------------------------------------------


def test_driver_adds_a_jpeg_photo_whose_exif_is_gone(driver_client, delivery):
    original = image_bytes("JPEG", exif=True)
    assert Image.open(io.BytesIO(original)).getexif()[CAMERA_MAKE] == "SpyCam"

    response = post(
        driver_client,
        delivery,
        photo=upload("door.jpg", original),
        recipient_name="Sara Visser",
        note="Left with the neighbour",
        lat="52.3676",
        lng="4.9041",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "photo"
    assert (body["recipient_name"], body["note"]) == ("Sara Visser", "Left with the neighbour")
    assert (body["lat"], body["lng"]) == (52.3676, 4.9041)
    assert body["url"].endswith(f"/api/v1/deliveries/{delivery.pk}/proofs/{body['id']}/file/")
    image, data = stored_image(body["id"])
    assert image.format == "JPEG"
    assert image.size == (64, 48)
    assert dict(image.getexif()) == {}
    assert b"Exif" not in data and b"SpyCam" not in data


@pytest.mark.parametrize(
    ("image_format", "mode", "content_type"),
    [("PNG", "RGBA", "image/png"), ("WEBP", "RGB", "image/webp"), ("PNG", "L", "image/png")],
)
def test_png_and_webp_photos_are_kept_in_their_format(
    driver_client, delivery, image_format, mode, content_type
):
    response = post(
        driver_client, delivery, photo=upload("photo.bin", image_bytes(image_format, mode=mode))
    )

    assert response.status_code == 201, response.content
    download = driver_client.get(response.json()["url"])
    assert download.status_code == 200
    assert download["Content-Type"] == content_type
    assert Image.open(io.BytesIO(b"".join(download.streaming_content))).format == image_format


def test_photo_and_signature_at_once_answer_both_photo_first(dispatcher_client, delivery):
    response = post(
        dispatcher_client,
        delivery,
        signature=upload("sig.png", image_bytes("PNG", mode="L")),
        photo=upload("door.jpg", image_bytes("JPEG")),
    )

    assert response.status_code == 201
    assert [proof["kind"] for proof in response.json()] == ["photo", "signature"]
    listed = dispatcher_client.get(url(delivery))
    assert [proof["kind"] for proof in listed.json()] == ["photo", "signature"]


def test_a_proof_is_recorded_as_an_event_and_emitted(driver_client, delivery):
    WebhookEndpoint.objects.create(
        url="https://203.0.113.9/", events=[EventType.DELIVERY_PROOF_ADDED], secret="whsec_x"
    )

    post(driver_client, delivery, photo=upload("a.jpg", image_bytes("JPEG")))

    event = DeliveryEvent.objects.filter(delivery=delivery).last()
    assert event is not None
    assert (event.kind, event.note, event.to_status) == (
        "proof",
        "Proof added: photo",
        DeliveryStatus.IN_TRANSIT,
    )
    [message] = WebhookMessage.objects.all()
    assert message.event_type == EventType.DELIVERY_PROOF_ADDED
    payload = json.loads(message.body)
    assert payload["data"]["id"] == delivery.pk
    assert [proof["kind"] for proof in payload["data"]["proofs"]] == ["photo"]


# Refusals ---------------------------------------------------------------------------


def error_codes(response) -> list[tuple[str, str]]:
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


def test_a_text_file_named_jpg_is_not_an_image(driver_client, delivery):
    response = post(
        driver_client, delivery, photo=upload("door.jpg", b"just some text\n" * 10, "image/jpeg")
    )

    assert response.status_code == 400
    assert error_codes(response) == [("photo", "invalid_image")]
    assert not DeliveryProof.objects.exists()


def test_a_jpeg_signature_is_refused(driver_client, delivery):
    response = post(driver_client, delivery, signature=upload("sig.png", image_bytes("JPEG")))

    assert response.status_code == 400
    assert error_codes(response) == [("signature", "invalid_image")]


def test_a_truncated_image_is_refused(driver_client, delivery):
    response = post(driver_client, delivery, photo=upload("a.png", image_bytes("PNG")[:60]))

    assert response.status_code == 400
    assert error_codes(response) == [("photo", "invalid_image")]


@pytest.mark.parametrize(
    "size",
    [(8_000, 8_000), (20_000, 20_000)],
    ids=["over PROOF_MAX_PIXELS", "over Pillow's own limit"],
)
def test_a_decompression_bomb_is_refused(driver_client, delivery, size):
    # A small file that claims 64 or 400 million pixels: refused before decoding.
    bomb = image_bytes("PNG", size=size, mode="1")
    assert len(bomb) < 100_000

    response = post(driver_client, delivery, photo=upload("bomb.png", bomb))

    assert response.status_code == 400
    assert error_codes(response) == [("photo", "invalid_image")]
    assert "pixels" in response.json()["errors"][0]["detail"]


def test_a_photo_over_the_limit_is_refused(driver_client, delivery, settings):
    settings.PROOF_PHOTO_MAX_BYTES = 500
    photo = image_bytes("PNG", size=(200, 200), mode="RGBA")
    assert len(photo) > 500

    response = post(driver_client, delivery, photo=upload("big.png", photo))

    assert response.status_code == 400
    assert error_codes(response) == [("photo", "file_too_large")]


def test_a_signature_over_its_limit_is_refused(driver_client, delivery):
    big = b"\x89PNG" + b"0" * (1024 * 1024)

    response = post(driver_client, delivery, signature=upload("sig.png", big))

    assert response.status_code == 400
    assert error_codes(response) == [("signature", "file_too_large")]


def test_a_body_larger_than_both_limits_is_refused_unread(driver_client, delivery, settings):
    settings.PROOF_PHOTO_MAX_BYTES = settings.PROOF_SIGNATURE_MAX_BYTES = 100
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = post(driver_client, delivery, photo=upload("a.jpg", b"x" * 1000))

    assert response.status_code == 400
    assert error_codes(response) == [("photo", "file_too_large")]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"note": "no file"}, [("photo", "required")]),
        ({"lat": "91"}, [("lat", "invalid_coordinates")]),
        ({"lat": "52.1"}, [("lng", "required")]),
        ({"lat": "1", "lng": "-180.5"}, [("lng", "invalid_coordinates")]),
        ({"lat": "nan", "lng": "1"}, [("lat", "invalid")]),
        ({"lat": "1_0", "lng": "1"}, [("lat", "invalid")]),
    ],
)
def test_fields_are_checked(driver_client, delivery, fields, expected):
    if expected[0][0] != "photo":
        fields = {**fields, "photo": upload("a.jpg", image_bytes("JPEG"))}

    response = post(driver_client, delivery, **fields)

    assert response.status_code == 400
    assert error_codes(response) == expected
    assert not DeliveryProof.objects.exists()


def test_messages_name_what_is_wrong(driver_client, delivery):
    none = post(driver_client, delivery, note="x")
    apart = post(driver_client, delivery, lng="3", photo=upload("a.jpg", image_bytes("JPEG")))

    assert none.json()["errors"][0]["detail"] == PROOF_FILE_MISSING
    assert apart.json()["errors"][0]["detail"] == COORDINATES_APART


@pytest.mark.parametrize("status", ["pending", "assigned", "delivered", "failed", "cancelled"])
def test_proofs_only_while_in_transit(dispatcher_client, status):
    delivery = DeliveryFactory(**{status: True} if status != "pending" else {})

    response = post(dispatcher_client, delivery, photo=upload("a.jpg", image_bytes("JPEG")))

    assert response.status_code == 409
    assert error_codes(response) == [(None, "invalid_transition")]
    assert not DeliveryProof.objects.exists()


def test_json_is_not_taken(driver_client, delivery):
    response = driver_client.post(url(delivery), {"note": "x"}, format="json")

    assert response.status_code == 415


# Who may read and write -------------------------------------------------------------


@pytest.fixture
def proof(driver_client, delivery) -> dict:
    response = post(driver_client, delivery, photo=upload("a.jpg", image_bytes("JPEG")))
    assert response.status_code == 201
    return response.json()


def test_another_driver_gets_404_everywhere(client_for, other_driver, delivery, proof):
    client = client_for(other_driver)

    assert client.get(proof["url"]).status_code == 404
    assert client.get(url(delivery)).status_code == 404
    refused = post(client, delivery, photo=upload("a.jpg", image_bytes("JPEG")))
    assert refused.status_code == 404
    assert DeliveryProof.objects.count() == 1


def test_anonymous_gets_401(anon_client, delivery, proof):
    assert anon_client.get(proof["url"]).status_code == 401
    assert anon_client.get(url(delivery)).status_code == 401
    assert post(anon_client, delivery, photo=upload("a.jpg", image_bytes("JPEG"))).status_code == (
        401
    )


def test_staff_download_the_file_whatever_accept_says(dispatcher_client, proof):
    response = dispatcher_client.get(proof["url"], HTTP_ACCEPT="image/png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).format == "JPEG"


def test_a_proof_of_another_delivery_is_not_found_under_this_one(dispatcher_client, proof):
    other = DeliveryFactory()

    response = dispatcher_client.get(f"/api/v1/deliveries/{other.pk}/proofs/{proof['id']}/file/")

    assert response.status_code == 404
    assert error_codes(response) == [(None, "not_found")]


def test_a_huge_proof_id_is_not_found(dispatcher_client, delivery):
    response = dispatcher_client.get(f"{url(delivery)}{2**70}/file/")

    assert response.status_code == 404


def test_media_url_serves_no_proof(client, proof):
    name = DeliveryProof.objects.get().file.name

    assert client.get(f"/media/{name}").status_code == 404


# proof_required and complete/ -------------------------------------------------------


def test_staff_set_proof_required_and_it_is_rendered(dispatcher_client):
    from deliveries.tests.factories import delivery_body

    created = dispatcher_client.post(
        "/api/v1/deliveries/",
        delivery_body(proof_required=["signature", "photo", "photo"]),
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["proof_required"] == ["photo", "signature"]
    delivery_id = created.json()["id"]
    changed = dispatcher_client.patch(
        f"/api/v1/deliveries/{delivery_id}/", {"proof_required": []}, format="json"
    )
    assert changed.json()["proof_required"] == []
    listed = dispatcher_client.get("/api/v1/deliveries/").json()["results"][0]
    assert listed["proof_required"] == []


def test_an_unknown_proof_kind_is_refused(dispatcher_client):
    from deliveries.tests.factories import delivery_body

    response = dispatcher_client.post(
        "/api/v1/deliveries/", delivery_body(proof_required=["selfie"]), format="json"
    )

    assert response.status_code == 400
    assert error_codes(response) == [("proof_required.0", "invalid_choice")]


def test_drivers_cannot_set_proof_required(driver_client, delivery):
    response = driver_client.patch(
        f"/api/v1/deliveries/{delivery.pk}/", {"proof_required": []}, format="json"
    )

    assert response.status_code == 403


def test_complete_waits_for_the_required_proofs(driver_client, driver):
    delivery = DeliveryFactory(
        in_transit=True, driver=driver, proof_required=["photo", "signature"]
    )
    complete = f"/api/v1/deliveries/{delivery.pk}/complete/"

    refused = driver_client.post(complete)
    post(driver_client, delivery, photo=upload("a.webp", image_bytes("WEBP")))
    still = driver_client.post(complete)
    post(driver_client, delivery, signature=upload("s.png", image_bytes("PNG", mode="L")))
    done = driver_client.post(complete)

    assert refused.status_code == 400
    [error] = refused.json()["errors"]
    assert (error["code"], error["attr"], error["missing"]) == (
        "proof_required",
        "proof_required",
        ["photo", "signature"],
    )
    assert still.json()["errors"][0]["missing"] == ["signature"]
    assert done.status_code == 200
    assert done.json()["status"] == DeliveryStatus.DELIVERED
