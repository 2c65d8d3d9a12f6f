"""Hand-written inline SVG charts: one self-contained HTML file, no CDN, no JavaScript, same bytes every run.

Every chart is an `<svg class="plot" id=... data-points=N>`; each data mark has class `mark` (with a
`<title>` tooltip and `data-value`), each reference line (objective, P50, P95…) class `marker` with
`data-label`. A browser test can therefore count marks to check that a plot carries data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

# Okabe–Ito: readable by colour-blind readers, distinct in grey print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C8C8C", "#F0E442")
MARKER_COLOURS = ("#C0392B", "#6C3483", "#1E8449", "#B9770E")
FONT = "font-family=\"system-ui,-apple-system,'Segoe UI',Roboto,sans-serif\""

Fmt = Callable[[float], str]


def _num(value: float) -> str:
    """Format a number for display: integers plain, others with up to 3 significant decimals."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"


def _xy(v: float) -> str:
    """Coordinates rounded to 0.1 px: small files, stable bytes."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Scale:
    """A linear map from a data domain to a pixel range."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, v: float) -> float:
        if self.d1 == self.d0:
            return (self.r0 + self.r1) / 2
        return self.r0 + (v - self.d0) * (self.r1 - self.r0) / (self.d1 - self.d0)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Return round tick values covering [lo, hi] (about `count` of them)."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0]
    if hi - lo < 1e-300 or hi - lo <= 1e-9 * max(abs(lo), abs(hi)):  # flat: give the axis some height
        hi = lo + (abs(lo) * 0.1 or 1.0)
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step + 1e-9)
    last = max(math.ceil(hi / step - 1e-9), first + 1)
    # `.12g` drops float noise (0.30000000000000004) while keeping tiny or huge values exact enough
    return [float(f"{k * step:.12g}") for k in range(first, min(last, first + 49) + 1)]


TITLE_H = 22  # room for the visible title line at the top of every chart


def tick_format(ticks: Sequence[float]) -> Fmt:
    """A formatter giving every tick of an axis the same number of decimals (0, 0.5, 1.0 → 0.0, 0.5, 1.0)."""
    step = min((abs(b - a) for a, b in zip(ticks, ticks[1:], strict=False) if b != a), default=1.0)
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
        decimals += 1
    return lambda v: f"{v:,.{decimals}f}"


def _svg(plot_id: str, title: str, width: int, height: int, points: int, body: list[str]) -> str:
    heading = (
        f'<text class="heading" x="8" y="15" font-size="13.5" font-weight="600" fill="#1f2933">'
        f"{escape(title)}</text>"
    )
    body = [heading, *body]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" id="{escape(plot_id)}" data-points="{points}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{escape(plot_id)}-title" {FONT} font-size="12">'
        f'<title id="{escape(plot_id)}-title">{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, s: str, anchor: str = "middle", cls: str = "", extra: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{_xy(x)}" y="{_xy(y)}" text-anchor="{anchor}"{c}{extra}>{escape(s)}</text>'


def _y_axis(
    scale: Scale, ticks: Sequence[float], x0: float, x1: float, fmt: Fmt | None, label: str
) -> list[str]:
    fmt = fmt or tick_format(ticks)
    out = []
    for t in ticks:
        y = scale(t)
        out.append(
            f'<line class="grid" x1="{_xy(x0)}" x2="{_xy(x1)}" y1="{_xy(y)}" y2="{_xy(y)}" '
            'stroke="#e3e6ea" stroke-width="1"/>'
        )
        out.append(_text(x0 - 6, y + 4, fmt(t), "end", "tick", ' fill="#555"'))
    if label:
        mid = (scale.r0 + scale.r1) / 2
        out.append(
            f'<text x="14" y="{_xy(mid)}" text-anchor="middle" fill="#333" '
            f'transform="rotate(-90 14 {_xy(mid)})">{escape(label)}</text>'
        )
    return out


