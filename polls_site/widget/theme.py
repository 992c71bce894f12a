"""Widget themes: light/dark, an accent colour and a font family, chosen by the portal.

embed.js passes the embed div's ``data-theme``, ``data-accent`` and ``data-font``
as ``?theme=&accent=&font=``. Each is checked against a strict pattern or list;
anything else is ignored (the default applies), so a query string can never
inject CSS. The strict widget CSP forbids inline styles, so a theme is applied
by classes on <body> (``theme-dark``, ``font-serif``; widget.css defines them)
and an accent by a stylesheet link to /w/theme.css, whose few lines are computed
here and are as cacheable as any static file. The accent is darkened (light
theme) or lightened (dark theme) until text in it meets WCAG AA (4.5:1) on the
widget's background, and button text on it is black or white, whichever
contrasts more.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, has_request_context, request

THEMES = ("light", "dark")
FONTS = ("system", "sans", "serif")
# Background of each theme in widget.css (keep in step).
BACKGROUNDS = {"light": (255, 255, 255), "dark": (24, 26, 31)}
WCAG_AA = 4.5
# Blueprints whose URLs carry the theme on (the widgets).
THEMED_BLUEPRINTS = ("polls", "comments")
_ACCENT_RE = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Theme:
    """A validated theme; every field holds an allowed value or the default."""

    name: str = "light"
    accent: str | None = None  # six lowercase hex digits, no "#"
    font: str = "system"

    @property
    def body_class(self) -> str:
        """The classes on the widget's <body> that select the theme and the font."""
        return f"theme-{self.name} font-{self.font}"

    @property
    def args(self) -> dict[str, str]:
        """The query arguments that differ from the default (what links must carry on)."""
        args = {}
        if self.name != "light":
            args["theme"] = self.name
        if self.accent:
            args["accent"] = self.accent
        if self.font != "system":
            args["font"] = self.font
        return args

    @property
    def key(self) -> str:
        """A short string naming the theme, for cache keys."""
        return f"{self.name}.{self.accent or '-'}.{self.font}"


def parse_accent(value: str | None) -> str | None:
    """``value`` as six lowercase hex digits ("0a6" -> "00aa66"), or None when invalid."""
    match = _ACCENT_RE.fullmatch(value or "")
    if not match:
        return None
    digits = match.group(1).lower()
    return "".join(c * 2 for c in digits) if len(digits) == 3 else digits


def parse_theme(args: Mapping[str, str]) -> Theme:
    """The theme named by query ``args``; invalid values fall back to the defaults."""
    name = args.get("theme", "light")
    font = args.get("font", "system")
    return Theme(
        name=name if name in THEMES else "light",
        accent=parse_accent(args.get("accent")),
        font=font if font in FONTS else "system",
    )


def request_theme() -> Theme:
    """The theme of the current request (the default outside a request)."""
    return parse_theme(request.args) if has_request_context() else Theme()


def _rgb(hex6: str) -> RGB:
    return int(hex6[0:2], 16), int(hex6[2:4], 16), int(hex6[4:6], 16)


def _hex(rgb: RGB) -> str:
    return "#" + "".join(f"{c:02x}" for c in rgb)


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_accent(hex6: str, theme: str) -> RGB:
    """The accent, mixed towards black (light) or white (dark) until it meets AA on its page."""
    background = BACKGROUNDS[theme]
    target = (0, 0, 0) if theme == "light" else (255, 255, 255)
    start = _rgb(hex6)
    colour = start
    step = 0
    while contrast_ratio(colour, background) < WCAG_AA and step < 20:
        step += 1
        colour = tuple(round(s + (t - s) * step / 20) for s, t in zip(start, target, strict=True))
    return colour  # type: ignore[return-value]


def on_accent(accent: RGB) -> RGB:
    """Black or white, whichever is more readable on ``accent`` (button text)."""
    white, black = (255, 255, 255), (17, 17, 17)
    return white if contrast_ratio(white, accent) >= contrast_ratio(black, accent) else black


def accent_css(theme: Theme) -> str:
    """The stylesheet that sets the accent colour of ``theme`` (which must have one)."""
    assert theme.accent is not None
    accent = readable_accent(theme.accent, theme.name)
    return (
        f"body.widget {{ --poll-accent: {_hex(accent)}; "
        f"--poll-on-accent: {_hex(on_accent(accent))}; }}\n"
    )


def accent_fingerprint(theme: Theme) -> str:
    """A short hash of ``theme``'s accent stylesheet: its URL changes when the CSS does."""
    return hashlib.sha256(accent_css(theme).encode()).hexdigest()[:12]


def _keep_theme(endpoint: str, values: dict[str, Any]) -> None:
    # Links and htmx URLs inside a widget keep the theme it was opened with, so a
    # plain (no-JavaScript) form post comes back in the same colours.
    if endpoint.partition(".")[0] not in THEMED_BLUEPRINTS or not has_request_context():
        return
    for name, value in request_theme().args.items():
        values.setdefault(name, value)


def init_theme(app: Flask) -> None:
    """Make ``widget_theme()`` available to templates and keep the theme in widget URLs."""
    app.url_defaults(_keep_theme)
    app.jinja_env.globals["widget_theme"] = request_theme
    app.jinja_env.globals["accent_fingerprint"] = accent_fingerprint
