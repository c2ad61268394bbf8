import datetime as dt

import pytest
from django.utils import timezone

from locations.models import LocationPoint
from locations.tasks import purge_old_locations
from locations.tests.factories import LocationPointFactory
from services.locations import location_purge

pytestmark = pytest.mark.django_db


def test_points_older_than_the_retention_are_purged_in_batches(settings, driver):
    settings.LOCATION_RETENTION_DAYS = 30
    now = timezone.now()
    for days in (31, 40, 90, 30.5, 45, 33, 60):
        LocationPointFactory(driver=driver, recorded_at=now - dt.timedelta(days=days))
    kept = [
        LocationPointFactory(driver=driver, recorded_at=now - dt.timedelta(days=days))
        for days in (29.9, 1, 0)
    ]

    assert location_purge(now=now, batch_size=3) == 7
    assert set(LocationPoint.objects.all()) == set(kept)


def test_the_retention_is_a_setting_and_the_task_purges(settings, driver):
    settings.LOCATION_RETENTION_DAYS = 2
    LocationPointFactory(driver=driver, recorded_at=timezone.now() - dt.timedelta(days=3))
    fresh = LocationPointFactory(driver=driver, recorded_at=timezone.now() - dt.timedelta(days=1))

    assert purge_old_locations.delay().get() == 1
    assert list(LocationPoint.objects.all()) == [fresh]
