import base64
import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import SplitResult, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Expression, F, Q, QuerySet
from rest_framework import exceptions, pagination
from rest_framework.exceptions import ErrorDetail, NotFound

INVALID_CURSOR = "Invalid cursor."
INVALID_PAGE = "Invalid page."


INVALID_PAGE_SIZE = "Give the page size as a whole number from 1."


def _whole_number(request, name: str) -> int | None:
    """The query parameter as a whole number of plain digits; ``None`` when absent, and
    ``ValueError`` for anything else (text, a sign, several values)."""
    given = request.query_params.getlist(name)
    if not given:
        return None
    if len(given) > 1 or not given[0].isascii() or not given[0].isdigit():
        raise ValueError(name)
    return int(given[0])


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (default 25; larger asks are capped at 100). A page
    that is not a whole number from 1 is ``404``, as a page past the last; a page size
    that is not one is ``400 invalid``."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        try:
            size = _whole_number(request, self.page_size_query_param)
        except ValueError:
            size = 0
        if size is None:
            return self.page_size
        if size < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [ErrorDetail(INVALID_PAGE_SIZE, code="invalid")]}
            )
        return min(size, self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        try:
            number = _whole_number(request, self.page_query_param)
        except ValueError as exc:
            raise NotFound(INVALID_PAGE) from exc
        return 1 if number is None else number


class RowComparison(Expression):
    """``(a, b, …) < (x, y, …)`` (``>`` unless ``less``): one SQL row comparison, which a
    B-tree index on those columns serves as a range scan, and which compiles in a
    fraction of the time of the equivalent ``OR``/``AND`` tree."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, fields: Sequence[str], values: Sequence[Any], *, less: bool):
        super().__init__()
        self.columns: list[Any] = [F(name) for name in fields]
        self.values = list(values)
        self.less = less

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def resolve_expression(
        self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False
    ):
        resolved = self.copy()
        resolved.columns = [
            column.resolve_expression(query, allow_joins, reuse, summarize, for_save)
            for column in self.columns
        ]
        return resolved

    def as_sql(self, compiler, connection):
        columns, params = [], []
        for column in self.columns:
            sql, column_params = compiler.compile(column)
            columns.append(sql)
            params.extend(column_params)
        params.extend(
            column.output_field.get_db_prep_value(value, connection)
            for column, value in zip(self.columns, self.values, strict=True)
        )
        placeholders = ", ".join(["%s"] * len(self.values))
        operator = "<" if self.less else ">"
        return f"({', '.join(columns)}) {operator} ({placeholders})", params


def keyset_condition(
    ordering: Sequence[tuple[str, bool]], values: Sequence[Any], *, forward: bool
) -> Q | RowComparison:
    """Rows strictly after (``forward``) or before the row with ``values`` in ``ordering``
    (``(field, descending)`` pairs ending in a unique field; the values already the
    fields' Python values).

    When every field runs the same way (the API's orderings always do) this is one row
    comparison. Otherwise it is the expanded form, with the first field also bounded on
    its own (``<=``/``>=``) so the database can start an index range scan there.
    """
    if len({descending for _, descending in ordering}) == 1:
        descending = ordering[0][1]
        return RowComparison([field for field, _ in ordering], values, less=descending == forward)
    after = None
    for index, (field, descending) in enumerate(ordering):
        step = Q(
            *((ordering[earlier][0], values[earlier]) for earlier in range(index)),
            (f"{field}__{'lt' if descending == forward else 'gt'}", values[index]),
        )
        after = step if after is None else after | step
    first, descending = ordering[0]
    bound = Q(**{f"{first}__{'lte' if descending == forward else 'gte'}": values[0]})
    return bound & after if after is not None else bound


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class KeysetPagination(PageNumberPagination):
    """The contract's ``{count, next, previous, results}`` at a cost that does not grow
    with the depth of the page.

    ``?page=N`` still works (an OFFSET, for a direct jump), but the ``next`` and
    ``previous`` links carry a ``cursor``: the ordering values of the last (first) row
    of the page, so the following page is an index range scan that starts right there.
    ``count`` is exact and comes from ``count()``, which the caller may cache.
    """

    cursor_query_param = "cursor"

    def paginate_rows(
        self,
        queryset: QuerySet,
        request,
        *,
        count: Callable[[], int],
        fetch: Callable[[QuerySet], list[dict]],
    ) -> list[dict]:
        """The page of ``queryset`` (ordered by plain fields ending in a unique one) that
        ``request`` asks for, as ``fetch`` reads a slice of it: dicts that carry the
        ordering fields under their names."""
        self.request = request
        self._url: SplitResult | None = None
        self.page_size = self.get_page_size(request) or self.page_size
        self.ordering = [
            (str(name).lstrip("-"), str(name).startswith("-")) for name in queryset.query.order_by
        ]
        raw_cursor = request.query_params.get(self.cursor_query_param)
        if raw_cursor is not None:
            position, backwards = self._decode(raw_cursor, queryset.model)
            window = queryset.filter(
                keyset_condition(self.ordering, position, forward=not backwards)
            )
            if backwards:
                window = window.reverse()
            rows = fetch(window[: self.page_size + 1])
            more = len(rows) > self.page_size
            rows = rows[: self.page_size]
            if backwards:
                rows.reverse()
            self.has_next, self.has_previous = (True, more) if backwards else (more, True)
            self.count = count()
        else:
            number = self._page_number(request)
            offset = (number - 1) * self.page_size
            self.count = count()
            if offset and offset >= self.count:  # past the last page, however far
                raise NotFound(INVALID_PAGE)
            rows = fetch(queryset[offset : offset + self.page_size + 1])
            self.has_next = len(rows) > self.page_size
            self.has_previous = number > 1
            rows = rows[: self.page_size]
        self.rows = rows
        return rows

    def response_body(self, results: list) -> dict:
        return {
            "count": self.count,
            "next": self._link(self.rows[-1], backwards=False) if self.has_next else None,
            "previous": self._link(self.rows[0], backwards=True)
            if self.has_previous and self.rows
            else None,
            "results": results,
        }

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Position from a `next` or `previous` link (keyset).",
                "schema": {"type": "string"},
            },
        ]

    def _page_number(self, request) -> int:
        number = self.get_page_number(request, None)
        if number < 1:
            raise NotFound(INVALID_PAGE)
        return number

    def _link(self, row: dict, *, backwards: bool) -> str:
        """This request's URL with ``cursor`` set to ``row``'s position and no ``page``;
        the query parameters sorted, as DRF's ``replace_query_param`` writes them."""
        values = [_plain(row[field]) for field, _ in self.ordering]
        token = base64.urlsafe_b64encode(
            json.dumps([values, backwards], separators=(",", ":")).encode()
        ).decode()
        if self._url is None:  # once per request, for both links
            request = self.request
            assert request is not None  # noqa: S101 - set by paginate_rows
            self._url = urlsplit(request.build_absolute_uri())
            self._params = {
                key: given
                for key, given in request.query_params.lists()
                if key not in (self.page_query_param, self.cursor_query_param)
            }
        params = sorted({**self._params, self.cursor_query_param: [token]}.items())
        return str(urlunsplit(self._url._replace(query=urlencode(params, doseq=True))))

    def _decode(self, raw: str, model) -> tuple[list, bool]:
        """The position (as the ordering fields' Python values) and direction a cursor
        carries; 404 for anything this pagination did not write."""
        try:
            values, backwards = json.loads(base64.urlsafe_b64decode(raw.encode()))
        except (ValueError, TypeError) as exc:
            raise NotFound(INVALID_CURSOR) from exc
        if not isinstance(values, list) or len(values) != len(self.ordering):
            raise NotFound(INVALID_CURSOR)
        try:
            position = [
                model._meta.get_field(field).to_python(value)
                for (field, _), value in zip(self.ordering, values, strict=True)
            ]
        except (ValidationError, ValueError, TypeError) as exc:
            raise NotFound(INVALID_CURSOR) from exc
        if any(value is None for value in position):
            raise NotFound(INVALID_CURSOR)
        return position, bool(backwards)
