from celery import shared_task

from services.locations import location_purge


@shared_task
def purge_old_locations() -> int:
    return location_purge()
