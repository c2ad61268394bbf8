import django_filters
from django.db.models import Q

from deliveries.models import Delivery, DeliveryStatus
from logitrack.filters import (
    SEARCH_MAX_CHARACTERS,
    SEARCH_MAX_WORDS,
    DateTimeFilter,
    FilterSet,
    IdFilter,
    validate_search,
)

SEARCH_FIELDS = ("tracking_code", "recipient_name", "origin_address", "destination_address")


class DeliveryFilter(FilterSet):
    """The delivery list's filters; reports take the same keys."""

    # No join can repeat a delivery, so no DISTINCT (it would sort every match).
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices, distinct=False)
    vehicle = IdFilter(field_name="vehicle_id")
    driver = IdFilter(field_name="driver_id")
    scheduled_after = DateTimeFilter(field_name="scheduled_for", lookup_expr="gte")
    scheduled_before = DateTimeFilter(field_name="scheduled_for", lookup_expr="lte")
    search = django_filters.CharFilter(
        method="filter_search",
        label="Tracking code, recipient or address contains "
        f"(at most {SEARCH_MAX_WORDS} words, {SEARCH_MAX_CHARACTERS} characters)",
        validators=[validate_search],
    )

    class Meta:
        model = Delivery
        fields = ["status", "vehicle", "driver", "scheduled_after", "scheduled_before", "search"]

    def filter_search(self, queryset, name, value):
        """Every word must match one of ``SEARCH_FIELDS`` (case-insensitive)."""
        return queryset.filter(
            *(
                Q.create([(f"{field}__icontains", word) for field in SEARCH_FIELDS], Q.OR)
                for word in value.split()
            )
        )
