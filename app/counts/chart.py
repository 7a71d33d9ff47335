"""A benchmark drawn as an accessible SVG on the server: presentation attributes only (the pages'
Content-Security-Policy blocks inline styles), ``role="img"`` named by its ``<title>`` and described by
its ``<desc>``. The table beside it holds the same figures; the drawing shows no figure the table hides."""

from __future__ import annotations

from html import escape

from .benchmarks import Picture
from .suppression import THRESHOLD

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 48
BAR = "#1d70b8"  # the pages' blue
BEFORE = "#505a5f"  # dark grey: a year before
TARGET = "#d4351c"  # red: the target line
HIDDEN = "#b1b4b6"  # light grey outline: a month with fewer than 5


def _scale(top: int) -> int:
    """A round number at or above ``top`` for the axis (at least 5)."""
    top = max(top, THRESHOLD)
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top <= step * 5:
            return -(-top // step) * step
    return top


def svg(p: Picture, ident: str) -> str:
    """The benchmark's months as bars (the running total for a number by a date; each month's figure
    with a year before as dots for a rise), the target as a dashed line, small numbers as outlines."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [m.running.count if m.running is not None else m.figure.count for m in p.months]
    before = [m.year_before.count if m.year_before is not None else None for m in p.months]
    target = p.benchmark.at_least
    top = _scale(max([v or 0 for v in (*values, *before)] + [target or 0, THRESHOLD]))
    n = max(len(p.months), 1)
    slot = plot_w / n

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * v / top

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-labelledby="{ident}-title {ident}-desc" focusable="false">',
           f'<title id="{ident}-title">{escape(p.benchmark.label)}: {escape(p.target)}</title>',
           f'<desc id="{ident}-desc">{escape(_describe(p))}</desc>',
           f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{WIDTH - RIGHT}" y2="{y(0):.1f}" stroke="#0b0c0c" '
           'stroke-width="1"/>']
    for tick in (0, top // 2, top) if top % 2 == 0 else (0, top):
        out.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="12" '
                   f'fill="#0b0c0c">{tick:,}</text>')
    for i, m in enumerate(p.months):
        x = LEFT + i * slot + slot * 0.15
        w = slot * 0.7
        v = values[i]
        if v is None:  # fewer than 5: an outline as tall as 5 would be, no figure
            out.append(f'<rect x="{x:.1f}" y="{y(THRESHOLD):.1f}" width="{w:.1f}" height="{y(0) - y(THRESHOLD):.1f}" '
                       f'fill="none" stroke="{HIDDEN}" stroke-width="2" stroke-dasharray="4 3"/>')
        elif v > 0:
            out.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{w:.1f}" height="{y(0) - y(v):.1f}" fill="{BAR}"/>')
        if n <= 12 or i % 3 == 0:
            out.append(f'<text x="{x + w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" '
                       f'fill="#0b0c0c">{escape(m.label[:3])} {m.month[2:4]}</text>')
    points = [(LEFT + i * slot + slot / 2, b) for i, b in enumerate(before) if b is not None]
    for cx, b in points:
        out.append(f'<circle cx="{cx:.1f}" cy="{y(b):.1f}" r="4" fill="{BEFORE}"/>')
    if target is not None:
        out.append(f'<line x1="{LEFT}" y1="{y(target):.1f}" x2="{WIDTH - RIGHT}" y2="{y(target):.1f}" '
                   f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4"/>')
    out.append(_legend(p))
    out.append("</svg>")
    return "".join(out)


def _legend(p: Picture) -> str:
    y = HEIGHT - 12
    parts = [f'<rect x="{LEFT}" y="{y - 9}" width="10" height="10" fill="{BAR}"/>',
             f'<text x="{LEFT + 14}" y="{y}" font-size="11" fill="#0b0c0c">'
             f'{"running total" if p.benchmark.at_least is not None and not p.suppressed else "each month"}</text>']
    x = LEFT + 110
    if p.benchmark.increase:
        parts += [f'<circle cx="{x + 5}" cy="{y - 4}" r="4" fill="{BEFORE}"/>',
                  f'<text x="{x + 14}" y="{y}" font-size="11" fill="#0b0c0c">a year before</text>']
        x += 110
    if p.benchmark.at_least is not None:
        parts += [f'<line x1="{x}" y1="{y - 4}" x2="{x + 12}" y2="{y - 4}" stroke="{TARGET}" stroke-width="2" '
                  'stroke-dasharray="6 4"/>',
                  f'<text x="{x + 16}" y="{y}" font-size="11" fill="#0b0c0c">target</text>']
        x += 80
    if p.suppressed:
        parts += [f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="none" stroke="{HIDDEN}" '
                  'stroke-width="2" stroke-dasharray="4 3"/>',
                  f'<text x="{x + 14}" y="{y}" font-size="11" fill="#0b0c0c">fewer than 5</text>']
    return "".join(parts)


def _describe(p: Picture) -> str:
    """The drawing in words (the table beside it has every figure)."""
    first, last = (p.months[0].label, p.months[-1].label) if p.months else ("", "")
    return f"Recorded through Pathway, {first} to {last}. {p.status} The table beside it gives each month."
