"""API list pages (core/api/pagination.py): `page_size` honoured up to the maximum, clamped above it, refused
when it is not a positive whole number. No server: the paginator works on a list."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.api.pagination import Pages
from core.errors import InvalidInput


def page(params: dict, items=range(1, 1001)):
    paginator = Pages()
    request = Request(APIRequestFactory().get("/api/v1/things/", params))
    return paginator, paginator.paginate_queryset(list(items), request)


def test_page_size_is_honoured(settings):
    settings.API_MAX_PAGE_SIZE = 200
    paginator, found = page({"page_size": "7", "page": "2"})
    assert found == list(range(8, 15))
    assert "page_size=7" in paginator.get_next_link() and "page=3" in paginator.get_next_link()


def test_without_page_size_the_default_applies(settings):
    _, found = page({})
    assert len(found) == settings.REST_FRAMEWORK["PAGE_SIZE"]


def test_a_page_size_above_the_maximum_is_clamped_and_the_links_say_the_size_used(settings):
    settings.API_MAX_PAGE_SIZE = 200
    paginator, found = page({"page_size": "5000"})
    assert len(found) == 200
    assert "page_size=200" in paginator.get_next_link()


@pytest.mark.parametrize("bad", ["0", "-3", "ten", "1.5", "9999999999"])
def test_a_page_size_that_is_not_a_positive_whole_number_is_refused(bad):
    with pytest.raises(InvalidInput) as caught:
        page({"page_size": bad})
    assert caught.value.errors == {"page_size": ["A whole number of items from 1 up."]}
