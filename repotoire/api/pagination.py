from __future__ import annotations

from typing import Any

from rest_framework import pagination

from repotoire.api.exceptions import ValidationFailed

_PAGE_MESSAGE = "A positive integer is required."


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M`` (M ≤ 100); body {count, next, previous, results}.

    A page that is not a positive integer is a validation error (400); a page past the last
    one stays DRF's 404."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        page_number = super().get_page_number(request, paginator)
        try:
            number = int(page_number)
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            raise ValidationFailed(f"page: {_PAGE_MESSAGE}", fields={"page": [_PAGE_MESSAGE]})
        return number
