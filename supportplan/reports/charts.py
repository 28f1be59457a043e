"""Charts for the report: matplotlib (Agg), drawn once per report and embedded in the page
and the PDF as the same PNG.

Every chart is its own `matplotlib.figure.Figure` (no pyplot: its global figure manager is
not thread-safe, and a worker may render several reports at once); rcParams are set once
at import and only read afterwards. Each worker thread keeps its figures (`_grid`, `_bars`)
and redraws them with the next report's data.

Text is drawn by `agg.Canvas`: the pixels of matplotlib's Agg canvas, with each glyph
rasterised once per thread rather than once per label.

Labels name the CJK font family, so Chinese is drawn with the installed Noto CJK fonts
(Debian fonts-noto-cjk; never downloaded); `fonts.matplotlib_problem()` checks that
matplotlib resolves it. `to_svg` stays for a caller that wants text as text.
"""

from __future__ import annotations

import base64
import io
import itertools
import math
import re
import threading
from collections.abc import Sequence
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image

from supportplan.reports.agg import Canvas

FONT_FAMILY = ["Noto Sans CJK SC", "Noto Sans SC", "DejaVu Sans", "sans-serif"]
PALETTE = ["#1f5fa8", "#e07b24", "#2f9e6e", "#c23b4e", "#7b5ea7", "#8a8f98", "#d4a82a"]
INK = "#2b3440"
DPI = 170  # 7.2 in wide: 1,224 px, sharp on the page (max 980 px) and in print
GRID = "#dde3ea"

matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",
        "svg.hashsalt": "supportplan",  # stable ids: the same data gives the same SVG
        "font.family": "sans-serif",
        "font.sans-serif": FONT_FAMILY,
        "font.size": 8,
        "axes.edgecolor": GRID,
        "axes.labelcolor": INK,
        "axes.titlesize": 8.5,
        "axes.titleweight": "bold",
        "axes.titlecolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.grid.axis": "y",
        "grid.color": GRID,
        "grid.linewidth": 0.6,
        "legend.frameon": False,
        "legend.fontsize": 7.5,
        "figure.dpi": DPI,
        "path.simplify": True,
    }
)

_SIZE = re.compile(r'(<svg[^>]*?)\s(width|height)="[^"]*"', re.S)


_ID = re.compile(r'(id="|url\(#|href="#)')
_counter = itertools.count(1)


def render(fig: Figure, fmt: str = "png") -> str:
    """The chart as the HTML that shows it, drawn once and used by both the page and the
    PDF: an opaque PNG (`<img>`, a data: URL), or SVG (text stays text) on request.

    Raster because WeasyPrint lays out every SVG node itself: with the metric grid as SVG
    the PDF took about a second longer (measured, benchmarks/README.md). Opaque RGB, as
    WeasyPrint re-encodes an RGBA image twice (colour and alpha mask) into the PDF. The
    figure is not registered anywhere (no pyplot): dropped, it is freed with its canvas."""
    if fmt == "svg":
        return to_svg(fig)
    return to_png(fig)


def to_png(fig: Figure) -> str:
    # A reused figure keeps its canvas, and with it the renderer and its text-size cache.
    canvas = fig.canvas if isinstance(fig.canvas, Canvas) else Canvas(fig)
    canvas.draw()
    rgba = canvas.buffer_rgba()
    image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG")
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img class="chart" alt="" src="data:image/png;base64,{data}">'


def to_svg(fig: Figure) -> str:
    buf = io.StringIO()
    # fixed margins (subplots_adjust) instead of bbox_inches="tight": half the text layout work
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    # scale to the container: keep viewBox, drop the fixed size
    for _ in range(2):
        svg = _SIZE.sub(r"\1", svg, count=1)
    # several charts share one page: make their element ids unique
    prefix = f"c{next(_counter)}-"
    svg = _ID.sub(lambda m: m.group(1) + prefix, svg)
    return svg.replace("<svg ", '<svg class="chart" preserveAspectRatio="xMidYMid meet" ', 1)


