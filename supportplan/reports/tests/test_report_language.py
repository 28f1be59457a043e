"""Issue 15.22: a report is written once, in the organisation's language; a reader who reads
the site in another language sees which language it is in, and may have it drawn in theirs
(the PDF and the e-mailed report stay as generated)."""

from __future__ import annotations

import re

from django.test import Client

from supportplan.reports import services
from supportplan.reports.render import STORED_REPORT_CSP

from .test_services import NOW, OCT, tenants  # noqa: F401 - the fixture


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found
    return found.group(1).split(" · ")[0]


def test_a_reader_has_the_report_drawn_in_the_other_language(tenants):  # noqa: F811
    vip, user = tenants["vip"]
    vip.language = "zh-hans"
    vip.save(update_fields=["language"])
    report = services.report_generate(tenant=vip, month=OCT, now=NOW).report
    user.language = "en"
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)

    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert "This report is in Simplified Chinese" in page
    assert 'href="?in=en">Read it in English</a>' in page
    assert f'src="/reports/{report.pk}/download/?format=html&amp;in=zh-hans"' in page

    stored = client.get(f"/reports/{report.pk}/download/?format=html&in=zh-hans")
    assert _title(b"".join(stored.streaming_content).decode()) == "企业服务月报"

    switched = client.get(f"/reports/{report.pk}/?in=en").content.decode()
    assert "Shown in English at your request" in switched
    assert f'src="/reports/{report.pk}/download/?format=html&amp;in=en"' in switched
    drawn = client.get(f"/reports/{report.pk}/download/?format=html&in=en")
    assert drawn.status_code == 200
    assert drawn["Content-Security-Policy"] == STORED_REPORT_CSP
    html = drawn.content.decode()
    assert '<html lang="en">' in html and _title(html) == "Monthly service report"
    assert vip.name in html

    pdf = client.get(f"/reports/{report.pk}/download/")
    assert b"".join(pdf.streaming_content)[:5] == b"%PDF-"  # the PDF is the stored one


def test_another_tenants_report_is_not_drawn_for_anyone_else(tenants):  # noqa: F811
    other, _ = tenants["other"]
    _, intruder = tenants["vip"]
    report = services.report_generate(tenant=other, month=OCT, now=NOW).report
    client = Client()
    client.force_login(intruder)
    answer = client.get(f"/reports/{report.pk}/download/?format=html&in=en")
    assert answer.status_code == 404
    assert other.name.encode() not in answer.content
