from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (default 25; larger asks are capped at 100)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
