"""Inline SVG charts rendered on the server: a score sparkline and a score trend chart.

Only numbers (and escaped labels) go into the markup, so the result is safe to mark safe.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def _points(values: Sequence[float], width: float, height: float, pad: float, lo: float, hi: float) -> list[tuple[float, float]]:
    span = (hi - lo) or 1.0
    step = (width - 2 * pad) / (len(values) - 1) if len(values) > 1 else 0.0
    return [(pad + i * step, pad + (height - 2 * pad) * (1 - (v - lo) / span)) for i, v in enumerate(values)]


def sparkline(values: Sequence[float | None], *, width: int = 100, height: int = 24, label: str = "Score trend") -> SafeString:
    """A small line of the scores (0–100 scale), oldest first; empty for fewer than two points."""
    scores = [float(v) for v in values if v is not None]
    if len(scores) < 2:
        return mark_safe('<span class="muted">—</span>')  # noqa: S308 - constant markup
    pts = _points(scores, width, height, 2, min(scores), max(scores))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    last_x, last_y = pts[-1]
    title = escape(f"{label}: {', '.join(f'{s:.0f}' for s in scores)}")
    return mark_safe(  # noqa: S308 - numbers and an escaped title only
        f'<svg class="spark" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{title}</title>"
        f'<polyline fill="none" stroke="#1f5fbf" stroke-width="1.5" points="{path}"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2" fill="#1f5fbf"/></svg>'
    )


def trend_chart(points: Sequence[tuple[str, float | None]], *, width: int = 720, height: int = 220) -> SafeString:
    """Score per completed analysis (label, score), oldest first, on a fixed 0–100 axis."""
    data = [(label, float(score)) for label, score in points if score is not None]
    if not data:
        return mark_safe('<p class="muted">No completed analysis yet.</p>')  # noqa: S308 - constant markup
    left, pad = 34, 14
    plot_w = width - left - pad
    plot_h = height - 2 * pad - 14
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape('Health score per analysis: ' + ', '.join(f'{lbl} {s:.0f}' for lbl, s in data))}</title>",
    ]
    for tick in (0, 25, 50, 75, 100):
        y = pad + plot_h * (1 - tick / 100)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - pad}" y2="{y:.1f}" stroke="#e3e7ee"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    step = plot_w / (len(data) - 1) if len(data) > 1 else 0.0
    coords = [(left + (i * step if len(data) > 1 else plot_w / 2), pad + plot_h * (1 - s / 100)) for i, (_, s) in enumerate(data)]
    parts.append(
        '<polyline fill="none" stroke="#1f5fbf" stroke-width="2" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        + '"/>'
    )
    for (label, score), (x, y) in zip(data, coords, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f5fbf"><title>{escape(label)}: {score:.1f}</title></circle>'
        )
    for index in sorted({0, len(data) - 1}):
        x = coords[index][0]
        anchor = "start" if index == 0 and len(data) > 1 else "end" if len(data) > 1 else "middle"
        parts.append(f'<text x="{x:.1f}" y="{height - 4}" text-anchor="{anchor}">{escape(data[index][0])}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped labels only