def _x_axis(
    scale: Scale, ticks: Sequence[float], y0: float, y1: float, fmt: Fmt | None, label: str, width: float
) -> list[str]:
    fmt = fmt or tick_format(ticks)
    out = []
    for t in ticks:
        x = scale(t)
        out.append(
            f'<line class="grid" x1="{_xy(x)}" x2="{_xy(x)}" y1="{_xy(y0)}" y2="{_xy(y1)}" '
            'stroke="#e3e6ea" stroke-width="1"/>'
        )
        out.append(_text(x, y1 + 16, fmt(t), "middle", "tick", ' fill="#555"'))
    if label:
        out.append(_text((scale.r0 + scale.r1) / 2, y1 + 34, label, "middle", "", ' fill="#333"'))
    return out


def _legend(names: Sequence[str], colours: Sequence[str], x: float, y: float) -> list[str]:
    out = []
    for name, colour in zip(names, colours, strict=True):
        out.append(
            f'<rect class="legend" x="{_xy(x)}" y="{_xy(y - 9)}" width="10" height="10" fill="{colour}"/>'
        )
        out.append(_text(x + 14, y, name, "start", "", ' fill="#333"'))
        x += 24 + 7 * len(name)
    return out


def _markers_vertical(
    markers: Sequence[tuple[float, str]], scale: Scale, y0: float, y1: float, fmt: Fmt
) -> list[str]:
    """Vertical reference lines (P50, P95, objective…) across a horizontal axis, labels staggered.

    A label that would run past the plot's right edge is written to the left of its line instead.
    """
    out = []
    for i, (value, label) in enumerate(markers):
        x = scale(value)
        colour = MARKER_COLOURS[i % len(MARKER_COLOURS)]
        text = f"{label} {fmt(value)}"
        flip = x + 6 + 6.6 * len(text) > max(scale.r0, scale.r1)
        out.append(
            f'<g class="marker" data-label="{escape(label)}" data-value="{value!r}">'
            f'<line x1="{_xy(x)}" x2="{_xy(x)}" y1="{_xy(y0)}" y2="{_xy(y1)}" stroke="{colour}" '
            f'stroke-width="2" stroke-dasharray="6 3"/>'
            + _text(
                x - 4 if flip else x + 4,
                y0 + 12 + 14 * i,
                text,
                "end" if flip else "start",
                "",
                f' fill="{colour}"',
            )
            + "</g>"
        )
    return out


def empty_chart(plot_id: str, title: str, message: str, width: int = 960, height: int = 70) -> str:
    """A chart placeholder saying why there is nothing to draw (data-points=0)."""
    return _svg(
        plot_id,
        title,
        width,
        height,
        0,
        [_text(width / 2, height / 2 + 4, message, "middle", "empty", ' fill="#777"')],
    )


def bar_chart(
    plot_id: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    y_label: str = "",
    stacked: bool = False,
    fmt: Fmt = _num,
    width: int = 960,
    height: int = 300,
    colours: Mapping[str, str] | None = None,
    legend: bool | None = None,
) -> str:
    """Vertical bars per category: one bar per series side by side, or `stacked` on each other.

    `colours` fixes a series' colour (the same cause in the same colour on every chart); `legend`
    defaults to showing one when there is more than one series.
    """
    names = list(series)
    fixed = colours or {}
    colours = [fixed.get(n, PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)]
    legend = len(names) > 1 if legend is None else legend
    if not categories or not names:
        return empty_chart(plot_id, title, "no data")
    if stacked:
        top = max((sum(max(series[n][i], 0) for n in names) for i in range(len(categories))), default=0)
    else:
        top = max((max(series[n], default=0) for n in names), default=0)
    band = (width - 64 - 16) / max(len(categories), 1)
    longest = max((len(c) for c in categories), default=1)
    rotate = band < 8 * longest
    left, right, bottom = 64, 16, (int(30 + 4.2 * longest) if rotate else 40)
    top_pad = TITLE_H + (28 if legend else 12)
    ticks = nice_ticks(0, top if top > 0 else 1)
    ys = Scale(0, ticks[-1], height - bottom, top_pad)
    body = _y_axis(ys, ticks, left, width - right, None, y_label)
    points = 0
    for i, cat in enumerate(categories):
        inner = min(band * 0.76, 110.0 * len(names) if not stacked else 110.0)
        x0 = left + i * band + (band - inner) / 2
        base = 0.0
        for j, name in enumerate(names):
            v = float(series[name][i])
            if stacked:
                y_top, y_bot = ys(base + v), ys(base)
                bx, bw = x0, inner
                base += v
            else:
                bw = inner / len(names)
                bx = x0 + j * bw
                y_top, y_bot = ys(v), ys(0)
            if v == 0:
                continue
            points += 1
            body.append(
                f'<rect class="mark" data-value="{v!r}" x="{_xy(bx)}" y="{_xy(y_top)}" width="{_xy(bw)}" '
                f'height="{_xy(max(y_bot - y_top, 0.5))}" fill="{colours[j]}"><title>'
                f"{escape(cat)} · {escape(name)}: {escape(fmt(v))}</title></rect>"
            )
            if len(names) == 1 and len(categories) <= 12:  # few bars: print each value on top
                body.append(
                    _text(bx + bw / 2, y_top - 4, fmt(v), "middle", "value", ' fill="#333" font-size="11"')
                )
        cx = left + (i + 0.5) * band
        if rotate:
            body.append(
                _text(
                    cx,
                    height - bottom + 12,
                    cat,
                    "end",
                    "tick",
                    f' fill="#333" transform="rotate(-35 {_xy(cx)} {_xy(height - bottom + 12)})"',
                )
            )
        else:
            body.append(_text(cx, height - bottom + 16, cat, "middle", "tick", ' fill="#333"'))
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{_xy(ys(0))}" y2="{_xy(ys(0))}" stroke="#888"/>')
    if legend:
        body += _legend(names, colours, left, TITLE_H + 14)
    return _svg(plot_id, title, width, height, points, body)


