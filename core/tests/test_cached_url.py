"""{% url %} (replaced by core/templatetags/cached_url.py) answers as Django's does, from memory the
second time."""

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse

from core.templatetags.cached_url import _reverse


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_same_answers_as_django_and_remembered():
    _reverse.cache_clear()
    source = "{% url 'reports:report' slug %}|{% url 'billing:invoice' invoice_id=n %}|{% url 'billing:invoices' %}"
    expected = "|".join(
        [
            reverse("reports:report", args=["ar-aging"]),
            reverse("billing:invoice", kwargs={"invoice_id": 7}),
            "/billing/invoices/",
        ]
    )
    assert render(source, slug="ar-aging", n=7) == expected
    assert _reverse.cache_info().hits == 0
    assert render(source, slug="ar-aging", n=7) == expected
    assert _reverse.cache_info().hits == 3
    assert render("{% url 'billing:invoice' n %}", n=8) == "/billing/invoices/8/"


def test_as_variable_escaping_and_errors_as_django():
    assert (
        render("{% url 'reports:report' s as link %}[{{ link }}]", s="ar-aging")
        == f"[{reverse('reports:report', args=['ar-aging'])}]"
    )
    assert render("{% url 'no-such-view' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-view' %}")
    with pytest.raises(NoReverseMatch):
        render("{% url 'billing:invoice' 'not-a-number' %}")


def test_other_arguments_are_reversed_every_time():
    class Thing:
        def __str__(self):
            return "9"

    _reverse.cache_clear()
    assert render("{% url 'billing:invoice' thing %}", thing=Thing()) == "/billing/invoices/9/"
    assert _reverse.cache_info().currsize == 0
