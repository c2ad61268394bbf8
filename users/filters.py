import django_filters

from logitrack.filters import FilterSet
from users.models import Role, User


class UserFilter(FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = User
        fields = ["role", "is_active"]
