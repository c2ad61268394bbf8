"""``Idempotency-Key`` on every ``POST`` under ``/api/v1/`` (sign-in and the other auth
endpoints, and the creation of an API key, aside): see ``services.idempotency``. Keys are
kept per signed-in user (an API key signs in as its own account), so two clients never
see each other's answers."""

import re
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from logitrack.middleware import error_response
from services.exceptions import Conflict
from services.idempotency import (
    StoredAnswer,
    idempotency_claim,
    idempotency_complete,
    request_fingerprint,
)
from users.models import User

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
API_PATH = "/api/v1/"
# Answers never kept: those of the auth endpoints (sign-in and the rest), and the creation
# of an API key, whose answer holds the key, to be shown once only.
EXEMPT_PREFIX = "/api/v1/auth/"
# Answers that show a secret once (an API key, a webhook endpoint's signing secret) are
# never kept: a repeat would show the secret again to whoever holds the key.
EXEMPT_PATHS = re.compile(r"/api/v1/(api-keys/|webhooks/|webhooks/[^/]+/rotate-secret/)")
KEY = re.compile(r"[\x20-\x7e]{1,255}")  # printable ASCII
INVALID_KEY = "An Idempotency-Key is 1 to 255 printable ASCII characters."


def is_exempt(path: str) -> bool:
    """Whether a ``POST`` to ``path`` ignores its Idempotency-Key."""
    return path.startswith(EXEMPT_PREFIX) or EXEMPT_PATHS.fullmatch(path) is not None


def _signed_in_user(request) -> User | None:
    """Who the API will take the request to come from, or ``None`` (it will answer 401)."""
    wrapped = Request(request)
    authentication_classes: list[Any] = list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    for authentication_class in authentication_classes:
        try:
            found = authentication_class().authenticate(wrapped)
        except APIException:
            return None
        if found is not None:
            return found[0]
    return None


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method != "POST"
            or not request.path.startswith(API_PATH)
            or is_exempt(request.path)
        ):
            return self.get_response(request)
        if not KEY.fullmatch(key) or not key.strip():
            return error_response(400, "invalid_idempotency_key", INVALID_KEY)
        owner = _signed_in_user(request)
        try:
            body = request.body
        except RequestDataTooBig:
            owner = None  # the view answers 413
        if owner is None:
            return self.get_response(request)
        fingerprint = request_fingerprint(request.method, request.get_full_path(), body)
        try:
            stored = idempotency_claim(owner=owner, key=key, fingerprint=fingerprint)
        except Conflict as refused:
            return error_response(refused.status_code, refused.code, refused.detail)
        if stored is not None:
            response = HttpResponse(
                stored.body, status=stored.status_code, content_type=stored.content_type
            )
            response[REPLAYED_HEADER] = "true"
            return response
        return self._answer(request, owner, key)

    def _answer(self, request, owner: User, key: str):
        try:
            response = self.get_response(request)
        except BaseException:
            idempotency_complete(owner=owner, key=key, answer=StoredAnswer(500, "", b""))
            raise
        answer = StoredAnswer(
            response.status_code,
            response.get("Content-Type", ""),
            b"" if response.streaming else response.content,
        )
        idempotency_complete(owner=owner, key=key, answer=answer)
        return response
