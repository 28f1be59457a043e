"""The charts' canvas draws text from glyphs rendered once per thread (issue 16): its pixels
are exactly matplotlib's own Agg canvas's, for Chinese and Latin labels, several sizes,
rotated, multi-line, without antialiasing and in mathtext, on the first drawing and on the
drawings after it that take everything from the caches; and the caches stay bounded."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from supportplan.core.testing import on_a_new_thread
from supportplan.reports import agg, charts, render
from supportplan.reports.builder import build_report
from supportplan.reports.connectors.demo import demo_report_data
from supportplan.reports.data import Month

pytestmark = pytest.mark.skipif(not agg.SUPPORTED, reason="matplotlib before 3.11")


def _figure(canvas_class, shift: float = 0.0) -> Figure:
    fig = Figure(figsize=(6, 4), dpi=charts.DPI)
    canvas_class(fig)
    ax = fig.add_axes((0.12, 0.15, 0.55, 0.7))
    ax.plot([0, 1, 2, 3], [3, 1, 4, 1], label="峰值 peak")
    ax.set_title("云服务器 CPU 利用率 (%)", loc="left")
    ax.set_xlabel("10-01 … 10-31")
    ax.set_ylabel("工单 Cases", rotation=90)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for k in range(24):  # fractions of a pixel, sizes and angles all differ
        fig.text(
            0.7 + (k % 4) * 0.07 + shift,
            0.05 + k * 0.037 + shift,
            f"{k * 37:,} 次",
            fontsize=5 + k % 5,
            rotation=(0, 30, 90, -15)[k % 4],
        )
    fig.text(0.02, 0.9, "两行\nsecond line", fontsize=7)
    # with the font's own line spacing: DejaVu Sans has a line gap, Noto Sans CJK none
    fig.text(0.02, 0.6, "行距\nline gap", fontsize=7, linespacing="normal")
    fig.text(0.02, 0.4, "line\ngap", family="DejaVu Sans", fontsize=7, linespacing="normal")
    fig.text(0.02, 0.02, "no antialiasing 无抗锯齿", fontsize=7, antialiased=False)
    fig.text(0.3, 0.02, r"$\sum_i x_i^2$ 平方和", fontsize=8)
    return fig


def _pixels(fig: Figure) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("shift", [0.0, 0.0013])
def test_the_canvas_draws_exactly_the_pixels_of_matplotlibs_agg_canvas(shift):
    stock = _pixels(_figure(FigureCanvasAgg, shift))

    def ours():
        fig = _figure(agg.Canvas, shift)
        first = _pixels(fig)
        layouts, glyphs, heights = agg.caches()
        filled = (len(layouts), len(glyphs), len(heights))
        again = _pixels(fig)  # from the caches alone
        return first, again, filled, (len(layouts), len(glyphs), len(heights))

    first, again, filled, after = on_a_new_thread(ours)
    assert stock.shape == first.shape
    assert np.array_equal(first, stock)
    assert np.array_equal(again, stock)
    assert min(filled) > 0
    assert after == filled  # the second drawing rendered no glyph and laid out no label


def test_the_report_charts_are_the_same_as_with_matplotlibs_own_renderer(monkeypatch):
    content = build_report(
        demo_report_data("t-agg", Month(2026, 10), instances=8, tickets=60, tenant_name="t")
    )
    ours = on_a_new_thread(lambda: render.render_charts(content, language="zh-hans"))
    monkeypatch.setattr(agg, "SUPPORTED", False)  # Canvas falls back to the stock renderer
    stock = on_a_new_thread(lambda: render.render_charts(content, language="zh-hans"))
    assert set(ours) == {"metrics", "tickets", "spend", "security"}
    assert ours == stock


def test_the_caches_are_emptied_at_their_limit_and_the_pixels_stay_right(monkeypatch):
    monkeypatch.setattr(agg, "LIMIT", 10)
    stock = _pixels(_figure(FigureCanvasAgg))

    def ours():
        fig = _figure(agg.Canvas)
        drawn = [_pixels(fig), _pixels(fig)]
        return drawn, [len(c) for c in agg.caches()]

    drawn, sizes = on_a_new_thread(ours)
    assert all(np.array_equal(d, stock) for d in drawn)
    assert max(sizes) <= 10
