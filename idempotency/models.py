from django.conf import settings
from django.db import models


class IdempotentRequest(models.Model):
    """A ``POST`` sent with an ``Idempotency-Key``: claimed while it runs, then holding its
    answer for repeats, until ``expires_at``."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path and the body.
    fingerprint = models.CharField(max_length=64)
    done = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_one_per_owner_key")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.key}"
