"""The entry grid's cells, built in Python: a month page has over a thousand of them, and the
template language spends most of the page's time on such loops."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from ..rules import format_points

register = template.Library()


@register.simple_tag
def grid_cells(cells, editable):
    """`<td><input class="cell">` for each (value, version, note, room, records) of a row: the
    room (services.points.Room) the item's quarter leaves the cell's month rides along, for the
    browser to show; values and versions are numbers we formatted, notes are escaped. A cell
    with work records behind it links to them (count, awarded, url of the records app)."""
    locked = "" if editable else ' readonly tabindex="-1"'
    parts = []
    for value, version, note, room, records in cells:
        noted = f' data-note="{escape(note)}"' if note else ""
        link = ""
        if records:
            count, awarded, url = records
            noted += f' data-records="{count}" data-awarded="{awarded}"'
            link = (
                f'<a class="rec" href="{escape(url)}" target="_blank" tabindex="-1" '
                f'title="{count} 条工作记录，已采纳 {awarded} 条">{count}</a>'
            )
        parts.append(
            f'<td class="c{" n" if note else ""}">{link}<input class="cell" value="{value}" '
            f'data-v="{version}" data-used="{format_points(room.used)}" '
            f'data-left="{format_points(room.left)}"{noted}{locked}></td>'
        )
    return mark_safe("".join(parts))
