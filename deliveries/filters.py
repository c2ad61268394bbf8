import django_filters
from django.db.models import Q
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus, late_q
from logitrack.filters import (
    SEARCH_MAX_CHARACTERS,
    SEARCH_MAX_WORDS,
    BooleanFilter,
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
    late = BooleanFilter(
        method="filter_late",
        label="Late (true) or not (false): unfinished past its deadline (the end of its "
        "time window, else scheduled_for), or delivered after it",
    )
    search = django_filters.CharFilter(
        method="filter_search",
        label="Tracking code, recipient or address contains "
        f"(at most {SEARCH_MAX_WORDS} words, {SEARCH_MAX_CHARACTERS} characters)",
        validators=[validate_search],
    )

    class Meta:
        model = Delivery
        fields = [
            "status",
            "vehicle",
            "driver",
            "scheduled_after",
            "scheduled_before",
            "late",
            "search",
        ]

    def filter_late(self, queryset, name, value):
        late = late_q(timezone.now())
        return queryset.filter(late if value else ~late)

    def filter_search(self, queryset, name, value):
        """Every word must match one of ``SEARCH_FIELDS`` (case-insensitive)."""
        return queryset.filter(
            *(
                Q.create([(f"{field}__icontains", word) for field in SEARCH_FIELDS], Q.OR)
                for word in value.split()
            )
        )
