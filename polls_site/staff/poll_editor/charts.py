"""Line charts as inline SVG, rendered on the server (no chart library, no inline styles),
and the same numbers as an accessible table.

Colours and strokes come from classes styled in static/staff-polls.css: the Okabe–Ito
palette, which colour-blind readers can tell apart, and for each series its own dash
pattern and marker shape, so lines that overlap or colours that look alike still differ.
A period that is not over yet (the current hour of an open poll) is drawn as such: its
segment dashed and lighter, its point hollow, and named in the tooltip and the table.
Positions are SVG presentation attributes, which a strict CSP allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 12, 28
# Okabe & Ito, "Color Universal Design" (2008), in the order the series take them.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
MARKERS = ("circle", "square", "triangle", "diamond")


@dataclass(frozen=True)
class Series:
    """One line: a name for its legend and tooltips, and one value per label."""

    name: str
    values: Sequence[float]


def style_of(number: int) -> tuple[int, str]:
    """The series' style: (palette index, which is also its dash class; marker shape).

    Eight colours and four markers: no two of the first eight series look alike in
    colour, and neighbours also differ in marker and dash.
    """
    return number % len(PALETTE), MARKERS[number % len(MARKERS)]


def _scale_max(series: Sequence[Series]) -> float:
    top = max((v for s in series for v in s.values), default=0)
    return top if top > 0 else 1


_CORNERS = {
    "triangle": ((0, -4), (4, 3), (-4, 3)),
    "diamond": ((0, -4), (4, 0), (0, 4), (-4, 0)),
}


def marker(shape: str, cx: float, cy: float, classes: str, attrs: str = "", body: str = "") -> str:
    """One point of a series as an SVG element of ``shape``, centred on (cx, cy)."""
    if shape == "square":
        tag, geometry = "rect", f'x="{cx - 3:.1f}" y="{cy - 3:.1f}" width="6" height="6"'
    elif shape in _CORNERS:
        points = " ".join(f"{cx + dx:.1f},{cy + dy:.1f}" for dx, dy in _CORNERS[shape])
        tag, geometry = "polygon", f'points="{points}"'
    else:
        tag, geometry = "circle", f'cx="{cx}" cy="{cy}" r="3"'
    return f'<{tag} class="{classes}" {geometry}{attrs}>{body}</{tag}>'


def legend_key(number: int) -> Markup:
    """A small sample of series ``number``'s line and marker, for the legend."""
    colour, shape = style_of(number)
    return Markup(
        f'<svg class="legend-key series-{colour}" viewBox="0 0 28 10" width="28" height="10" '
        f'aria-hidden="true"><line class="line" x1="1" y1="5" x2="27" y2="5"/>'
        + marker(shape, 14, 5, "point")
        + "</svg>"
    )


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    partial: str = "",
) -> Markup:
    """An SVG line chart: one point (a marker with a tooltip) per label in each series.

    ``partial``, when given, says that the last period is not over yet (the text is
    added to its tooltips); its segment and point are drawn as such.
    """
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(labels)}")
    top = _scale_max(series)
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / (len(labels) - 1) if len(labels) > 1 else 0
    last = len(labels) - 1
    open_end = bool(partial) and last >= 0

    def x(i: int) -> float:
        return round(PAD_LEFT + (i * step if len(labels) > 1 else inner_w / 2), 1)

    def y(value: float) -> float:
        return round(PAD_TOP + inner_h - value / top * inner_h, 1)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP + inner_h}" '
        f'x2="{WIDTH - PAD_RIGHT}" y2="{PAD_TOP + inner_h}"/>',
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" '
        f'y2="{PAD_TOP + inner_h}"/>',
        f'<text class="tick" x="{PAD_LEFT - 6}" y="{PAD_TOP + 4}" text-anchor="end">'
        f"{_number(top)}{escape(unit)}</text>",
        f'<text class="tick" x="{PAD_LEFT - 6}" y="{PAD_TOP + inner_h}" text-anchor="end">0</text>',
    ]
    if open_end and last > 0:
        # The unfinished period's band, behind the lines.
        parts.append(
            f'<rect class="partial-band" x="{x(last - 1)}" y="{PAD_TOP}" '
            f'width="{round(x(last) - x(last - 1), 1)}" height="{inner_h}"/>'
        )
    if labels:
        parts.append(
            f'<text class="tick" x="{x(0)}" y="{HEIGHT - 8}" text-anchor="start">'
            f"{escape(labels[0])}</text>"
        )
        if len(labels) > 1:
            parts.append(
                f'<text class="tick" x="{x(last)}" y="{HEIGHT - 8}" '
                f'text-anchor="end">{escape(labels[-1])}</text>'
            )
    for number, s in enumerate(series):
        colour, shape = style_of(number)
        whole = len(s.values) - 1 if open_end else len(s.values)
        solid = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(s.values[:whole]))
        parts.append(f'<g class="series series-{colour}" data-name="{escape(s.name)}">')
        parts.append(f'<polyline class="line" fill="none" points="{solid}"/>')
        if open_end and last > 0:
            parts.append(
                f'<line class="line partial" x1="{x(last - 1)}" y1="{y(s.values[-2])}" '
                f'x2="{x(last)}" y2="{y(s.values[-1])}"/>'
            )
        for i, value in enumerate(s.values):
            unfinished = open_end and i == last
            note = f" ({escape(partial)})" if unfinished else ""
            parts.append(
                marker(
                    shape,
                    x(i),
                    y(value),
                    "point partial" if unfinished else "point",
                    f' data-label="{escape(labels[i])}" data-value="{_number(value)}"',
                    body=f"<title>{escape(s.name)}, {escape(labels[i])}: "
                    f"{_number(value)}{escape(unit)}{note}</title>",
                )
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def chart_table(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    caption: str,
    period: str,
    unit: str = "",
    partial: str = "",
) -> Markup:
    """The chart's numbers as a table (a row per period, a column per series): what a
    screen reader, a keyboard or a copy into a spreadsheet gets instead of the picture."""
    head = "".join(f'<th scope="col">{escape(s.name)}</th>' for s in series)
    rows = []
    for i, label in enumerate(labels):
        unfinished = bool(partial) and i == len(labels) - 1
        name = f"{escape(label)} ({escape(partial)})" if unfinished else escape(label)
        cells = "".join(f"<td>{_number(s.values[i])}{escape(unit)}</td>" for s in series)
        row_class = ' class="partial"' if unfinished else ""
        rows.append(f'<tr{row_class}><th scope="row">{name}</th>{cells}</tr>')
    return Markup(
        f'<table class="chart-table"><caption>{escape(caption)}</caption>'
        f'<thead><tr><th scope="col">{escape(period)}</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
