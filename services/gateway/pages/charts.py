"""Charts for the pages, drawn on the server as SVG by pygal (no script, nothing fetched
from elsewhere): labelled axes, the value printed on every bar, series named in a legend,
colours that stay apart for the common colour-vision deficiencies. Colour never carries
meaning alone: each chart goes beside a table of the same figures (the page's accessible
form of it), so a chart is only ever a picture of that table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pygal
from pygal.style import Style

# Colours that stay apart for the common colour-vision deficiencies (Okabe and Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#595959",
    colors=PALETTE,
    font_family="system-ui, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=13,
    value_label_font_size=13,
    title_font_size=16,
    legend_font_size=13,
    tooltip_font_size=13,
)


def _options(title: str, x_title: str, y_title: str, **more: Any) -> dict[str, Any]:
    return {
        "title": title,
        "x_title": x_title,
        "y_title": y_title,
        "style": STYLE,
        "js": [],  # pygal's tooltips come from its CDN: none
        "disable_xml_declaration": True,
        "print_values": True,
        "print_zeroes": False,
        "width": 900,
        "height": 420,
        "explicit_size": False,
        "legend_at_bottom": True,
        "truncate_label": -1,
        **more,
    }


def _svg(chart: Any, label: str) -> str:
    svg = str(chart.render(is_unicode=True))
    # One picture with a name for assistive technology (its table carries the figures).
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attribute(label)}" ', 1)


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def bars(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    x_title: str,
    y_title: str,
    horizontal: bool = False,
    stacked: bool = False,
) -> str:
    """A bar chart of ``series`` (name -> one value per label); empty when every value
    is zero or missing (the page says so instead of drawing an empty axis)."""
    if not any(v for values in series.values() for v in values):
        return ""
    kind = {
        (False, False): pygal.Bar,
        (True, False): pygal.HorizontalBar,
        (False, True): pygal.StackedBar,
        (True, True): pygal.HorizontalStackedBar,
    }[(horizontal, stacked)]
    drawn = [float(v) for vs in series.values() for v in vs if v is not None]
    few = {}
    if all(v.is_integer() for v in drawn) and max(drawn) <= 10 and not stacked:
        few = {"y_labels": list(range(0, int(max(drawn)) + 1))}  # counts: whole ticks
    chart = kind(
        **_options(
            title,
            x_title,
            y_title,
            show_legend=len(series) > 1,
            value_formatter=lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}",
            height=max(320, 48 * len(labels) + 160) if horizontal else 420,
            **few,
        )
    )
    # A horizontal chart draws its first label at the bottom: reversed, it reads top down.
    order = list(reversed(range(len(labels)))) if horizontal else list(range(len(labels)))
    chart.x_labels = [labels[i] for i in order]
    for name, values in series.items():
        chart.add(name, [values[i] for i in order])
    return _svg(chart, title)


def lines_over_time(
    title: str,
    series: Mapping[str, Sequence[tuple[datetime, float]]],
    x_title: str,
    y_title: str,
) -> str:
    """Values over time, one line per series, dots marked and valued."""
    chart = pygal.DateTimeLine(
        **_options(
            title,
            x_title,
            y_title,
            x_value_formatter=lambda d: d.strftime("%Y-%m-%d"),
            value_formatter=lambda v: f"{v:,.0f}",
            x_label_rotation=30,
            print_values=False,
            dots_size=4,
        )
    )
    for name, points in series.items():
        chart.add(name, list(points))
    return _svg(chart, title)


def timeline(
    title: str,
    lanes: Sequence[str],
    points: Mapping[str, Sequence[tuple[datetime, str]]],
) -> str:
    """Events on one time axis: one lane (row) per kind of record, a dot per event,
    labelled with its number in the page's list of events (names would overlap where
    events crowd together; the list gives each number its name, who and why)."""
    moments = [at for lane in points.values() for at, _ in lane]
    span = (max(moments) - min(moments)).total_seconds() if moments else 0
    shown = "%H:%M:%S" if span < 86400 else "%Y-%m-%d %H:%M" if span < 60 * 86400 else "%Y-%m-%d"
    chart = pygal.DateTimeLine(
        **_options(
            title,
            "time (UTC)",
            "",
            x_value_formatter=lambda d: d.strftime(shown),
            x_label_rotation=30,
            stroke=False,
            print_values=False,
            print_labels=True,
            dots_size=6,
            show_y_guides=True,
            range=(0.5, len(lanes) + 0.5),
            y_labels=[{"label": lane, "value": n} for n, lane in enumerate(lanes, 1)],
            height=max(360, 70 * len(lanes) + 200),
        )
    )
    for n, lane in enumerate(lanes, 1):
        chart.add(lane, [{"value": (at, n), "label": label} for at, label in points.get(lane, [])])
    return _svg(chart, title)
