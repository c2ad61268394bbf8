"""Proof of delivery: photos and signatures taken at the door while a delivery is in
transit, which ``delivery_complete`` asks for when the delivery requires them."""

from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from deliveries.models import (
    Delivery,
    DeliveryEvent,
    DeliveryProof,
    DeliveryStatus,
    EventKind,
    ProofKind,
    proof_storage,
)
from deliveries.selectors import delivery_rendered
from services.common import lock
from services.exceptions import ProofNotAllowed
from services.images import CleanImage, image_clean
from services.webhooks import webhook_emit
from users.models import User
from webhooks.models import EventType

PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
SIGNATURE_FORMATS = ("PNG",)
EVENT_NOTE = "Proof added: {kinds}"


@dataclass(frozen=True)
class ProofDetails:
    """What the person at the door said and where, shared by the files of one upload."""

    recipient_name: str = ""
    note: str = ""
    lat: float | None = None
    lng: float | None = None


def _check_in_transit(delivery: Delivery) -> None:
    if delivery.status != DeliveryStatus.IN_TRANSIT:
        raise ProofNotAllowed(status=delivery.status)


def _cleaned(
    *, photo: UploadedFile | None, signature: UploadedFile | None
) -> list[tuple[str, CleanImage]]:
    files = []
    if photo is not None:
        limit = settings.PROOF_PHOTO_MAX_BYTES
        image = image_clean(upload=photo, formats=PHOTO_FORMATS, max_bytes=limit, field="photo")
        files.append((ProofKind.PHOTO.value, image))
    if signature is not None:
        limit = settings.PROOF_SIGNATURE_MAX_BYTES
        image = image_clean(
            upload=signature, formats=SIGNATURE_FORMATS, max_bytes=limit, field="signature"
        )
        files.append((ProofKind.SIGNATURE.value, image))
    return files


def delivery_proof_add(
    *,
    delivery: Delivery,
    actor: User | None,
    details: ProofDetails,
    photo: UploadedFile | None = None,
    signature: UploadedFile | None = None,
) -> list[DeliveryProof]:
    """One proof per file (photo first), while the delivery is ``in_transit`` (else
    ``409 invalid_transition``). Each image is checked and re-encoded without metadata
    (``services.images``: ``400 file_too_large``, ``400 invalid_image``) before the
    delivery row is locked; under that lock the files are stored, the proofs and one
    event ("Proof added: photo") written and ``delivery.proof_added`` emitted. Files of
    a write that fails are removed again."""
    _check_in_transit(delivery)  # refused before any image is decoded
    files = _cleaned(photo=photo, signature=signature)
    stored: list[str] = []
    try:
        return _record(delivery=delivery, actor=actor, details=details, files=files, stored=stored)
    except BaseException:
        storage = proof_storage()
        for name in stored:
            storage.delete(name)
        raise


@transaction.atomic
def _record(
    *,
    delivery: Delivery,
    actor: User | None,
    details: ProofDetails,
    files: list[tuple[str, CleanImage]],
    stored: list[str],
) -> list[DeliveryProof]:
    """Locks the delivery and writes what ``delivery_proof_add`` says; appends the name of
    each file it stores to ``stored``."""
    locked = lock(delivery)
    _check_in_transit(locked)
    now = timezone.now()
    proofs = []
    for kind, image in files:
        proof = DeliveryProof(
            delivery=locked,
            kind=kind,
            content_type=image.content_type,
            recipient_name=details.recipient_name,
            note=details.note,
            lat=details.lat,
            lng=details.lng,
            captured_at=now,
            created_by=actor,
        )
        proof.file.save(f"{kind}.{image.extension}", ContentFile(image.content), save=False)
        stored.append(proof.file.name)
        proof.save()
        proofs.append(proof)
    kinds = [proof.kind for proof in proofs]
    # A note on the delivery's history, sent to no one: the recipient hears of moves.
    DeliveryEvent.objects.create(
        delivery=locked,
        kind=EventKind.PROOF,
        from_status=locked.status,
        to_status=locked.status,
        at=now,
        actor=actor,
        note=EVENT_NOTE.format(kinds=", ".join(kinds)),
        notified_at=now,
    )
    webhook_emit(
        event_type=EventType.DELIVERY_PROOF_ADDED,
        data=lambda: {
            **delivery_rendered(locked.pk),
            "proofs": [
                {"id": proof.pk, "kind": proof.kind, "captured_at": proof.captured_at}
                for proof in proofs
            ],
        },
    )
    return proofs
