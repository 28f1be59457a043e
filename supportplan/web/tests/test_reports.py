"""Monthly reports in the portal and the console: customers read their own report online and
download the PDF through tenant-checked views; staff generate, preview and resend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from supportplan.core import clock
from supportplan.core.models import AuditEntry
from supportplan.reports import services as report_services
from supportplan.reports.data import Month
from supportplan.reports.models import Report, ReportState, ReportStatus

from .conftest import client_for, make_customer


def _source(customer):
    report_services.data_source_add(
        tenant=customer.tenant, kind="demo", settings={"seed": "w", "instances": 2}, now=clock.now()
    )


def _report(customer):
    _source(customer)
    now = clock.now()
    return report_services.report_generate(
        tenant=customer.tenant, month=Month.containing(now).previous(), now=now
    ).report


def since_last_month() -> timedelta:
    """Entitled since before last month ended (a report is only about a month that is over);
    the test catalogs exist from 30 days ago."""
    now = clock.now()
    return min(now - Month.containing(now).start + timedelta(hours=1), timedelta(days=29.9))


@pytest.fixture
def two(catalogs, staff):
    return (
        make_customer("partner", "vip", name="Mine Bank", since=since_last_month()),
        make_customer("partner", "vip", name="Other Bank", since=since_last_month()),
    )


def test_customer_reads_the_report_online_and_downloads_the_pdf(two):
    mine, theirs = two
    report, other = _report(mine), _report(theirs)
    client = client_for(mine.member)
    page = client.get(reverse("web:reports")).content.decode()
    pdf_url = reverse("web:report_download", args=[report.pk])
    assert f'href="{pdf_url}"' in page and f'href="{pdf_url}?format=html"' in page
    assert reverse("web:report_download", args=[other.pk]) not in page
    pdf = client.get(pdf_url)
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content)[:5] == b"%PDF-"
    # the link in the "report ready" notice: the report to read in the browser
    html = client.get(f"{pdf_url}?format=html")
    assert html["Content-Type"] == "text/html; charset=utf-8"
    assert "Mine Bank" in b"".join(html.streaming_content).decode()
    # /reports/<id>/: the site's header, the way back, the report's language and why
    page = client.get(reverse("web:report", args=[report.pk])).content.decode()
    assert '<header class="topbar">' in page
    assert f'href="{reverse("web:reports")}">← All reports</a>' in page
    assert f'src="{pdf_url}?format=html&amp;in={report.language}"' in page
    assert "reports are written in the organisation's language" in page
    for url in (
        reverse("web:report", args=[other.pk]),
        reverse("web:report_download", args=[other.pk]),
    ):
        assert client.get(url).status_code == 404


def test_staff_generate_preview_and_resend_from_the_console(two, staff):
    mine, theirs = two
    _source(mine)
    manager = client_for(staff["manager"])
    page = manager.get(reverse("web:staff_reports")).content.decode()
    last = Month.containing(clock.now()).previous().label
    assert f'name="month" value="{last}"' in page

    month = Month.containing(clock.now()).previous()
    resp = manager.post(
        reverse("web:staff_report_generate"),
        {"tenant": mine.tenant.pk, "month": month.label, "send": "1"},
        follow=True,
    )
    report = Report.objects.get(tenant=mine.tenant)
    assert report.status == ReportStatus.SENDING  # queued in the notifications outbox
    body = resp.content.decode()
    assert f"Report {month.label} for Mine Bank: Sending." in body
    assert report.state == ReportState.DONE  # (the test task backend runs it at once)
    preview = reverse("web:report_download", args=[report.pk])
    assert f'href="{preview}?format=html"' in body and f'href="{preview}"' in body
    assert manager.get(f"{preview}?format=html").status_code == 200
    assert b"".join(manager.get(preview).streaming_content)[:5] == b"%PDF-"

    resend = manager.post(reverse("web:staff_report_send", args=[report.pk]), follow=True)
    assert "is queued for e-mail to" in resend.content.decode()
    assert AuditEntry.objects.filter(action="report.mailed", tenant=mine.tenant).count() == 2
    # customers have no console: the same posts are 404 and write nothing
    customer = client_for(mine.admin)
    assert customer.post(reverse("web:staff_report_send", args=[report.pk])).status_code == 404
    assert (
        customer.post(
            reverse("web:staff_report_generate"),
            {"tenant": theirs.tenant.pk, "month": month.label},
        ).status_code
        == 404
    )
    assert AuditEntry.objects.filter(action="report.mailed").count() == 2
    assert not Report.objects.filter(tenant=theirs.tenant).exists()


@pytest.mark.parametrize(
    "language,plan_names,bad_month,not_over",
    [
        (
            "en",
            "Dedicated",
            "Cannot read the month",
            "can only be generated once the month is over",
        ),
        ("zh-hans", "专属级", "无法识别月份", "月份结束后才能生成"),
    ],
)
def test_staff_generate_refusals_in_both_languages(
    catalogs, staff, language, plan_names, bad_month, not_over
):
    basic = make_customer("partner", "basic", name="Qingyun Retail")
    manager = client_for(staff["manager"], language=language)
    month = Month.containing(clock.now()).previous().label
    refused = manager.post(
        reverse("web:staff_report_generate"), {"tenant": basic.tenant.pk, "month": month}
    )
    assert refused.status_code == 200 and plan_names in refused.content.decode()
    unreadable = manager.post(
        reverse("web:staff_report_generate"), {"tenant": basic.tenant.pk, "month": "2026-13"}
    )
    assert bad_month in unreadable.content.decode()
    # a month that is not over (this one, or one in the future) has no report yet
    vip = make_customer("partner", "vip", name="Mine Bank", since=since_last_month())
    for early in (Month.containing(clock.now()).label, "2027-03"):
        refused = manager.post(
            reverse("web:staff_report_generate"), {"tenant": vip.tenant.pk, "month": early}
        ).content.decode()
        assert not_over in refused and early in refused
    assert not Report.objects.exists()


def test_a_zh_reader_is_told_why_the_report_is_in_english(two):
    """Issue 15.22: the report follows the organisation's language; a zh-Hans reader is told
    so, and where to change it."""
    mine, _theirs = two
    report = _report(mine)
    report.language = "en"
    report.save(update_fields=["language"])
    page = client_for(mine.member, "zh-hans").get(reverse("web:report", args=[report.pk]))
    html = page.content.decode()
    assert "本月报为英语：月报在生成时按组织的语言撰写，只生成一次。" in html
    assert f'<a href="{reverse("web:org")}">组织设置</a>' in html


def test_the_overview_names_the_latest_report_by_its_month(two):
    mine, _theirs = two
    report = _report(mine)
    page = client_for(mine.member).get(reverse("home")).content.decode()
    assert f"<strong>{report.period}</strong> · " in page
