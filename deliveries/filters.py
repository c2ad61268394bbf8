import django_filters
from django.db.models import Q

from deliveries.models import Delivery, DeliveryStatus
from logitrack.filters import FilterSet

SEARCH_FIELDS = ("tracking_code", "recipient_name", "origin_address", "destination_address")


class DeliveryFilter(FilterSet):
    """The delivery list's filters; reports take the same keys."""

    # No join can repeat a delivery, so no DISTINCT (it would sort every match).
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices, distinct=False)
    vehicle = django_filters.NumberFilter(field_name="vehicle_id")
    driver = django_filters.NumberFilter(field_name="driver_id")
    scheduled_after = django_filters.IsoDateTimeFilter(
        field_name="scheduled_for", lookup_expr="gte"
    )
    scheduled_before = django_filters.IsoDateTimeFilter(
        field_name="scheduled_for", lookup_expr="lte"
    )
    search = django_filters.CharFilter(
        method="filter_search", label="Tracking code, recipient or address contains"
    )

    class Meta:
        model = Delivery
        fields = ["status", "vehicle", "driver", "scheduled_after", "scheduled_before", "search"]

    def filter_search(self, queryset, name, value):
        """Every word must match one of ``SEARCH_FIELDS`` (case-insensitive)."""
        for word in value.split():
            queryset = queryset.filter(
                Q.create([(f"{field}__icontains", word) for field in SEARCH_FIELDS], Q.OR)
            )
        return queryset
