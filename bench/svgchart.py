"""The scale chart of bench/run (--chart FILE): one panel per series, zinc and libzmq side by side, drawn as
SVG by hand with the standard library only (no plotting package to install).

Each panel has a log-scale x axis (connections, subscribers, topics: 1 to 10,000 or 1,000,000) and a linear y
axis from 0, so a flat line really is flat and a doubling looks like one. A point is the median of a side's
runs; the bar through it spans the fastest and the slowest run. A point that failed is left out (the line
breaks) and marked "n/a" at the foot of the panel. Hovering over a point shows its numbers (<title>).

Input, one dict per panel:
  {"title": str, "xlabel": str, "ylabel": str, "unit": str,
   "points": [{"x": int, "zinc": {"median": v, "min": v, "max": v} or None, "libzmq": ... or None}]}
"""

import math
from xml.sax.saxutils import escape

SIDES = (("zinc", "#1f6fb4", "circle"), ("libzmq", "#e8710a", "square"))
PANEL_W, PANEL_H = 500, 330
MARGIN = {"left": 74, "right": 18, "top": 42, "bottom": 52}
HEADER_H = 74
FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""


def fmt_number(v):
    """1, 20, 1.5k, 20k, 1M: short tick labels."""
    if v == 0:
        return "0"
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            s = f"{v / div:.2f}".rstrip("0").rstrip(".")
            return s + suffix
    if abs(v) >= 1:
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def nice_step(span, ticks=5):
    """A 1-2-5 step that cuts span into about `ticks` intervals."""
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def y_scale(points):
    values = [s[k] for p in points for side, _c, _m in SIDES for s in [p.get(side)] if s
              for k in ("median", "min", "max") if s.get(k) is not None]
    top = max(values) if values else 1.0
    if top <= 0:
        top = 1.0
    step = nice_step(top * 1.05)
    return step * math.ceil(top * 1.05 / step), step


def x_scale(points):
    xs = [p["x"] for p in points if p["x"] > 0] or [1]
    lo, hi = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    if hi == lo:
        hi = lo + 1
    return lo, hi


def marker(shape, x, y, color, tip):
    tip = f"<title>{escape(tip)}</title>"
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{color}">{tip}</circle>'
    return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{color}">{tip}</rect>'


