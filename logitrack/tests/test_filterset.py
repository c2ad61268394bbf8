"""FilterSets build their form class once, and still validate every request."""

import django_filters
import pytest

from deliveries.models import Delivery
from fleet.models import Vehicle
from logitrack.filters import FilterSet

pytestmark = pytest.mark.django_db

URL = "/api/v1/deliveries/"


def test_the_form_class_is_built_once_and_every_request_is_validated(
    dispatcher_client, monkeypatch
):
    assert dispatcher_client.get(URL, {"status": "assigned"}).status_code == 200

    def built_again(self):
        raise AssertionError("the form class was built again")

    monkeypatch.setattr(django_filters.FilterSet, "get_form_class", built_again)
    assert dispatcher_client.get(URL, {"status": "pending", "vehicle": "7"}).status_code == 200
    refused = dispatcher_client.get(URL, {"status": "lost", "vehicle": "x"})

    assert refused.status_code == 400
    assert {error["attr"] for error in refused.json()["errors"]} == {"status", "vehicle"}
    assert dispatcher_client.get(URL, {"status": "pending"}).status_code == 200


def test_a_filterset_whose_choices_depend_on_the_request_builds_it_each_time(rf):
    class PerRequest(FilterSet):
        vehicle = django_filters.ModelChoiceFilter(queryset=lambda request: Vehicle.objects.all())

        class Meta:
            model = Delivery
            fields = ["vehicle"]

    request = rf.get(URL)
    first = PerRequest({}, request=request).get_form_class()
    again = PerRequest({}, request=request).get_form_class()
    assert first is not again  # its choices may differ from request to request
