"""Pages of a list: `page` and `page_size`, the size clamped to API_MAX_PAGE_SIZE (never refused)."""

from django.conf import settings
from rest_framework.pagination import PageNumberPagination
from rest_framework.utils.urls import replace_query_param

from core.errors import InvalidInput


class Pages(PageNumberPagination):
    """`?page_size=N` asks for N items a page (default REST_FRAMEWORK["PAGE_SIZE"]). A size above the
    maximum is clamped to it, not refused: the answer's `results` then hold fewer than asked and `next`
    links carry the size used. A size that is not a positive whole number is refused (400)."""

    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:  # read per request (settings are not read at import time)
        return settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
            raise InvalidInput("A whole number of items from 1 up.", field=self.page_size_query_param)
        return min(int(raw), self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.used_page_size = self.get_page_size(request)
        return super().paginate_queryset(queryset, request, view)

    def _with_size_used(self, url: str | None) -> str | None:
        if url is None or self.page_size_query_param not in self.request.query_params:
            return url
        return replace_query_param(url, self.page_size_query_param, self.used_page_size)

    def get_next_link(self):
        return self._with_size_used(super().get_next_link())

    def get_previous_link(self):
        return self._with_size_used(super().get_previous_link())

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Items per page (default {self.page_size}). Sizes above {self.max_page_size} are clamped to "
                    f"{self.max_page_size}: the page then holds fewer items than asked and its `next` link keeps "
                    "the size used."
                )
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_query_param:
                parameter["description"] = "The page to return, from 1 (404 past the last page)."
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters
