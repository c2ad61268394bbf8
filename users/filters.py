import django_filters

from logitrack.filters import BooleanFilter, FilterSet
from users.models import Role, User


class UserFilter(FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = BooleanFilter()

    class Meta:
        model = User
        fields = ["role", "is_active"]
