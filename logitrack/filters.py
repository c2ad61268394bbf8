import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django_filters.filters import QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters
from rest_framework.exceptions import ErrorDetail, ValidationError

from logitrack.fields import MAX_ID
from logitrack.memo import Memo

# A search is a few words: each word costs a pass over every searched column.
SEARCH_MAX_WORDS = 5
SEARCH_MAX_CHARACTERS = 100
SEARCH_TOO_LONG = (
    f"Search with at most {SEARCH_MAX_WORDS} words and {SEARCH_MAX_CHARACTERS} characters."
)


def validate_search(value: str) -> None:
    """``search_too_long`` for a search longer than the limits above."""
    if len(value) > SEARCH_MAX_CHARACTERS or len(value.split()) > SEARCH_MAX_WORDS:
        raise DjangoValidationError(SEARCH_TOO_LONG, code="search_too_long")


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet with its form class built once per FilterSet class.

    django-filter builds a new form class, with a new form field per filter, on every
    request. When no filter's choices depend on the request (no ``QuerySetRequestMixin``
    filter), the class is the same every time, so the first one is kept; each request
    still gets its own form instance, validated as before.
    """

    def get_form_class(self):
        if any(isinstance(f, QuerySetRequestMixin) for f in self.filters.values()):
            return super().get_form_class()
        form_class = _form_classes.get(type(self), None)
        if form_class is None:
            form_class = super().get_form_class()
            _form_classes.set(type(self), form_class)
        return form_class


_form_classes = Memo(limit=64, ttl=3600)


BLANK_FILTER = "Give a value, or leave the filter out."


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the request names none of the view's
    filters: building and validating the FilterSet's form costs about a millisecond,
    which a plain list request need not pay. A filter named with no value
    (``?status=``) is ``400 blank`` rather than no filter at all; free text may be empty."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        named = [name for name in filterset_class.base_filters if name in request.query_params]
        if not named:
            return queryset
        blank = {
            name: [ErrorDetail(BLANK_FILTER, code="blank")]
            for name in named
            if not isinstance(filterset_class.base_filters[name], django_filters.CharFilter)
            and "" in request.query_params.getlist(name)
        }
        if blank:
            raise ValidationError(blank)
        return super().filter_queryset(request, queryset, view)


class SearchFilter(filters.SearchFilter):
    """DRF's ``?search=``, refused (``400 search_too_long``) past the limits above."""

    def get_search_terms(self, request):
        try:
            validate_search(request.query_params.get(self.search_param, ""))
        except DjangoValidationError as exc:
            detail = ErrorDetail(exc.messages[0], code=exc.code)
            raise ValidationError({self.search_param: [detail]}) from exc
        return super().get_search_terms(request)


class IdFilter(django_filters.NumberFilter):
    """An id: a whole number (``?vehicle=1.5`` is ``400 invalid``)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _TrueOrFalse(forms.Field):
    """``true``/``false`` (or ``1``/``0``), anything else ``400 invalid``."""

    default_error_messages = {"invalid": "Enter true or false."}
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise DjangoValidationError(self.error_messages["invalid"], code="invalid") from None


class BooleanFilter(django_filters.BooleanFilter):
    """django-filter's BooleanFilter, which takes an unknown value for no filter at all;
    this one refuses it."""

    field_class = _TrueOrFalse


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time, compared in UTC: any offset a client writes (PostgreSQL
    refuses those past ±15:59) is turned into UTC first."""

    def filter(self, qs, value):
        if value is not None and timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return super().filter(qs, value)