def metrics_grid(
    panels: Sequence[tuple[str, Sequence[str], Sequence[float], Sequence[float]]],
    fmt: str = "png",
) -> str:
    """Small multiples: per metric the fleet's daily average (solid) and daily peak (dashed);
    the page shows the legend in HTML so it never collides with a panel title.

    The grid's figure is made once per thread and layout and redrawn for each report (see
    `_grid`): building its twelve axes and their ticks was half of the report's chart time,
    and the reused canvas keeps matplotlib's text-size cache, as most labels (days, tick
    values) are the same from one tenant to the next. A panel's area and two lines are made
    once too and given each report's data (`set_data`, then the limits recomputed from it)."""
    n = len(panels)
    fig, axes, drawn = _grid(n)
    for k, ax in enumerate(axes):
        if k >= n:
            continue
        title, days, avg, peak = panels[k]
        x = range(len(days))
        if k in drawn:
            fill, avg_line, peak_line = drawn[k]
            fill.set_data(x, avg, 0)
            avg_line.set_data(x, avg)
            peak_line.set_data(x, peak)
            ax.relim()  # the area and the lines alone, as on a new axes
            ax.autoscale(enable=True)
        else:
            drawn[k] = (
                ax.fill_between(x, avg, color=PALETTE[0], alpha=0.12, linewidth=0),
                ax.plot(x, avg, color=PALETTE[0], linewidth=1.2)[0],
                ax.plot(x, peak, color=PALETTE[1], linewidth=0.9, linestyle="--")[0],
            )
        ax.set_title(title, loc="left")
        step = max(1, len(days) // 4)
        ax.set_xticks(list(x)[::step])
        ax.set_xticklabels(list(days)[::step], fontsize=6.5)
        ax.margins(x=0.01)
        ax.set_ylim(bottom=0)
    return render(fig, fmt)


_made = threading.local()


def _grid(n: int) -> tuple[Figure, list[Any], dict[int, tuple[Any, Any, Any]]]:
    """This thread's figure for an n-panel grid: axes, their styling and the figure's layout
    are made once; `metrics_grid` replaces every panel's data, title and ticks. Per thread
    (a worker may render several reports at once, and a figure is not thread-safe)."""
    grids: dict[int, tuple[Figure, list[Any], dict[int, tuple[Any, Any, Any]]]] = (
        _made.__dict__.setdefault("grids", {})
    )
    if n not in grids:
        cols = 3
        rows = max(1, math.ceil(n / cols))
        fig = Figure(figsize=(7.2, 1.75 * rows))
        axes = list(fig.subplots(rows, cols, squeeze=False).flat)
        for k, ax in enumerate(axes):
            if k >= n:
                ax.axis("off")
            ax.tick_params(axis="y", labelsize=6.5)
        top = 1 - 0.22 / (1.75 * rows)
        fig.subplots_adjust(
            left=0.06, right=0.99, bottom=0.12 / rows + 0.03, top=top, hspace=0.55, wspace=0.22
        )
        Canvas(fig)
        grids[n] = (fig, axes, {})
    return grids[n]


def _bars(height: float) -> tuple[Figure, Any]:
    """This thread's figure for bars `height` inches high, emptied of the previous report's
    bars, totals and legend (as `_grid`)."""
    figures: dict[float, tuple[Figure, Any]] = _made.__dict__.setdefault("bars", {})
    if height not in figures:
        fig = Figure(figsize=(7.2, height))
        Canvas(fig)
        figures[height] = (fig, fig.subplots())
    fig, ax = figures[height]
    _clear_data(ax)
    return fig, ax


def _clear_data(ax: Any) -> None:
    """Take the previous report's data off an axes and let its limits follow the new data
    alone, as on a new axes (the title, labels and ticks are set again by the caller)."""
    for container in list(ax.containers):
        container.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts]:
        artist.remove()
    ax.dataLim.set(Bbox.null())
    ax.ignore_existing_data_limits = True
    ax.set_autoscale_on(True)


def stacked_bars(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    ylabel: str = "",
    height: float = 2.3,
    totals: bool = True,
    fmt: str = "png",
) -> str:
    fig, ax = _bars(height)
    xs = list(range(len(categories)))
    bottom = [0.0] * len(categories)
    for i, (label, values) in enumerate(series):
        ax.bar(
            xs,
            values,
            bottom=bottom,
            label=label,
            color=PALETTE[i % len(PALETTE)],
            width=0.6,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if totals:
        for x, total in zip(xs, bottom, strict=True):
            ax.annotate(
                _num(total),
                (x, total),
                ha="center",
                va="bottom",
                fontsize=7,
                color=INK,
                xytext=(0, 2),
                textcoords="offset points",
            )
    step = math.ceil(len(categories) / 10) if len(categories) > 12 else 1
    ax.set_xticks(xs[::step])
    ax.set_xticklabels(list(categories)[::step])
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, max(bottom + [1]) * 1.18)
    right = 0.99
    if len(series) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        # room for the longest label (CJK glyphs are twice as wide): never clipped
        longest = max(_text_width(label) for label, _v in series)
        needed = 0.45 + longest * 0.55 * float(matplotlib.rcParams["legend.fontsize"]) / 72
        right = max(0.5, min(0.8, 1 - needed / 7.2))
    fig.subplots_adjust(left=0.09, right=right, bottom=0.14 * 2.2 / height, top=0.95)
    return render(fig, fmt)


def security_series(
    events_by_day: Sequence[tuple[str, int, int]], ddos_label: str, waf_label: str
) -> tuple[list[str], list[tuple[str, list[float]]]]:
    """The "security events per day" bars: days with events and, per day, the attacks of
    each kind. The builder has already summed each event's count (one entry may stand for
    a thousand WAF hits), so a heavily attacked day shows as such, not as one event."""
    days = [d for d, _ddos, _waf in events_by_day]
    return days, [
        (ddos_label, [float(n) for _d, n, _w in events_by_day]),
        (waf_label, [float(n) for _d, _x, n in events_by_day]),
    ]


def _text_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.1f}"
