"""Regenerating a report while its e-mail is still being delivered (real SMTP, aiosmtpd).

Our rule: a report keeps its files for life and a regeneration replaces their content, so
the e-mails still queued or retrying carry the current report. Nobody sees a failure, every
address gets exactly one e-mail, and the record names who already had the previous version.
"""

from datetime import UTC, datetime, timedelta

import pytest

from supportplan.accounts.services import tenant_update
from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.core.models import AuditEntry
from supportplan.notifications import services as notifications
from supportplan.notifications.models import Outbox, OutboxStatus
from supportplan.notifications.tests.receivers import SmtpReceiver
from supportplan.reports import services
from supportplan.reports.data import Month
from supportplan.reports.models import Report, ReportStatus

OCT = Month(2026, 10)
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 2026-11-02 10:00 Asia/Shanghai
CIO = "cio@vip.example"


@pytest.fixture
def smtp(settings):
    receiver = SmtpReceiver().start()
    settings.MAILERS = receiver.mailer_settings()
    yield receiver
    receiver.stop()


@pytest.fixture
def vip(db, settings, tmp_path, smtp):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SUPPORTPLAN_PAYMENT_PROVIDERS = ["bank_transfer", "test"]
    load_catalogs()
    tenant, _user, _ = customer("partner", "vip")
    tenant_update(tenant=tenant, actor=None, now=NOW, report_emails=[CIO, tenant.registered_email])
    services.data_source_add(
        tenant=tenant, kind="demo", settings={"seed": tenant.slug, "instances": 3}, now=NOW
    )
    settle(NOW)  # the plan's own notices first
    return tenant


def settle(now, *, step=timedelta(minutes=1), limit=120):
    """Run the outbox (dispatch, delivery, retries) forward until every e-mail settled."""
    for _ in range(limit):
        notifications.deliver_due(now=now)
        if (
            not Outbox.objects.filter(
                status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
            ).exists()
            and services.report_deliveries_check(now=now).get("sending", 0) == 0
        ):
            return now
        now += step
    raise AssertionError("report e-mails never settled")


def regenerate(tenant, now, capture):
    with capture(execute=True):  # the file replacement runs when the transaction commits
        return services.report_generate(tenant=tenant, month=OCT, now=now, force=True).report


def report_mails(smtp):
    return [m for m in smtp.messages if any(True for _ in m.iter_attachments())]


def attachments(smtp):
    """(address, the PDF bytes it received), one entry per report e-mail."""
    out = []
    for message in report_mails(smtp):
        [part] = list(message.iter_attachments())
        out.append((message["To"], part.get_content()))
    return sorted(out)


def no_failure_anywhere():
    assert not AuditEntry.objects.filter(
        action__in=["notification.failed", "report.send_failed"]
    ).exists()
    assert not Outbox.objects.filter(status=OutboxStatus.FAILED).exists()


def test_retrying_mail_sends_the_regenerated_report(vip, smtp, django_capture_on_commit_callbacks):
    smtp.refuse(2)  # both addresses' first attempt: the mail server is busy
    report = services.report_generate(tenant=vip, month=OCT, now=NOW).report
    services.report_send(report=report, now=NOW)
    notifications.deliver_due(now=NOW)
    assert report_mails(smtp) == []
    assert Outbox.objects.filter(rule="report.mailed", status=OutboxStatus.PENDING).count() == 2
    first_pdf = Report.objects.get(pk=report.pk).pdf_file.read()

    later = NOW + timedelta(hours=1)  # the report shows when it was generated
    again = regenerate(vip, later, django_capture_on_commit_callbacks)
    assert (again.pk, again.status, again.generated_at) == (report.pk, ReportStatus.SENDING, later)
    current_pdf = Report.objects.get(pk=report.pk).pdf_file.read()
    assert current_pdf[:5] == b"%PDF-" and current_pdf != first_pdf
    [updated] = AuditEntry.objects.filter(action="report.mailing_updated")
    mailing = services.last_mailing(again)
    assert updated.data == {
        "period": "2026-10",
        "mailing": mailing.pk,
        "reason": "regenerated",
        "pending": sorted([CIO, vip.registered_email]),
        "delivered_before": [],
    }

    done = settle(later)
    assert attachments(smtp) == sorted([(CIO, current_pdf), (vip.registered_email, current_pdf)])
    no_failure_anywhere()
    report.refresh_from_db()
    assert (report.status, report.sent_to) == (
        ReportStatus.SENT,
        sorted([CIO, vip.registered_email]),
    )
    assert AuditEntry.objects.filter(action="report.sent").count() == 1
    assert AuditEntry.objects.filter(action="report.mailed").count() == 1
    # the monthly batch and another sweep send nothing more
    services.reports_generate_month(month=OCT, now=done)
    settle(done)
    assert len(report_mails(smtp)) == 2


