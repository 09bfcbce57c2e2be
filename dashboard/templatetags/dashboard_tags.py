"""Small template helpers of the dashboard (formatting only, no queries)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dashboard import charts, highlight

register = template.Library()


@register.filter
def sparkline(values: list[float]) -> SafeString:
    return charts.sparkline(values)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key, mapping.get(str(key)))
    return None


@register.filter
def grade_badge(grade: str) -> SafeString:
    if not grade:
        return format_html('<span class="muted">{}</span>', "—")
    return format_html('<span class="grade grade-{}" title="Grade {}">{}</span>', grade[:1], grade, grade)


@register.filter
def severity_badge(severity: str) -> SafeString:
    return format_html('<span class="sev sev-{}">{}</span>', severity, severity)


@register.filter
def status_badge(status: str) -> SafeString:
    return format_html('<span class="status status-{}">{}</span>', status, str(status).replace("_", " "))


@register.filter
def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@register.filter
def highlighted(code: str, language: str) -> SafeString:
    """A code snippet syntax-highlighted on the server (see ``dashboard.highlight``)."""
    return highlight.highlight(code, language)


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with ``changes`` applied (None removes a key); for pager/sort links."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def attr_of(obj: Any, name: str) -> Any:
    return getattr(obj, name, None)
