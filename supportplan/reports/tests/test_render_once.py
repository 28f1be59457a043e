"""A report's charts are drawn once for the page and the PDF (issue 16), and the PDF, whose
stylesheet is parsed once per process, still names the tenant at the foot of every page."""

import shutil
import subprocess
from datetime import UTC, datetime

import pytest

from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.reports import charts, services
from supportplan.reports.data import Month

OCT = Month(2026, 10)
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def vip(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SUPPORTPLAN_PAYMENT_PROVIDERS = ["bank_transfer", "test"]
    load_catalogs()
    tenant, _user, _ = customer("partner", "vip")
    services.data_source_add(
        tenant=tenant, kind="demo", settings={"seed": tenant.slug, "instances": 4}, now=NOW
    )
    return tenant


def test_the_page_and_the_pdf_share_one_drawing_of_each_chart(vip, monkeypatch):
    drawn: list[str] = []
    real = charts.to_png

    def counting(fig):
        drawn.append(fig.axes[0].get_title(loc="left") if fig.axes else "")
        return real(fig)

    monkeypatch.setattr(charts, "to_png", counting)
    report = services.report_generate(tenant=vip, month=OCT, now=NOW).report
    page = report.html_file.read().decode()
    # metric grid, cases per month, spend; the demo tenant has no security events
    assert len(drawn) == 3
    assert page.count('<img class="chart" alt="" src="data:image/png;base64,') == 3
    assert "<style>" in page  # the stored page stays self-contained


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_every_page_of_the_pdf_names_the_tenant_at_its_foot(vip, tmp_path):
    vip.name = "华东云科技 “Blue” Ltd"
    vip.save(update_fields=["name"])
    report = services.report_generate(tenant=vip, month=OCT, now=NOW).report
    path = tmp_path / "r.pdf"
    path.write_bytes(report.pdf_file.read())
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) > 1
    footers = [" ".join(p.strip().splitlines()[-1].split()) for p in pages]
    n = len(pages)
    assert footers == [f"华东云科技 “Blue” Ltd {i}/{n}" for i in range(1, n + 1)]
