"""The dashboard's long lists joined in Python: a province zone's map and missing list have
hundreds of rows, and a template node (or a format_html call) per cell would cost more than
the rest of the page. Only the organizations' names are text users typed: they are escaped."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def map_cells(cells):
    """A map row's twelve cells: (state, glyph, label) each, titled with its month; all three
    are the dashboard's own words."""
    return mark_safe(
        "".join(
            f'<td class="map-cell state-{state}" title="{month}月：{label}">{glyph}</td>'
            for month, (state, glyph, label) in enumerate(cells, 1)
        )
    )


@register.simple_tag
def missing_items(rows, routine):
    """The organizations of one committee still to enter, each linked to where to act."""
    items = "".join(
        f'<li><a href="{escape(row["link"])}">{escape(row["name"])}</a> '
        f'<span class="small text-body-secondary">已录 {int(row["entered"])}/{int(routine)} 项</span></li>'
        for row in rows
    )
    return mark_safe(f'<ul class="list-unstyled ms-3 mb-1">{items}</ul>')