def hbar_chart(
    plot_id: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    x_label: str = "",
    fmt: Fmt = _num,
    width: int = 960,
) -> str:
    """Horizontal bars, one per label, top to bottom in the given order (for rankings)."""
    if not labels:
        return empty_chart(plot_id, title, "no data")
    row = 24
    left = min(260, 16 + 7 * max(len(s) for s in labels))
    right, top_pad, bottom = 70, TITLE_H + 8, 44
    height = top_pad + bottom + row * len(labels)
    ticks = nice_ticks(0, max(max(values), 0) or 1)
    xs = Scale(0, ticks[-1], left, width - right)
    body = _x_axis(xs, ticks, top_pad, height - bottom, None, x_label, width)
    points = 0
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        y = top_pad + i * row
        body.append(_text(left - 6, y + row / 2 + 4, label, "end", "", ' fill="#333"'))
        if v > 0:
            points += 1
        body.append(
            f'<rect class="mark" data-value="{float(v)!r}" x="{left}" y="{_xy(y + 4)}" '
            f'width="{_xy(max(xs(v) - left, 0.5))}" height="{row - 8}" fill="{PALETTE[0]}">'
            f"<title>{escape(label)}: {escape(fmt(v))}</title></rect>"
        )
        body.append(_text(xs(v) + 4, y + row / 2 + 4, fmt(v), "start", "", ' fill="#555"'))
    return _svg(plot_id, title, width, height, points, body)