def test_one_address_had_the_previous_version_the_other_gets_the_new_one_once(
    vip, smtp, django_capture_on_commit_callbacks
):
    report = services.report_generate(tenant=vip, month=OCT, now=NOW).report
    services.report_send(report=report, now=NOW)
    notifications.dispatch_pending(now=NOW)
    rows = {r.address: r for r in Outbox.objects.filter(rule="report.mailed")}
    first_pdf = report.pdf_file.read()
    smtp.refuse(1)
    assert notifications.outbox_deliver(outbox_id=rows[CIO].pk, now=NOW) == "pending"
    assert notifications.outbox_deliver(outbox_id=rows[vip.registered_email].pk, now=NOW) == "sent"

    later = NOW + timedelta(hours=1)  # the report shows when it was generated
    regenerate(vip, later, django_capture_on_commit_callbacks)
    current_pdf = Report.objects.get(pk=report.pk).pdf_file.read()
    [updated] = AuditEntry.objects.filter(action="report.mailing_updated")
    assert (updated.data["pending"], updated.data["delivered_before"]) == (
        [CIO],
        [vip.registered_email],
    )

    done = settle(later)
    assert attachments(smtp) == sorted([(vip.registered_email, first_pdf), (CIO, current_pdf)])
    no_failure_anywhere()
    assert Report.objects.get(pk=report.pk).status == ReportStatus.SENT
    services.reports_generate_month(month=OCT, now=done)
    settle(done)
    assert len(report_mails(smtp)) == 2


def test_regenerated_before_the_mail_was_dispatched(vip, smtp, django_capture_on_commit_callbacks):
    report = services.report_generate(tenant=vip, month=OCT, now=NOW).report
    services.report_send(report=report, now=NOW)
    assert not Outbox.objects.filter(rule="report.mailed").exists()  # fan-out not run yet
    first_pdf = report.pdf_file.read()
    later = NOW + timedelta(hours=1)
    regenerate(vip, later, django_capture_on_commit_callbacks)
    current_pdf = Report.objects.get(pk=report.pk).pdf_file.read()
    assert current_pdf != first_pdf
    settle(later)
    assert attachments(smtp) == sorted([(CIO, current_pdf), (vip.registered_email, current_pdf)])
    no_failure_anywhere()


def test_regenerating_a_sent_report_does_not_mail_it_again_until_staff_resend(
    vip, smtp, django_capture_on_commit_callbacks
):
    services.reports_generate_month(month=OCT, now=NOW)
    done = settle(NOW)
    assert len(report_mails(smtp)) == 2
    report = Report.objects.get(tenant=vip)
    sent_at, first_pdf = report.sent_at, report.pdf_file.read()
    done += timedelta(days=1)
    regenerate(vip, done, django_capture_on_commit_callbacks)
    report.refresh_from_db()
    assert (report.status, report.sent_at) == (ReportStatus.SENT, sent_at)
    services.reports_generate_month(month=OCT, now=done)
    settle(done)
    assert len(report_mails(smtp)) == 2
    services.report_send(report=report, now=done, resend=True)
    settle(done)
    current_pdf = report.pdf_file.read()
    assert current_pdf != first_pdf
    assert sorted(pdf for _to, pdf in attachments(smtp)) == sorted(
        [first_pdf] * 2 + [current_pdf] * 2
    )
    no_failure_anywhere()
