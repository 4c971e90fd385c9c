"""The seal image (电子印章印模), drawn by code: a red round seal like a 公章.

Outer ring; the organisation's name along an arc around the top, each character upright towards the rim; a
five-pointed star in the middle; a label such as 电子证照专用章 straight under the star. One geometry
(``seal_geometry``, in units of the seal's radius, origin at the centre, y up) feeds two renderers, so the web
page and the PDF show the same seal:

* ``seal_svg``: inline SVG for pages (no external reference, ``role="img"`` with an ``aria-label``).
* ``draw_seal``: vectors on a reportlab canvas, semi-transparent so the issuer's name under it stays readable.

Long names are compressed sideways (as engraved seals do) rather than shrunk, so that names of 2–30 characters
keep to the arc: the arc never spans more than 240°, leaving the bottom free for the label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from reportlab.pdfbase.pdfmetrics import stringWidth

from yiwang.core.pdf import font_for

DEFAULT_LABEL = "电子证照专用章"
SEAL_RED = (0.86, 0.06, 0.08)  # 印泥红
SEAL_RED_HEX = "#db0f14"
PDF_ALPHA = 0.78  # the issuer's name and date printed under the seal stay readable

RING_RADIUS = 0.955  # centre line of the outer ring
RING_WIDTH = 0.06
_TEXT_OUTER = 0.885  # outer edge of the name's characters (a gap inside the ring)
_MAX_SPAN = 240.0  # degrees of arc the name may use, centred on the top
_MAX_STEP = 46.0  # degrees per character for short names, so that 2–6 characters do not scatter
_NAME_MAX_SIZE = 0.26
_NAME_MIN_SIZE = 0.14
_STAR_CENTRE_Y = 0.03
_STAR_RADIUS = 0.31
_STAR_INNER = 0.382  # inner/outer radius of a regular five-pointed star
_LABEL_CENTRE_Y = -0.56
_LABEL_MAX_SIZE = 0.17
_LABEL_MAX_WIDTH = 1.0
# Where the visual middle of a CJK glyph lies above its baseline, in em: ideographs sit in [-0.12, 0.88].
_GLYPH_MIDDLE = 0.38
_SVG_FONTS = "'STSong','SimSun','Songti SC','Noto Serif CJK SC','Source Han Serif SC',serif"


@dataclass(frozen=True)
class SealGlyph:
    """One run of text: its middle point, clockwise rotation, em size and horizontal compression."""

    text: str
    x: float
    y: float
    angle: float  # degrees, clockwise from upright
    size: float  # em height, in radii
    x_scale: float  # 1.0 = natural width


@dataclass(frozen=True)
class SealGeometry:
    """Everything in a seal, in units of its radius, origin at the centre, y pointing up."""

    ring_radius: float
    ring_width: float
    name: tuple[SealGlyph, ...]
    star: tuple[tuple[float, float], ...]  # ten vertices, outer point first (at the top)
    label: SealGlyph | None


@lru_cache(maxsize=256)
def seal_geometry(organisation_name: str, label: str = DEFAULT_LABEL) -> SealGeometry:
    """Lay out a seal for ``organisation_name`` (2–30 characters fit; longer is compressed further)."""
    name = "".join(organisation_name.split())
    if not name:
        raise ValueError("印章上的单位名称不能为空")
    count = len(name)
    step = min(_MAX_SPAN / count, _MAX_STEP)
    # The spacing along the arc decides the character size; characters keep upright proportions when there is
    # room and are compressed sideways (never below 50 %) when there is not.
    approximate_radius = _TEXT_OUTER - _NAME_MAX_SIZE / 2
    spacing = approximate_radius * math.radians(step)
    size = max(_NAME_MIN_SIZE, min(_NAME_MAX_SIZE, spacing * 1.15))
    radius = _TEXT_OUTER - size * 0.55
    spacing = radius * math.radians(step)
    x_scale = max(0.5, min(1.0, spacing * 0.9 / size))
    start = -step * (count - 1) / 2
    glyphs = []
    for index, char in enumerate(name):
        angle = start + step * index
        theta = math.radians(angle)
        glyphs.append(
            SealGlyph(
                text=char,
                x=radius * math.sin(theta),
                y=radius * math.cos(theta),
                angle=angle,
                size=size,
                x_scale=x_scale,
            )
        )

    star = []
    for vertex in range(10):
        reach = _STAR_RADIUS if vertex % 2 == 0 else _STAR_RADIUS * _STAR_INNER
        theta = math.radians(90 + 36 * vertex)
        star.append((reach * math.cos(theta), _STAR_CENTRE_Y + reach * math.sin(theta)))

    label_glyph = None
    label = label.strip()
    if label:
        label_size = min(_LABEL_MAX_SIZE, max(0.09, _LABEL_MAX_WIDTH / len(label)))
        width = label_size * len(label)
        label_glyph = SealGlyph(
            text=label,
            x=0.0,
            y=_LABEL_CENTRE_Y,
            angle=0.0,
            size=label_size,
            x_scale=min(1.0, _LABEL_MAX_WIDTH / width),
        )
    return SealGeometry(
        ring_radius=RING_RADIUS, ring_width=RING_WIDTH, name=tuple(glyphs), star=tuple(star), label=label_glyph
    )


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def seal_svg(organisation_name: str, label: str = DEFAULT_LABEL, size: int = 160) -> str:
    """The seal as inline SVG markup (``size`` px square); every text is escaped."""
    geometry = seal_geometry(organisation_name, label)
    half = size / 2

    def point(x: float, y: float) -> str:  # seal units, y up → SVG pixels, y down
        return f"{_number(half + x * half)},{_number(half - y * half)}"

    def text(glyph: SealGlyph) -> str:
        font_size = glyph.size * half
        x, y = point(glyph.x, glyph.y).split(",")
        transform = f"translate({x} {y})"
        if glyph.angle:
            transform += f" rotate({_number(glyph.angle)})"
        if glyph.x_scale != 1.0:
            transform += f" scale({glyph.x_scale:.3f} 1)"
        return (
            f'<text transform="{transform}" y="{_number(font_size * _GLYPH_MIDDLE)}" '
            f'font-size="{_number(font_size)}">{escape(glyph.text)}</text>'
        )

    name = "".join(organisation_name.split())
    aria = f"{name}{label.strip()}（电子印章）"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="yw-seal" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label={quoteattr(aria)}>',
        f"<title>{escape(aria)}</title>",
        f'<g fill="{SEAL_RED_HEX}" stroke="{SEAL_RED_HEX}" opacity="0.9">',
        f'<circle cx="{_number(half)}" cy="{_number(half)}" r="{_number(geometry.ring_radius * half)}" fill="none" '
        f'stroke-width="{_number(geometry.ring_width * half)}"/>',
        f'<polygon stroke="none" points="{" ".join(point(x, y) for x, y in geometry.star)}"/>',
        f'<g stroke="none" font-family="{_SVG_FONTS}" font-weight="bold" text-anchor="middle">',
        *(text(glyph) for glyph in geometry.name),
        *([text(geometry.label)] if geometry.label else []),
        "</g></g></svg>",
    ]
    return "".join(parts)


def draw_seal(
    canvas: Any,
    x: float,
    y: float,
    diameter: float,
    organisation_name: str,
    label: str = DEFAULT_LABEL,
) -> None:
    """Draw the seal centred on (``x``, ``y``) on a reportlab canvas, ``diameter`` in points, as vectors.

    Semi-transparent red (what a stamp over printed text looks like); the characters are filled and stroked
    (text render mode 2), which gives the heavier strokes of an engraved seal while staying text a reader can
    extract.
    """
    geometry = seal_geometry(organisation_name, label)
    radius = diameter / 2
    font = font_for("".join(glyph.text for glyph in geometry.name) + (geometry.label.text if geometry.label else ""))
    canvas.saveState()
    canvas.setFillColorRGB(*SEAL_RED, alpha=PDF_ALPHA)
    canvas.setStrokeColorRGB(*SEAL_RED, alpha=PDF_ALPHA)
    canvas.setLineWidth(geometry.ring_width * radius)
    canvas.circle(x, y, geometry.ring_radius * radius, stroke=1, fill=0)

    star = canvas.beginPath()
    first, *rest = geometry.star
    star.moveTo(x + first[0] * radius, y + first[1] * radius)
    for px, py in rest:
        star.lineTo(x + px * radius, y + py * radius)
    star.close()
    canvas.drawPath(star, stroke=0, fill=1)

    # All characters in one text object, each placed by its own text matrix (Tm): rotation about the glyph's
    # middle and sideways compression, with the glyph centred on its point.
    canvas.setLineWidth(radius * 0.006)
    text = canvas.beginText()
    text.setTextRenderMode(2)
    for glyph in (*geometry.name, *((geometry.label,) if geometry.label else ())):
        font_size = glyph.size * radius
        theta = math.radians(-glyph.angle)  # reportlab turns counter-clockwise
        a, b = glyph.x_scale * math.cos(theta), glyph.x_scale * math.sin(theta)
        c, d = -math.sin(theta), math.cos(theta)
        u, v = -stringWidth(glyph.text, font, font_size) / 2, -font_size * _GLYPH_MIDDLE
        text.setFont(font, font_size)
        text.setTextTransform(a, b, c, d, x + glyph.x * radius + a * u + c * v, y + glyph.y * radius + b * u + d * v)
        text.textOut(glyph.text)
    canvas.drawText(text)
    canvas.restoreState()
