"""E-mail attachments through the outbox: a context names a stored file in the audit entry's
`data["attachments"]`, the dispatch rule copies it onto each e-mail row, and every attempt
reads the same bytes. Real SMTP (aiosmtpd) that refuses the first attempts."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from supportplan.core.audit import audit_log
from supportplan.core.testing import T0
from supportplan.notifications import services
from supportplan.notifications.models import DeliveryAttempt, Outbox, OutboxStatus

from .factories import tenant_on

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def run_until_quiet(entry, start, *, step=timedelta(minutes=1), limit=100):
    """Drive dispatch and the retry sweep forward until the entry's e-mails settled."""
    now = start
    for _ in range(limit):
        services.deliver_due(now=now)
        rows = Outbox.objects.filter(entry=entry)
        if (
            rows.exists()
            and not rows.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]).exists()
        ):
            return now
        now += step
    raise AssertionError("deliveries never settled")


def mailed(tenant, path, recipients):
    return audit_log(
        action="report.mailed",
        at=T0,
        tenant=tenant,
        data={
            "period": "2026-10",
            "tenant_name": tenant.name,
            "recipients": recipients,
            "tickets": 7,
            "sla_attainment": 85.7,
            "advice": 3,
            "attachments": [
                {"name": "service-report-2026-10.pdf", "path": path, "mimetype": "application/pdf"}
            ],
        },
    )


def test_the_pdf_arrives_once_as_an_attachment_even_when_smtp_refuses_first(
    catalogs, smtp, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    path = default_storage.save("reports/t/2026-10-x.pdf", ContentFile(PDF))
    tenant = tenant_on("partner", "vip", language="en", registered_email="it@jinhai.example")
    smtp.refuse(3)  # both rows' first attempt and one retry

    entry = mailed(tenant, path, ["it@jinhai.example", "cio@jinhai.example"])
    run_until_quiet(entry, T0)
    rows = list(Outbox.objects.filter(entry=entry).order_by("address"))
    assert [(r.address, r.language, r.attachments) for r in rows] == [
        (
            a,
            "en",
            [{"name": "service-report-2026-10.pdf", "path": path, "mimetype": "application/pdf"}],
        )
        for a in ("cio@jinhai.example", "it@jinhai.example")
    ]

    messages = smtp.messages
    assert sorted(m["To"] for m in messages) == ["cio@jinhai.example", "it@jinhai.example"]
    for message in messages:
        assert message["Subject"] == f"Monthly service report 2026-10 · {tenant.name}"
        [part] = list(message.iter_attachments())
        assert part.get_filename() == "service-report-2026-10.pdf"
        assert part.get_content_type() == "application/pdf"
        assert part.get_content() == PDF
        plain = message.get_body(preferencelist=("plain",)).get_content()
        assert "attached as a PDF" in plain and "85.7%" in plain
    assert set(Outbox.objects.values_list("status", flat=True)) == {"sent"}
    assert DeliveryAttempt.objects.filter(ok=False).count() == 3
    assert DeliveryAttempt.objects.filter(ok=True).count() == 2


def test_tenant_language_and_a_vanished_file_fails_at_once_and_visibly(
    catalogs, smtp, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    tenant = tenant_on("partner", "vip", language="zh-hans", registered_email="it@dongfang.example")
    entry = mailed(tenant, "reports/t/gone.pdf", ["it@dongfang.example"])
    run_until_quiet(entry, T0)
    [row] = Outbox.objects.filter(entry=entry)
    assert row.content["subject"] == f"企业服务月报 2026-10 · {tenant.name}"
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert "service-report-2026-10.pdf" in row.last_error and "no longer stored" in row.last_error
    assert smtp.messages == []
