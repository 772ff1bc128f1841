"""The entry grid's cells, built in Python: a month page has over a thousand of them, and the
template language spends most of the page's time on such loops."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def grid_cells(cells, editable):
    """`<td><input class="cell">` for each (value, version, note, used) of a row; values and
    versions are numbers we formatted, notes are escaped."""
    locked = "" if editable else ' readonly tabindex="-1"'
    parts = []
    for value, version, note, used in cells:
        noted = f' data-note="{escape(note)}"' if note else ""
        extra = f' data-used="{used}"' if used else ""
        parts.append(
            f'<td class="c{" n" if note else ""}"><input class="cell" value="{value}" '
            f'data-v="{version}"{noted}{extra}{locked}></td>'
        )
    return mark_safe("".join(parts))
