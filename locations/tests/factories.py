import datetime as dt

import factory
from django.utils import timezone

from locations.models import LocationPoint
from users.tests.factories import UserFactory


class LocationPointFactory(factory.django.DjangoModelFactory[LocationPoint]):
    """A point in Amsterdam, recorded a minute ago."""

    class Meta:
        model = LocationPoint

    driver = factory.SubFactory(UserFactory)
    lat = 52.3676
    lng = 4.9041
    recorded_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1))
    received_at = factory.LazyFunction(timezone.now)
