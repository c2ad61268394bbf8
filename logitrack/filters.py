import django_filters
from django_filters.filters import QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet with its form class built once per FilterSet class.

    django-filter builds a new form class, with a new form field per filter, on every
    request. When no filter's choices depend on the request (no ``QuerySetRequestMixin``
    filter), the class is the same every time, so the first one is kept; each request
    still gets its own form instance, validated as before.
    """

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            if not any(isinstance(f, QuerySetRequestMixin) for f in self.filters.values()):
                cls._form_class = form_class
        return form_class


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the request names none of the view's
    filters: building and validating the FilterSet's form costs about a millisecond,
    which a plain list request need not pay."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
