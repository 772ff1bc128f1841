"""The dashboard's long lists joined in Python: a province zone's map and missing list have
hundreds of rows, and a template node per cell would cost more than the rest of the page."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def map_cells(cells):
    """A map row's twelve cells: (state, glyph, label) each, titled with its month."""
    return format_html_join(
        "",
        '<td class="map-cell state-{}" title="{}月：{}">{}</td>',
        ((state, month, label, glyph) for month, (state, glyph, label) in enumerate(cells, 1)),
    )


@register.simple_tag
def missing_items(rows, routine):
    """The organizations of one committee still to enter, each linked to where to act."""
    return format_html(
        '<ul class="list-unstyled ms-3 mb-1">{}</ul>',
        format_html_join(
            "",
            '<li><a href="{}">{}</a> <span class="small text-body-secondary">已录 {}/{} 项</span></li>',
            ((row["link"], row["name"], row["entered"], routine) for row in rows),
        ),
    )
