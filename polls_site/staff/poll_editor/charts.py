"""Line charts as inline SVG, rendered on the server (no chart library, no inline styles).

Colours and strokes come from classes styled in static/staff-polls.css; positions are
SVG presentation attributes, which a strict CSP allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 12, 28


@dataclass(frozen=True)
class Series:
    """One line: a name for its legend and tooltips, and one value per label."""

    name: str
    values: Sequence[float]


def _scale_max(series: Sequence[Series]) -> float:
    top = max((v for s in series for v in s.values), default=0)
    return top if top > 0 else 1


def line_chart(
    labels: Sequence[str], series: Sequence[Series], *, title: str, unit: str = ""
) -> Markup:
    """An SVG line chart: one point (circle with a tooltip) per label in each series."""
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(labels)}")
    top = _scale_max(series)
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / (len(labels) - 1) if len(labels) > 1 else 0

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
    if labels:
        parts.append(
            f'<text class="tick" x="{x(0)}" y="{HEIGHT - 8}" text-anchor="start">'
            f"{escape(labels[0])}</text>"
        )
        if len(labels) > 1:
            parts.append(
                f'<text class="tick" x="{x(len(labels) - 1)}" y="{HEIGHT - 8}" '
                f'text-anchor="end">{escape(labels[-1])}</text>'
            )
    for number, s in enumerate(series):
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(s.values))
        parts.append(f'<g class="series series-{number % 8}" data-name="{escape(s.name)}">')
        parts.append(f'<polyline class="line" fill="none" points="{points}"/>')
        for i, value in enumerate(s.values):
            parts.append(
                f'<circle class="point" cx="{x(i)}" cy="{y(value)}" r="3" '
                f'data-label="{escape(labels[i])}" data-value="{_number(value)}">'
                f"<title>{escape(labels[i])}: {_number(value)}{escape(unit)}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