def histogram(
    plot_id: str,
    values: Sequence[float],
    *,
    title: str,
    x_label: str = "",
    markers: Sequence[tuple[float, str]] = (),
    bins: int = 24,
    discrete: bool = False,
    fmt: Fmt = _num,
    width: int = 960,
    height: int = 260,
    clip_at: float | None = None,
) -> str:
    """Counts of `values` in equal bins, with vertical `markers` (P50, P95, objective, threshold…).

    `discrete`: integer data, one bin per integer value (install delays in business days).
    `clip_at`: a long tail beyond this value is counted in the last bar (and said so), so the bulk of
    the distribution keeps its detail.
    """
    if not values:
        return empty_chart(plot_id, title, "no data")
    vals = [float(v) for v in values]
    beyond = 0
    if clip_at is not None and max(vals) > clip_at:
        beyond = sum(v > clip_at for v in vals)
        vals = [min(v, clip_at) for v in vals]
        markers = [(m, label) for m, label in markers if m <= clip_at]
    lo = min(vals + [m for m, _ in markers])
    hi = max(vals + [m for m, _ in markers])
    if discrete:
        lo, hi = math.floor(lo) - 0.5, math.ceil(hi) + 0.5
        if hi - lo < 12:  # a few distinct values: keep bars narrow and centred
            extra = 12 - (hi - lo)
            lo, hi = lo - math.floor(extra / 2), hi + math.ceil(extra / 2)
        nbins = int(hi - lo)
        if nbins > 80:
            discrete = False
    if not discrete:
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        ticks = nice_ticks(lo, hi, 6)
        lo, hi = ticks[0], ticks[-1]
        nbins = bins
    width_bin = (hi - lo) / nbins
    counts = [0] * nbins
    for v in vals:
        counts[min(int((v - lo) / width_bin), nbins - 1)] += 1
    left, right, top_pad, bottom = 56, 16, TITLE_H + 14 + 14 * len(markers), 48
    xs = Scale(lo, hi, left, width - right)
    cticks = nice_ticks(0, max(counts), 4)
    cticks = [t for t in cticks if t == int(t)] or [0, 1]
    ys = Scale(0, max(cticks[-1], 1), height - bottom, top_pad)
    body = _y_axis(ys, cticks, left, width - right, lambda t: f"{int(t)}", "count")
    xticks = nice_ticks(lo, hi, 6) if not discrete else nice_ticks(lo + 0.5, hi - 0.5, 8)
    xticks = [t for t in xticks if lo <= t <= hi and (not discrete or t == int(t))]
    tick_fmt = tick_format(xticks)
    for t in xticks:
        body.append(_text(xs(t), height - bottom + 16, tick_fmt(t), "middle", "tick", ' fill="#555"'))
    if beyond:
        x_label = f"{x_label} ({beyond} above {fmt(clip_at)} drawn at {fmt(clip_at)})".lstrip()
    if x_label:
        body.append(_text((left + width - right) / 2, height - 10, x_label, "middle", "", ' fill="#333"'))
    points = 0
    for i, c in enumerate(counts):
        if not c:
            continue
        points += 1
        a, b = lo + i * width_bin, lo + (i + 1) * width_bin
        span = f"{fmt(a + 0.5)}" if discrete else f"{fmt(a)} – {fmt(b)}"
        body.append(
            f'<rect class="mark" data-value="{c}" x="{_xy(xs(a) + 0.5)}" y="{_xy(ys(c))}" '
            f'width="{_xy(max(xs(b) - xs(a) - 1, 0.5))}" height="{_xy(ys(0) - ys(c))}" fill="{PALETTE[0]}" '
            f'fill-opacity="0.85"><title>{escape(span)}: {c}</title></rect>'
        )
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{_xy(ys(0))}" y2="{_xy(ys(0))}" stroke="#888"/>')
    body += _markers_vertical(markers, xs, TITLE_H + 2, height - bottom, fmt)
    return _svg(plot_id, title, width, height, points, body)


