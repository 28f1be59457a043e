"""The charts' figures are made once per thread and redrawn for each report (issue 16): a
chart drawn on a figure that held another tenant's data is byte for byte the chart drawn on
a new one, in another language, month length or number of panels too."""

from concurrent.futures import ThreadPoolExecutor

from supportplan.core.testing import on_a_new_thread
from supportplan.reports import render
from supportplan.reports.builder import build_report
from supportplan.reports.connectors.demo import demo_report_data
from supportplan.reports.data import Month


def _content(seed: str, month: Month, instances: int = 6, tickets: int = 40):
    return build_report(
        demo_report_data(seed, month, instances=instances, tickets=tickets, tenant_name=seed)
    )


def test_a_reused_figure_draws_exactly_what_a_new_one_draws():
    first = _content("tenant-a", Month(2026, 10), instances=12, tickets=120)
    second = _content("tenant-b", Month(2026, 2))  # 28 days, fewer cases, other figures

    def both():
        render.render_charts(first, language="zh-hans")
        return render.render_charts(second, language="en")

    after_another = on_a_new_thread(both)
    fresh = on_a_new_thread(lambda: render.render_charts(second, language="en"))
    assert set(after_another) == {"metrics", "tickets", "spend", "security"}
    assert after_another == fresh


def test_threads_drawing_at_once_each_get_their_own_charts():
    contents = [_content(f"tenant-{k}", Month(2026, 10)) for k in range(4)]
    alone = [
        on_a_new_thread(lambda c=c: render.render_charts(c, language="zh-hans")) for c in contents
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(
            pool.map(lambda c: render.render_charts(c, language="zh-hans"), contents * 3)
        )
    assert together == alone * 3
    assert len({charts["metrics"] for charts in alone}) == 4  # four tenants, four grids
