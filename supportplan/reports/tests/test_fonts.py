"""Chinese in the charts and the PDF: a stale matplotlib font cache is rebuilt; a machine
without a Chinese font fails the report with that reason instead of delivering boxes."""

from __future__ import annotations

import asyncio

import pytest
from django.utils import translation
from health_check.exceptions import ServiceUnavailable
from matplotlib import font_manager

from supportplan.reports import charts, fonts, services
from supportplan.reports.health import CjkFonts
from supportplan.reports.models import ReportState, ReportStatus

from .test_services import NOW, OCT, tenants  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def fresh():
    fonts.forget()
    yield
    fonts.forget()


def test_a_cache_that_predates_the_cjk_font_is_rebuilt(monkeypatch):
    # the cache was written before fonts-noto-cjk was installed: it lists no CJK file
    stale = [f for f in font_manager.fontManager.ttflist if "CJK" not in f.fname]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    font_manager.fontManager._findfont_cached.cache_clear()
    assert fonts._matplotlib_font() is None
    assert fonts.matplotlib_problem() == ""
    assert "NotoSansCJK" in (fonts._matplotlib_font() or "")
    font_manager.fontManager._findfont_cached.cache_clear()


def test_without_a_chinese_font_the_report_fails_with_the_reason(tenants, monkeypatch):  # noqa: F811
    vip, _ = tenants["vip"]
    monkeypatch.setattr(charts, "FONT_FAMILY", ["Nonexistent Sans SC", "DejaVu Sans"])
    monkeypatch.setattr(fonts, "_rebuild_matplotlib_fonts", lambda: None)
    with translation.override("en"):
        assert "matplotlib finds none of Nonexistent Sans SC" in fonts.cjk_fonts_problem()
    with pytest.raises(ServiceUnavailable):
        asyncio.run(_run(CjkFonts()))
    report = services.report_generate(tenant=vip, month=OCT, now=NOW).report
    assert (report.status, report.reason_code, report.state) == (
        ReportStatus.NOT_GENERATED,
        "fonts_missing",
        ReportState.FAILED,
    )
    assert not report.pdf_file
    with translation.override("en"):
        assert "fonts-noto-cjk" in services.state_reason_text(report)


async def _run(check: CjkFonts) -> None:
    result = check.run()
    if asyncio.iscoroutine(result):
        await result


def test_on_this_machine_both_renderers_find_the_cjk_font():
    assert fonts.cjk_fonts_problem() == ""
    asyncio.run(_run(CjkFonts()))