def interval_chart(
    plot_id: str,
    categories: Sequence[str],
    means: Sequence[float],
    intervals: Sequence[tuple[float, float] | None],
    *,
    title: str,
    targets: Sequence[float | None] = (),
    samples: Sequence[Sequence[float]] = (),
    y_label: str = "",
    fmt: Fmt = _num,
    width: int = 960,
    height: int = 300,
    y_max: float | None = None,
) -> str:
    """Per category: the mean (dot), its interval (whisker), each sample (small dots) and a target (dash)."""
    if not categories:
        return empty_chart(plot_id, title, "no data")
    targets = list(targets) or [None] * len(categories)
    samples = list(samples) or [[] for _ in categories]
    everything = list(means) + [t for t in targets if t is not None]
    everything += [v for iv in intervals if iv for v in iv] + [v for s in samples for v in s]
    lo, hi = min(everything), max(everything)
    if y_max is not None:
        hi = max(hi, y_max) if hi > y_max else y_max
    pad = (hi - lo) * 0.08 or 0.05
    ticks = nice_ticks(lo - pad, hi if y_max is not None else hi + pad, 5)
    left, right, top_pad, bottom = 72, 16, TITLE_H + 14, 40
    ys = Scale(ticks[0], ticks[-1], height - bottom, top_pad)
    body = _y_axis(ys, ticks, left, width - right, None, y_label)
    band = (width - left - right) / len(categories)
    points = 0
    for i, cat in enumerate(categories):
        cx = left + (i + 0.5) * band
        colour = PALETTE[i % len(PALETTE)]
        for k, s in enumerate(samples[i]):
            jitter = ((k * 7919) % 61 - 30) / 30 * band * 0.18
            body.append(
                f'<circle class="sample" cx="{_xy(cx + jitter)}" cy="{_xy(ys(s))}" r="2.2" '
                f'fill="{colour}" fill-opacity="0.35"/>'
            )
        iv = intervals[i]
        if iv:
            body.append(
                f'<line class="interval" x1="{_xy(cx)}" x2="{_xy(cx)}" y1="{_xy(ys(iv[0]))}" '
                f'y2="{_xy(ys(iv[1]))}" stroke="#222" stroke-width="2"/>'
            )
            for v in iv:
                body.append(
                    f'<line x1="{_xy(cx - 8)}" x2="{_xy(cx + 8)}" y1="{_xy(ys(v))}" y2="{_xy(ys(v))}" '
                    'stroke="#222" stroke-width="2"/>'
                )
        t = targets[i]
        if t is not None:
            body.append(
                f'<g class="marker" data-label="objective" data-value="{t!r}">'
                f'<line x1="{_xy(cx - band * 0.36)}" x2="{_xy(cx + band * 0.36)}" y1="{_xy(ys(t))}" '
                f'y2="{_xy(ys(t))}" stroke="{MARKER_COLOURS[0]}" stroke-width="2" '
                f'stroke-dasharray="6 3"/>'
                + _text(
                    cx + band * 0.37,
                    ys(t) + 4,
                    f"objective {fmt(t)}",
                    "start",
                    "",
                    f' fill="{MARKER_COLOURS[0]}" font-size="11"',
                )
                + "</g>"
            )
        ci = f" (95 % CI {fmt(iv[0])} – {fmt(iv[1])})" if iv else ""
        points += 1
        body.append(
            f'<circle class="mark" data-value="{float(means[i])!r}" cx="{_xy(cx)}" '
            f'cy="{_xy(ys(means[i]))}" r="6" fill="{colour}" stroke="#fff" stroke-width="1.5">'
            f"<title>{escape(cat)}: mean {escape(fmt(means[i]))}{escape(ci)}</title></circle>"
        )
        body.append(_text(cx, height - bottom + 18, cat, "middle", "", ' fill="#333" font-weight="600"'))
    return _svg(plot_id, title, width, height, points, body)


def line_chart(
    plot_id: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str,
    x_label: str = "",
    y_label: str = "",
    step: bool = False,
    fmt_x: Fmt = _num,
    fmt_y: Fmt = _num,
    width: int = 960,
    height: int = 340,
) -> str:
    """One polyline per series of (x, y) points; `step` draws a staircase (channel counts are integers)."""
    names = [n for n in series if series[n]]
    if not names:
        return empty_chart(plot_id, title, "no data")
    xs_all = [p[0] for n in names for p in series[n]]
    ys_all = [p[1] for n in names for p in series[n]]
    xt = nice_ticks(min(xs_all), max(xs_all), 6)
    yt = nice_ticks(min(0.0, min(ys_all)), max(ys_all), 5)
    left, right, top_pad, bottom = 64, 20, TITLE_H + 30, 48
    xs = Scale(xt[0], xt[-1], left, width - right)
    ys = Scale(yt[0], yt[-1], height - bottom, top_pad)
    body = _y_axis(ys, yt, left, width - right, None, y_label)
    body += _x_axis(xs, xt, top_pad, height - bottom, None, x_label, width)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    points = 0
    for name, colour in zip(names, colours, strict=True):
        pts = sorted(series[name])
        coords: list[str] = []
        for k, (x, y) in enumerate(pts):
            if step and k:
                coords.append(f"{_xy(xs(x))},{_xy(ys(pts[k - 1][1]))}")
            coords.append(f"{_xy(xs(x))},{_xy(ys(y))}")
        points += len(pts)
        body.append(
            f'<polyline class="mark series" data-series="{escape(name)}" data-points="{len(pts)}" '
            f'fill="none" stroke="{colour}" stroke-width="2.2" stroke-linejoin="round" '
            f'points="{" ".join(coords)}"><title>{escape(name)}</title></polyline>'
        )
    body += _legend(names, colours, left, TITLE_H + 16)
    return _svg(plot_id, title, width, height, points, body)


