"""Charts drawn on the server by pygal as inline SVG: no script, no CDN, readable in Chinese.

pygal always writes its tooltip script (the configuration inline, the code from a CDN) and an
invisible tooltip group that only that script uses; both are dropped from the tree it renders.
Its stylesheet stays, carrying the response's Content-Security-Policy nonce. Every chart's
numbers are also shown as a table beside it, for reading and for screen readers.
"""

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import pygal
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from lxml import etree
from pygal.style import Style

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
# Green, amber, red, grey: on time, late, missing, not yet due; then neutral series colours.
COLOURS = ("#2e7d32", "#f9a825", "#c62828", "#b0bec5", "#1565c0", "#6a1b9a", "#00838f")

STYLE = dict(
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    value_label_font_family=FONT,
    title_font_family=FONT,
    legend_font_family=FONT,
    tooltip_font_family=FONT,
    background="transparent",
    plot_background="transparent",
    foreground="#333",
    foreground_strong="#222",
    foreground_subtle="#ddd",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    title_font_size=15,
)

BASE = {
    "js": [],
    "disable_xml_declaration": True,
    "legend_at_bottom": True,
    "legend_at_bottom_columns": 4,
    "print_values": False,
    "show_y_guides": True,
    "margin": 8,
}


def _config(colours: Sequence[str] = COLOURS, **options):
    return {**BASE, "style": Style(colors=tuple(colours), **STYLE), **options}


# Drawing a chart takes pygal 10–20 ms; its markup depends only on the figures it shows, so it
# is kept under a digest of them (with a stand-in for the response's nonce) and never stale.
CHART_TTL = 24 * 60 * 60
NONCE_SLOT = "pb-chart-nonce"


def svg(build: Callable[..., Any], *figures: Any, nonce: str) -> SafeString:
    """The chart `build(*figures)` draws, as inline SVG whose style carries `nonce`."""
    code = build.__code__
    drawing = (build.__qualname__, code.co_code, code.co_consts, pygal.__version__)
    digest = hashlib.sha256(repr((drawing, figures)).encode()).hexdigest()
    key = f"chart:{digest}"
    markup = cache.get(key)
    if markup is None:
        markup = to_svg(build(*figures), NONCE_SLOT)
        cache.set(key, markup, CHART_TTL)
    return mark_safe(markup.replace(NONCE_SLOT, str(nonce)))


def to_svg(chart: pygal.graph.graph.Graph, nonce: str) -> SafeString:
    """The chart as inline SVG markup without any script; its style element carries `nonce`."""
    tree = chart.render_tree()
    for node in tree.iter("{*}script", "script"):
        node.getparent().remove(node)
    for node in tree.iterfind(".//*[@class='plot tooltip-overlay']"):
        node.getparent().remove(node)
    for node in tree.iter("{*}style", "style"):
        node.set("nonce", str(nonce))
    tree.set("role", "img")
    tree.set("aria-label", chart.config.title or "")
    return mark_safe(etree.tostring(tree, encoding="unicode"))


def stacked_months(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]
) -> pygal.StackedBar:
    """Counts per month, stacked by state in COLOURS' order."""
    chart = pygal.StackedBar(**_config(title=title, width=760, height=300))
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return chart


def horizontal_shares(
    title: str, labels: Sequence[str], shares: Sequence[float | None]
) -> pygal.HorizontalBar:
    """Percentages (0–100) per label, one bar each."""
    height = max(160, 40 + 26 * len(labels))
    # pygal measures labels as Latin text; Chinese characters are about twice as wide.
    widest = max((len(label) for label in labels), default=0)
    chart = pygal.HorizontalBar(
        **_config(
            ("#2e7d32",),
            title=title,
            width=760,
            height=height,
            margin_left=8 + 7 * widest,
            show_legend=False,
            range=(0, 100),
            print_values=True,
            value_formatter=lambda v: f"{v:.0f}%",
        )
    )
    chart.x_labels = list(labels)
    chart.add("按时录完率", list(shares))
    return chart


def stacked_groups(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    colours: Sequence[str],
) -> pygal.StackedBar:
    chart = pygal.StackedBar(
        **_config(colours, title=title, width=560, height=300, print_values=True)
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return chart


def trend(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    line: Sequence[float],
    line_label: str,
) -> pygal.Line:
    """Averages per quarter against the line each should reach (the running quarter's is
    pro-rated), from 0 up."""
    chart = pygal.Line(
        **_config(
            ("#1565c0", "#c62828"),
            title=title,
            width=560,
            height=300,
            print_values=True,
            value_formatter=lambda v: f"{v:.1f}",
            dots_size=4,
            include_x_axis=True,
            margin_right=36,
        )
    )
    chart.x_labels = list(labels)
    chart.add("平均季度得分", list(values))
    chart.add(line_label, list(line), show_dots=False, stroke_style={"dasharray": "6,4"})
    return chart