class Panel:
    def __init__(self, spec, ox, oy):
        self.spec = spec
        self.ox, self.oy = ox, oy
        self.x0, self.x1 = ox + MARGIN["left"], ox + PANEL_W - MARGIN["right"]
        self.y0, self.y1 = oy + PANEL_H - MARGIN["bottom"], oy + MARGIN["top"]
        self.lo, self.hi = x_scale(spec["points"])
        self.ymax, self.ystep = y_scale(spec["points"])

    def px(self, x):
        # Half a decade of room each side so the end points' markers and bars are not on the frame.
        lo, hi = self.lo - 0.25, self.hi + 0.25
        return self.x0 + (math.log10(x) - lo) / (hi - lo) * (self.x1 - self.x0)

    def py(self, y):
        return self.y0 - y / self.ymax * (self.y0 - self.y1)

    def draw(self):
        out = ['<g class="panel">']
        out += self.frame()
        out += self.x_axis()
        out += self.y_axis()
        for side, color, shape in SIDES:
            out += self.series(side, color, shape)
        out.append("</g>")
        return out

    def frame(self):
        s = self.spec
        return [
            f'<rect x="{self.x0}" y="{self.y1}" width="{self.x1 - self.x0}" height="{self.y0 - self.y1}" '
            f'fill="#ffffff" stroke="#888888" stroke-width="1"/>',
            f'<text x="{self.ox + PANEL_W / 2:.1f}" y="{self.oy + 18}" text-anchor="middle" font-size="14" '
            f'font-weight="bold">{escape(s["title"])}</text>',
            f'<text x="{self.ox + PANEL_W / 2:.1f}" y="{self.oy + 33}" text-anchor="middle" font-size="10.5" '
            f'fill="#555555">{escape(s.get("subtitle", ""))}</text>',
        ]

    def x_axis(self):
        out = []
        for d in range(self.lo, self.hi + 1):
            x = self.px(10 ** d)
            out.append(f'<line x1="{x:.1f}" y1="{self.y1}" x2="{x:.1f}" y2="{self.y0}" stroke="#dddddd"/>')
            out.append(f'<line x1="{x:.1f}" y1="{self.y0}" x2="{x:.1f}" y2="{self.y0 + 5}" stroke="#444444"/>')
            out.append(f'<text x="{x:.1f}" y="{self.y0 + 18}" text-anchor="middle" font-size="11">'
                       f'{fmt_number(10 ** d)}</text>')
            if d < self.hi:
                for m in range(2, 10):
                    xm = self.px(m * 10 ** d)
                    out.append(f'<line x1="{xm:.1f}" y1="{self.y0}" x2="{xm:.1f}" y2="{self.y0 + 3}" '
                               f'stroke="#999999"/>')
        out.append(f'<text x="{(self.x0 + self.x1) / 2:.1f}" y="{self.y0 + 38}" text-anchor="middle" '
                   f'font-size="12">{escape(self.spec["xlabel"])} (log scale)</text>')
        return out

    def y_axis(self):
        out = []
        steps = int(round(self.ymax / self.ystep))
        for i in range(steps + 1):
            v = i * self.ystep
            y = self.py(v)
            if 0 < i < steps:
                out.append(f'<line x1="{self.x0}" y1="{y:.1f}" x2="{self.x1}" y2="{y:.1f}" stroke="#eeeeee"/>')
            out.append(f'<line x1="{self.x0 - 5}" y1="{y:.1f}" x2="{self.x0}" y2="{y:.1f}" stroke="#444444"/>')
            out.append(f'<text x="{self.x0 - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                       f'{fmt_number(v)}</text>')
        cx, cy = self.ox + 16, (self.y0 + self.y1) / 2
        out.append(f'<text x="{cx}" y="{cy:.1f}" text-anchor="middle" font-size="12" '
                   f'transform="rotate(-90 {cx} {cy:.1f})">{escape(self.spec["ylabel"])}</text>')
        return out

    def series(self, side, color, shape):
        out, path, missing = [], [], []
        unit = self.spec["unit"]
        for p in sorted(self.spec["points"], key=lambda p: p["x"]):
            s = p.get(side)
            if not s or s.get("median") is None:
                missing.append(p["x"])
                if len(path) > 1:
                    out.append(self.polyline(path, color))
                path = []
                continue
            x, y = self.px(p["x"]), self.py(s["median"])
            path.append((x, y))
            lo, hi = s.get("min"), s.get("max")
            if lo is not None and hi is not None and hi > lo:
                a, b = self.py(lo), self.py(hi)
                out.append(f'<g stroke="{color}" stroke-opacity="0.55" stroke-width="1.5">'
                           f'<line x1="{x:.1f}" y1="{a:.1f}" x2="{x:.1f}" y2="{b:.1f}"/>'
                           f'<line x1="{x - 4:.1f}" y1="{a:.1f}" x2="{x + 4:.1f}" y2="{a:.1f}"/>'
                           f'<line x1="{x - 4:.1f}" y1="{b:.1f}" x2="{x + 4:.1f}" y2="{b:.1f}"/></g>')
            tip = f"{side}, {fmt_number(p['x'])}: {fmt_number(s['median'])} {unit}"
            if lo is not None and hi is not None:
                tip += f" (runs {fmt_number(lo)} .. {fmt_number(hi)})"
            out.append(marker(shape, x, y, color, tip))
        if len(path) > 1:
            out.append(self.polyline(path, color))
        for x in missing:
            dy = 14 if side == "zinc" else 26
            out.append(f'<text x="{self.px(x):.1f}" y="{self.y0 - dy}" text-anchor="middle" font-size="10" '
                       f'fill="{color}">n/a</text>')
        return out

    @staticmethod
    def polyline(path, color):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in path)
        return f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>'


def legend(x, y):
    out = []
    for i, (side, color, shape) in enumerate(SIDES):
        lx = x + i * 110
        out.append(f'<line x1="{lx}" y1="{y}" x2="{lx + 30}" y2="{y}" stroke="{color}" stroke-width="2"/>')
        out.append(marker(shape, lx + 15, y, color, side))
        out.append(f'<text x="{lx + 38}" y="{y + 4}" font-size="13">{side}</text>')
    return out


def render(panels, title, subtitle):
    """The whole chart as an SVG document (a string)."""
    columns = 3 if len(panels) > 4 else 2   # the scale run's five: connections above, topics below
    rows = max(1, math.ceil(len(panels) / columns))
    width = columns * PANEL_W + 20
    height = HEADER_H + rows * PANEL_H + 10
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" {FONT}>',
        f'<title>{escape(title)}</title>',
        f'<rect width="{width}" height="{height}" fill="#fafafa"/>',
        f'<text x="14" y="26" font-size="18" font-weight="bold">{escape(title)}</text>',
        f'<text x="14" y="46" font-size="12" fill="#444444">{escape(subtitle)}</text>',
        '<text x="14" y="64" font-size="11" fill="#666666">dot or square: median of the runs; bar: fastest to '
        'slowest run; x axes are logarithmic, y axes linear from 0</text>',
    ]
    out += legend(width - 250, 60)
    for i, spec in enumerate(panels):
        ox = 10 + (i % columns) * PANEL_W
        oy = HEADER_H + (i // columns) * PANEL_H
        out += Panel(spec, ox, oy).draw()
    out.append("</svg>")
    return "\n".join(out) + "\n"