def ci_chart(
    plot_id: str,
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[tuple[float, float | None, float | None] | None]],
    *,
    title: str,
    xs: Sequence[float] | None = None,
    x_label: str = "",
    y_label: str = "",
    fmt: Fmt = _num,
    markers: Sequence[tuple[float, str]] = (),
    width: int = 960,
    height: int = 320,
) -> str:
    """Per series, a mean (dot) with its 95 % CI (whisker) at each x, joined by a line; `xs` places the
    points on a numeric axis (one varied number), otherwise they are evenly spaced and labelled.
    `markers` are horizontal reference lines (an objective's bound)."""
    names = [n for n in series if any(v is not None for v in series[n])]
    if not names or not x_labels:
        return empty_chart(plot_id, title, "no data")
    values = [x for n in names for v in series[n] if v is not None for x in v if x is not None]
    values += [m for m, _ in markers]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or (abs(hi) * 0.01 or 0.5)
    yt = nice_ticks(lo - pad, hi + pad, 5)
    left, right, top_pad, bottom = 76, 20, TITLE_H + 30, 52
    ys = Scale(yt[0], yt[-1], height - bottom, top_pad)
    body = _y_axis(ys, yt, left, width - right, None, y_label)
    n = len(x_labels)
    inner = (width - left - right) / max(n, 1)
    if xs is not None and len(set(xs)) > 1:
        xsc = Scale(min(xs), max(xs), left + inner / 2, width - right - inner / 2)
        pos = [xsc(x) for x in xs]
    else:
        pos = [left + (i + 0.5) * inner for i in range(n)]
    for x, label in zip(pos, x_labels, strict=True):
        body.append(
            f'<line class="grid" x1="{_xy(x)}" x2="{_xy(x)}" y1="{_xy(top_pad)}" y2="{_xy(height - bottom)}" '
            'stroke="#e3e6ea" stroke-width="1"/>'
        )
        body.append(_text(x, height - bottom + 16, label, "middle", "tick", ' fill="#555"'))
    if x_label:
        body.append(
            _text((left + width - right) / 2, height - bottom + 36, x_label, "middle", "", ' fill="#333"')
        )
    for i, (value, label) in enumerate(markers):
        colour = MARKER_COLOURS[i % len(MARKER_COLOURS)]
        y = ys(value)
        body.append(
            f'<g class="marker" data-label="{escape(label)}" data-value="{value!r}">'
            f'<line x1="{left}" x2="{width - right}" y1="{_xy(y)}" y2="{_xy(y)}" stroke="{colour}" '
            f'stroke-width="2" stroke-dasharray="6 3"/>'
            + _text(width - right - 4, y - 5, f"{label} {fmt(value)}", "end", "", f' fill="{colour}"')
            + "</g>"
        )
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    points = 0
    for j, (name, colour) in enumerate(zip(names, colours, strict=True)):
        dx = (j - (len(names) - 1) / 2) * min(8.0, inner / (2 * len(names)))  # series side by side
        coords = []
        marks = []
        for x, label, v in zip(pos, x_labels, series[name], strict=True):
            if v is None:
                continue
            mean, a, b = v
            cx, cy = x + dx, ys(mean)
            coords.append(f"{_xy(cx)},{_xy(cy)}")
            if a is not None and b is not None:
                marks.append(
                    f'<line class="interval" x1="{_xy(cx)}" x2="{_xy(cx)}" y1="{_xy(ys(a))}" '
                    f'y2="{_xy(ys(b))}" stroke="{colour}" stroke-width="2"/>'
                )
            ci = "" if a is None or b is None else f" (95 % CI {fmt(a)} – {fmt(b)})"
            points += 1
            marks.append(
                f'<circle class="mark" data-series="{escape(name)}" data-value="{float(mean)!r}" '
                f'cx="{_xy(cx)}" cy="{_xy(cy)}" r="5" fill="{colour}" stroke="#fff" stroke-width="1.5">'
                f"<title>{escape(name)} at {escape(label)}: {escape(fmt(mean))}{escape(ci)}</title></circle>"
            )
        body.append(
            f'<polyline class="series" data-series="{escape(name)}" fill="none" stroke="{colour}" '
            f'stroke-width="1.6" stroke-opacity="0.7" points="{" ".join(coords)}"/>'
        )
        body += marks
    body += _legend(names, colours, left, TITLE_H + 16)
    return _svg(plot_id, title, width, height, points, body)
