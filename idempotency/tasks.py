from celery import shared_task

from services.idempotency import idempotency_purge


@shared_task
def purge_expired_keys() -> int:
    return idempotency_purge()
