import django_filters

from fleet.models import Vehicle, VehicleStatus, VehicleType
from logitrack.filters import FilterSet


class VehicleFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=VehicleStatus.choices)
    vehicle_type = django_filters.ChoiceFilter(choices=VehicleType.choices)

    class Meta:
        model = Vehicle
        fields = ["status", "vehicle_type"]
