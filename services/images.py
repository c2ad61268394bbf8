"""Uploaded images made safe to keep: checked by their content, bounded, re-encoded.

The type is what Pillow finds in the bytes (never the file name or the Content-Type the
client sent), among the formats allowed. The size is checked before anything is decoded
and the pixel count before the pixels are (a small file may claim 100,000 × 100,000
pixels). The image is then decoded once and written afresh, turned upright by its EXIF
orientation, from its pixels alone: EXIF (GPS position, camera serial), ICC profiles,
comments and any bytes appended after the image are gone.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from services.exceptions import FileTooLarge, InvalidImage

# Pillow format → (file extension, content type, modes written as they are).
FORMATS = {
    "JPEG": ("jpg", "image/jpeg", ("L", "RGB")),
    "PNG": ("png", "image/png", ("1", "L", "LA", "RGB", "RGBA")),
    "WEBP": ("webp", "image/webp", ("RGB", "RGBA")),
}
SAVE_OPTIONS: dict[str, dict[str, int | bool]] = {
    "JPEG": {"quality": 90, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 90},
}
NOT_AN_IMAGE = "its content is not {formats}."
TOO_MANY_PIXELS = "it has {pixels} pixels; at most {limit} are taken."
TOO_MANY_PIXELS_PILLOW = "it has too many pixels."
UNREADABLE = "it could not be read as an image."


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    content_type: str


def _identified(upload: UploadedFile, formats: tuple[str, ...], field: str) -> str:
    """The image's format, found in its content; its header and pixel count checked,
    nothing decoded."""
    upload.seek(0)
    try:
        with Image.open(upload, formats=list(formats)) as probe:
            pixels = probe.width * probe.height
            if pixels > settings.PROOF_MAX_PIXELS:
                raise InvalidImage(
                    field=field,
                    reason=TOO_MANY_PIXELS.format(pixels=pixels, limit=settings.PROOF_MAX_PIXELS),
                    attr=field,
                )
            image_format = str(probe.format)
            probe.verify()
    except Image.DecompressionBombError as exc:  # past Pillow's own limit, twice ours or more
        raise InvalidImage(field=field, reason=TOO_MANY_PIXELS_PILLOW, attr=field) from exc
    except UnidentifiedImageError as exc:
        raise InvalidImage(
            field=field, reason=NOT_AN_IMAGE.format(formats=" or ".join(formats)), attr=field
        ) from exc
    return image_format


def _reencoded(upload: UploadedFile, image_format: str) -> bytes:
    """The image decoded once and written from its pixels alone, in its own format."""
    upload.seek(0)
    _, _, modes = FORMATS[image_format]
    with Image.open(upload, formats=[image_format]) as image:
        upright = ImageOps.exif_transpose(image)
        if upright.mode not in modes:
            has_alpha = "A" in upright.getbands() or "transparency" in upright.info
            upright = upright.convert("RGBA" if has_alpha and "RGBA" in modes else "RGB")
        # A new image of the same pixels carries nothing else of the upload.
        clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    out = io.BytesIO()
    clean.save(out, format=image_format, **SAVE_OPTIONS[image_format])
    return out.getvalue()


def image_clean(
    *, upload: UploadedFile, formats: tuple[str, ...], max_bytes: int, field: str
) -> CleanImage:
    """``upload`` re-encoded in its own format, one of ``formats`` (Pillow's names).

    ``400 file_too_large`` over ``max_bytes``; ``400 invalid_image`` when it is not one of
    those formats, has more than ``PROOF_MAX_PIXELS`` pixels or cannot be decoded."""
    if upload.size is None or upload.size > max_bytes:
        raise FileTooLarge(field=field, limit=max_bytes, attr=field)
    try:
        image_format = _identified(upload, formats, field)
        content = _reencoded(upload, image_format)
    except InvalidImage:
        raise
    except Exception as exc:
        # Truncated or corrupt data, a bomb past Pillow's own limit (DecompressionBombError),
        # odd EXIF or a mode it cannot convert: the client's file, never a server error.
        raise InvalidImage(field=field, reason=UNREADABLE, attr=field) from exc
    extension, content_type, _ = FORMATS[image_format]
    return CleanImage(content=content, extension=extension, content_type=content_type)
