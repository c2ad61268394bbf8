from django.db.models import QuerySet

from apikeys.models import ApiKey


def api_key_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.order_by("-created", "-id")


def api_key_get_by_prefix(prefix: str) -> ApiKey | None:
    """The key whose prefix this is, with its account (one query), or ``None``."""
    return ApiKey.objects.select_related("user").filter(prefix=prefix).first()
