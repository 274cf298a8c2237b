"""`{% url %}` as Django's, with each answer remembered by the process.

Reversing a URL walks the URL patterns and asks the active language (tens of microseconds); the
navigation alone reverses a dozen on every page. The URL patterns do not change while a process runs,
so an answer is kept per (name, arguments, current app, script prefix, URLconf). Arguments other than
strings and integers (a model instance, whose str() may change) are reversed every time. Installed as a
template builtin (settings.TEMPLATES), so it replaces the built-in tag in every template.
"""

import functools

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

_CACHEABLE = (str, int)


@functools.lru_cache(maxsize=4096)
def _reverse(view_name, args: tuple, kwargs: tuple, current_app, _prefix: str, urlconf) -> str:
    return reverse(view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


def cached_reverse(view_name, args: list, kwargs: dict, current_app) -> str:
    values = (*args, *kwargs.values())
    if isinstance(view_name, str) and all(isinstance(v, _CACHEABLE) for v in values):
        key = tuple(sorted(kwargs.items()))
        return _reverse(view_name, tuple(args), key, current_app, get_script_prefix(), get_urlconf())
    return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)


class CachedURLNode(defaulttags.URLNode):
    def render(self, context):
        # Django's URLNode.render, with cached_reverse for reverse.
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = cached_reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
