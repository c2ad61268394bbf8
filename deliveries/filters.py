import django_filters

from deliveries.models import Delivery, DeliveryStatus


class DeliveryFilter(django_filters.FilterSet):
    """The delivery list's filters; reports take the same keys."""

    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)
    vehicle = django_filters.NumberFilter(field_name="vehicle_id")
    driver = django_filters.NumberFilter(field_name="driver_id")
    scheduled_after = django_filters.IsoDateTimeFilter(
        field_name="scheduled_for", lookup_expr="gte"
    )
    scheduled_before = django_filters.IsoDateTimeFilter(
        field_name="scheduled_for", lookup_expr="lte"
    )

    class Meta:
        model = Delivery
        fields = ["status", "vehicle", "driver", "scheduled_after", "scheduled_before"]
