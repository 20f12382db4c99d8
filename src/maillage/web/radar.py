"""Radar charts drawn on the server as SVG: no script, printable, and readable in a
PDF. The chart is an image with its text alternative; the page shows the same numbers
in a table beside it (RGAA: an image conveying information has an equivalent)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

# Series colours distinguishable by people with the common colour vision deficiencies
# (Okabe & Ito, 2008), each also drawn with its own dash pattern.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "4 4")


def radar_svg(
    axes: Sequence[tuple[str, str]],
    series: Sequence[tuple[str, Mapping[str, float]]],
    *,
    title: str,
    size: int = 420,
) -> str:
    """An SVG radar of ``series`` (label, {axis code: score on 0..1}) over ``axes``
    (code, label), with rings at a quarter, half, three quarters and the whole. An
    axis a series has no score for is drawn at the centre. With fewer than three
    axes the chart is a bar on each axis all the same."""
    n = max(len(axes), 1)
    centre = size / 2
    radius = size / 2 - 90
    angle = [(-math.pi / 2) + 2 * math.pi * i / n for i in range(n)]

    def point(i: int, r: float) -> tuple[float, float]:
        return centre + r * math.cos(angle[i]), centre + r * math.sin(angle[i])

    pad = 120  # room for the axis labels on either side
    height = size + 24 * len(series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{-pad} 0 {size + 2 * pad} {height}" '
        f'width="{size + 2 * pad}" role="img" aria-label={quoteattr(title)} class="radar">',
        f"<title>{escape(title)}</title>",
    ]
    for ring in (0.25, 0.5, 0.75, 1.0):
        ring_points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, radius * ring)
                                                              for i in range(n)))  # fmt: skip
        parts.append(f'<polygon points="{ring_points}" fill="none" stroke="#bbb" '
                     'stroke-width="1"/>')  # fmt: skip
    for i, (_code, label) in enumerate(axes):
        x, y = point(i, radius)
        lx, ly = point(i, radius + 14)
        anchor = "middle" if abs(lx - centre) < 5 else ("start" if lx > centre else "end")
        parts.append(f'<line x1="{centre}" y1="{centre}" x2="{x:.1f}" y2="{y:.1f}" '
                     'stroke="#bbb" stroke-width="1"/>')  # fmt: skip
        parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="11" text-anchor="{anchor}" '
                     f'dominant-baseline="middle">{escape(_short(label))}</text>')  # fmt: skip
    for k, (label, scores) in enumerate(series):
        colour, dash = COLOURS[k % len(COLOURS)], DASHES[k % len(DASHES)]
        pts = [point(i, radius * max(0.0, min(1.0, scores.get(code, 0.0))))
               for i, (code, _) in enumerate(axes)]  # fmt: skip
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polygon points="{path}" fill="{colour}" fill-opacity="0.12" '
                     f'stroke="{colour}" stroke-width="2"{dashed}/>')  # fmt: skip
        ly = size + 12 + 24 * k
        parts.append(f'<line x1="20" y1="{ly}" x2="50" y2="{ly}" stroke="{colour}" '
                     f'stroke-width="3"{dashed}/>')  # fmt: skip
        parts.append(f'<text x="58" y="{ly}" font-size="12" dominant-baseline="middle">'
                     f"{escape(label)}</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def _short(label: str, limit: int = 32) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
