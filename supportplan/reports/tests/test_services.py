"""Generating, storing, sending and scheduling reports; deadlines; tenant isolation."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.core.errors import Conflict, DomainError
from supportplan.core.models import AuditEntry
from supportplan.core.testing import api_client, make_user
from supportplan.notifications import services as notifications
from supportplan.notifications.models import Outbox, OutboxStatus
from supportplan.notifications.tests.receivers import SmtpReceiver
from supportplan.reports import credentials, services
from supportplan.reports.data import Month
from supportplan.reports.models import DataSource, Report, ReportStatus
from supportplan.reports.selectors import deadlines_at_risk

OCT = Month(2026, 10)
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 2026-11-02 10:00 Asia/Shanghai

# Delivery month of 2026 -> deadline (SPEC §2 and the calendars helper's rule).
DEADLINES_2026 = [
    (Month(2025, 12), date(2026, 1, 13)),
    (Month(2026, 1), date(2026, 2, 10)),
    (Month(2026, 2), date(2026, 3, 10)),
    (Month(2026, 3), date(2026, 4, 13)),
    (Month(2026, 4), date(2026, 5, 15)),
    (Month(2026, 5), date(2026, 6, 10)),
    (Month(2026, 6), date(2026, 7, 10)),
    (Month(2026, 7), date(2026, 8, 10)),
    (Month(2026, 8), date(2026, 9, 10)),
    (Month(2026, 9), date(2026, 10, 17)),
    (Month(2026, 10), date(2026, 11, 10)),
    (Month(2026, 11), date(2026, 12, 10)),
]


@pytest.mark.parametrize("about,deadline", DEADLINES_2026, ids=[m.label for m, _ in DEADLINES_2026])
def test_deadline_for_every_delivery_month_of_2026(about, deadline):
    d = services.report_deadline(about)
    assert d.day == deadline
    assert d.due_at == datetime(deadline.year, deadline.month, deadline.day, 16, 0, tzinfo=UTC)


def deliver(now=NOW, *, step=timedelta(minutes=1), limit=120):
    """Run the notifications outbox (dispatch, delivery, retries) forward in time until every
    e-mail settled, then let reports settle its SENDING reports from the delivery log."""
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


@pytest.fixture
def smtp(settings):
    receiver = SmtpReceiver().start()
    settings.MAILERS = receiver.mailer_settings()
    yield receiver
    receiver.stop()


@pytest.fixture
def tenants(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SUPPORTPLAN_PAYMENT_PROVIDERS = ["bank_transfer", "test"]
    load_catalogs()
    vip, vip_user, _ = customer("partner", "vip")
    basic, basic_user, _ = customer("partner", "basic")
    other, other_user, _ = customer("partner", "dedicated")
    for t in (vip, other):
        services.data_source_add(
            tenant=t, kind="demo", settings={"seed": t.slug, "instances": 4}, now=NOW
        )
    return {"vip": (vip, vip_user), "basic": (basic, basic_user), "other": (other, other_user)}


def test_generate_stores_html_and_pdf_once(tenants):
    vip, _ = tenants["vip"]
    out = services.report_generate(tenant=vip, month=OCT, now=NOW)
    r = out.report
    assert out.created and r.status == ReportStatus.READY
    assert (r.deadline, r.language) == (date(2026, 11, 10), vip.language)
    assert r.html_file.name.startswith(f"reports/{vip.slug}/2026-10-")
    assert r.pdf_file.read(5) == b"%PDF-"
    assert r.headline["resources"] == 4
    again = services.report_generate(tenant=vip, month=OCT, now=NOW)
    assert not again.created and again.report.pk == r.pk
    assert Report.objects.count() == 1
    assert AuditEntry.objects.filter(action="report.ready").count() == 1


def test_plan_without_report_is_refused_naming_the_plans(tenants):
    basic, _ = tenants["basic"]
    from django.utils import translation

    with pytest.raises(DomainError) as exc:
        services.report_generate(tenant=basic, month=OCT, now=NOW)
    assert exc.value.code == "report.not_in_plan"
    with translation.override("en"):
        assert "Dedicated" in exc.value.message and "VIP" in exc.value.message
    with translation.override("zh-hans"):
        assert "专属级" in exc.value.message
    assert not Report.objects.exists()


def test_proof_of_concept_gets_a_not_generated_record_and_nothing_is_sent(tenants):
    from supportplan.accounts.services import tenant_update

    vip, _ = tenants["vip"]
    tenant_update(tenant=vip, actor=None, now=NOW, in_proof_of_concept=True)
    lines = services.reports_generate_month(month=OCT, now=NOW)
    r = Report.objects.get(tenant=vip)
    assert (r.status, r.reason_code, bool(r.pdf_file)) == (
        "not_generated",
        "proof_of_concept",
        False,
    )
    deliver()
    reports_mailed = [m.to for m in mail.outbox if m.attachments]
    assert reports_mailed == [[a] for a in tenants["other"][0].report_recipients()]
    assert {x.tenant: x.status for x in lines}[vip.slug] == "not_generated"
    with pytest.raises(Conflict):
        services.report_send(report=r, now=NOW)


def test_collection_failure_is_recorded_and_retried_next_run(tenants, tmp_path):
    vip, _ = tenants["vip"]
    DataSource.objects.filter(tenant=vip).update(
        kind="file", settings={"path": str(tmp_path / "{month}.json")}
    )
    services.reports_generate_month(month=OCT, now=NOW, tenant_slug=vip.slug)
    r = Report.objects.get(tenant=vip)
    assert r.status == "not_generated" and r.reason_code == "collection_failed"
    assert "2026-10.json does not exist" in r.reason_detail
    (tmp_path / "2026-10.json").write_text('{"resources": [{"id": "i-1", "status": "running"}]}')
    services.reports_generate_month(month=OCT, now=NOW, tenant_slug=vip.slug)
    r.refresh_from_db()
    assert (r.status, r.attempts, r.headline["resources"]) == ("sending", 2, 1)
    deliver()
    r.refresh_from_db()
    assert r.status == "sent"
    assert Report.objects.filter(tenant=vip).count() == 1


def test_batch_is_idempotent_and_sends_the_pdf_once_through_the_outbox(tenants, smtp):
    """Real SMTP that refuses the first attempts: every recipient gets the PDF exactly once,
    as an attachment, in the tenant's language; the report is 'sent' only once delivered."""
    from supportplan.accounts.services import tenant_update

    vip, _ = tenants["vip"]
    other, _ = tenants["other"]
    tenant_update(
        tenant=vip, actor=None, now=NOW, report_emails=["cio@vip.example", vip.registered_email]
    )
    deliver()  # the plans' own notices first: only report e-mails from here on
    before = len(smtp.messages)
    smtp.refuse(2)
    services.reports_generate_month(month=OCT, now=NOW)
    services.reports_generate_month(month=OCT, now=NOW)
    assert Report.objects.count() == 2  # vip and dedicated; basic has no report
    r = Report.objects.get(tenant=vip)
    assert r.status == ReportStatus.SENDING and r.sent_at is None
    assert not AuditEntry.objects.filter(action="report.sent").exists()
    assert services.report_send(report=r, now=NOW).status == ReportStatus.SENDING  # no-op

    done = deliver()
    assert done > NOW  # the refused attempts were retried later
    messages = smtp.messages[before:]
    assert sorted(m["To"] for m in messages) == sorted(
        [vip.registered_email, "cio@vip.example", other.registered_email]
    )
    stored = Report.objects.get(tenant=vip).pdf_file.read()
    for message in (m for m in messages if m["To"] != other.registered_email):
        [part] = list(message.iter_attachments())
        assert part.get_filename() == f"service-report-{vip.slug}-2026-10.pdf"
        assert part.get_content_type() == "application/pdf"
        assert part.get_content() == stored
        assert message["Content-Language"] == vip.language
    r.refresh_from_db()
    assert (r.status, r.sent_to) == ("sent", sorted([vip.registered_email, "cio@vip.example"]))
    assert r.sent_at is not None and r.sent_at > NOW
    sent = AuditEntry.objects.filter(action="report.sent", tenant=vip)
    assert [e.data["to"] for e in sent] == [sorted([vip.registered_email, "cio@vip.example"])]
    assert AuditEntry.objects.filter(action="report.sent").count() == 2

    # a third run and a delivery sweep send nothing more; a staff resend sends it again
    services.reports_generate_month(month=OCT, now=done)
    deliver(done)
    assert len(smtp.messages) == before + 3
    services.report_send(report=r, now=done, resend=True)
    deliver(done)
    assert len(smtp.messages) == before + 5
    assert AuditEntry.objects.filter(action="report.sent", tenant=vip).count() == 2


def test_a_mailing_that_gives_up_is_not_sent_and_says_so(tenants, smtp, settings):
    vip, _ = tenants["vip"]
    deliver()
    smtp.refuse(10, "550 5.1.1 mailbox unavailable")
    r = services.report_generate(tenant=vip, month=OCT, now=NOW).report
    services.report_send(report=r, now=NOW)
    deliver()
    r.refresh_from_db()
    assert (r.status, r.sent_at) == (ReportStatus.READY, None)
    [failed] = AuditEntry.objects.filter(action="report.send_failed")
    assert failed.data["failed"] == [vip.registered_email] and failed.data["delivered"] == []
    late = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
    assert {a.tenant.slug: a.state for a in deadlines_at_risk(late, OCT)}[vip.slug] == "ready"
    # the batch does not mail it blindly again; staff resend it once the address is fixed
    services.reports_generate_month(month=OCT, now=NOW, tenant_slug=vip.slug)
    assert Report.objects.get(pk=r.pk).status == ReportStatus.READY


def test_command_prints_progress(tenants):
    out = StringIO()
    call_command("reports", "generate", "--month", "2026-10", "--no-send", stdout=out)
    text = out.getvalue()
    assert "Reports for 2026-10 (deliver by 2026-11-10, Asia/Shanghai)" in text
    assert "[1/2]" in text and "[2/2]" in text
    assert "2 of 2 reports ready or sent; 0 not generated; 0 e-mails queued now" in text


def test_task_runs_the_month(tenants):
    from supportplan.reports.tasks import generate_month

    # the month job fans out into one task per tenant; each generates and queues the e-mail
    result = generate_month.enqueue(month="2026-10", as_of=NOW.isoformat())
    assert result.return_value == {"month": "2026-10", "queued": 2}
    rows = Report.objects.filter(year=2026, month=10).order_by("tenant__slug")
    assert [(r.state, r.status) for r in rows] == [("done", "sending")] * 2
    again = generate_month.enqueue(month="2026-10", as_of=NOW.isoformat())
    assert again.return_value == {"month": "2026-10", "queued": 0}


def test_deadlines_at_risk(tenants):
    vip, _ = tenants["vip"]
    other, _ = tenants["other"]
    # early in the month only failures are at risk
    services.report_generate(tenant=vip, month=OCT, now=NOW)
    assert deadlines_at_risk(NOW, OCT) == []
    late = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
    rows = {r.tenant.slug: r for r in deadlines_at_risk(late, OCT)}
    assert (rows[vip.slug].state, rows[other.slug].state) == ("ready", "missing")
    assert not rows[vip.slug].overdue
    after = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)  # 2026-11-11 00:00 Shanghai
    assert all(r.overdue for r in deadlines_at_risk(after, OCT))


def test_credentials_are_encrypted_and_never_shown(tenants):
    vip, _ = tenants["vip"]
    staff = make_user("platform_admin")
    client = api_client(staff)
    resp = client.post(
        "/api/report-sources/",
        {
            "tenant": vip.pk,
            "kind": "tencent",
            "settings": {"regions": ["ap-guangzhou"]},
            "secret": {"secret_id": "AKIDx", "secret_key": "very-secret"},
        },
        format="json",
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["credentials"] == "set" and "secret" not in resp.json()
    source = DataSource.objects.get(pk=resp.json()["id"])
    assert "very-secret" not in source.secret_encrypted
    assert credentials.decrypt(source.secret_encrypted) == {
        "secret_id": "AKIDx",
        "secret_key": "very-secret",
    }
    listing = client.get(f"/api/report-sources/?tenant={vip.pk}").content.decode()
    assert "very-secret" not in listing and "AKIDx" not in listing
    assert not any("very-secret" in str(e.data) for e in AuditEntry.objects.all())
    bad = client.post(
        "/api/report-sources/",
        {"tenant": vip.pk, "kind": "tencent", "settings": {"secret_key": "x"}},
        format="json",
    )
    assert bad.status_code == 400 and "secret_key" in bad.json()["message"]


def test_customers_reach_only_their_own_reports_through_every_url(tenants):
    vip, vip_user = tenants["vip"]
    other, other_user = tenants["other"]
    mine = services.report_generate(tenant=vip, month=OCT, now=NOW).report
    theirs = services.report_generate(tenant=other, month=OCT, now=NOW).report
    c = api_client(vip_user)
    assert [r["id"] for r in c.get("/api/reports/").json()["results"]] == [mine.pk]
    assert c.get(f"/api/reports/{mine.pk}/").status_code == 200
    html = c.get(f"/api/reports/{mine.pk}/html/")
    assert html.status_code == 200 and vip.name.encode() in html.content
    pdf = c.get(f"/api/reports/{mine.pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content)[:5] == b"%PDF-"
    for url in (
        f"/api/reports/{theirs.pk}/",
        f"/api/reports/{theirs.pk}/html/",
        f"/api/reports/{theirs.pk}/pdf/",
        f"/api/reports/{theirs.pk}/pdf/?inline=1",
    ):
        resp = c.get(url)
        assert resp.status_code == 404, url
        assert other.name.encode() not in resp.content
    assert c.get(f"/api/reports/?tenant={other.pk}").json()["results"] == [
        {**c.get(f"/api/reports/{mine.pk}/").json()}
    ]
    # staff-only actions
    assert c.post(f"/api/reports/{mine.pk}/send/").status_code == 403
    assert (
        c.post(
            "/api/reports/generate/", {"tenant": other.pk, "month": "2026-10"}, format="json"
        ).status_code
        == 403
    )
    assert c.get("/api/reports/at-risk/").status_code == 403
    assert c.get("/api/report-sources/").status_code == 403
    # nobody signed in
    assert api_client().get(f"/api/reports/{mine.pk}/pdf/").status_code in (401, 403)


def test_not_generated_records_are_for_staff_only(tenants):
    from supportplan.accounts.services import tenant_update

    vip, vip_user = tenants["vip"]
    tenant_update(tenant=vip, actor=None, now=NOW, in_proof_of_concept=True)
    r = services.report_generate(tenant=vip, month=OCT, now=NOW).report
    assert api_client(vip_user).get(f"/api/reports/{r.pk}/").status_code == 404
    staff = api_client(make_user("support_manager"), language="zh-hans")
    body = staff.get(f"/api/reports/{r.pk}/").json()
    assert body["reason"] == {
        "code": "proof_of_concept",
        "message": "该租户仍处于上云 POC 阶段：部署架构变动较大，不适宜生成月报。",
    }


def test_staff_generate_and_refusals_in_both_languages(tenants):
    basic, _ = tenants["basic"]
    vip, _ = tenants["vip"]
    staff = make_user("support_manager")
    en = api_client(staff, language="en").post(
        "/api/reports/generate/", {"tenant": basic.pk, "month": "2026-10"}, format="json"
    )
    assert en.status_code == 409 and en.json()["code"] == "report.not_in_plan"
    assert "Dedicated" in en.json()["message"]
    zh = api_client(staff, language="zh-hans").post(
        "/api/reports/generate/", {"tenant": vip.pk, "month": "2026-13"}, format="json"
    )
    assert zh.status_code == 400 and zh.json()["code"] == "report.month_unreadable"
    ok = api_client(staff).post(
        "/api/reports/generate/",
        {"tenant": vip.pk, "month": "2026-10", "send": True},
        format="json",
    )
    # queued for a worker (the test task backend runs it at once): 202, then done
    assert ok.status_code == 202
    assert (ok.json()["state"], ok.json()["status"]) == ("done", "sending")
    again = api_client(staff).post(
        "/api/reports/generate/", {"tenant": vip.pk, "month": "2026-10"}, format="json"
    )
    assert again.status_code == 200 and again.json()["id"] == ok.json()["id"]
    assert Report.objects.filter(tenant=vip).count() == 1
    assert AuditEntry.objects.filter(action="report.queued", tenant=vip).count() == 1


@pytest.mark.parametrize(
    "language,text",
    [
        ("en", "The report about %s can only be generated once the month is over, from %s"),
        ("zh-hans", "%s 的报告需在该月份结束后才能生成：自 %s 起"),
    ],
)
def test_months_that_are_not_over_are_refused_everywhere(tenants, language, text):
    from supportplan.core import clock

    vip, _ = tenants["vip"]
    staff = make_user("support_manager")
    this = Month.containing(clock.now())
    for month in (this, Month(2027, 3)):
        r = api_client(staff, language=language).post(
            "/api/reports/generate/", {"tenant": vip.pk, "month": month.label}, format="json"
        )
        assert r.status_code == 400 and r.json()["code"] == "report.month_not_over"
        assert text % (month.label, month.end.date().isoformat()) in r.json()["message"]
    # the service refuses for every caller (CLI, admin, batch, worker): same rule, same code
    with pytest.raises(DomainError) as exc:
        services.report_generate(
            tenant=vip, month=OCT, now=datetime(2026, 10, 31, 15, 59, tzinfo=UTC)
        )
    assert exc.value.code == "report.month_not_over"
    with pytest.raises(DomainError):
        services.reports_generate_month(month=OCT, now=datetime(2026, 10, 20, tzinfo=UTC))
    # 2026-11-01 00:00 Shanghai: October is over
    ok = services.report_generate(
        tenant=vip, month=OCT, now=datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    )
    assert ok.report.status == ReportStatus.READY
    assert (
        not Report.objects.filter(month__in=[this.month, 3], year__gte=2026)
        .exclude(month=10)
        .exists()
    )


def test_service_summary_lists_the_advisories_that_reached_the_tenant_in_the_month(tenants):
    """Counted by when the organisation was notified (TAM first for enterprise care), not
    when the advisory was published; another tenant's notices and drafts never count."""
    from supportplan.advisories import services as advisories
    from supportplan.advisories.selectors import target_of
    from supportplan.advisories.tests.factories import draft
    from supportplan.reports import collector

    vip, _ = tenants["vip"]  # partner VIP: enterprise care, so the TAM (here: managers) first
    other, _ = tenants["other"]  # partner Dedicated: notified at publication
    manager = make_user("support_manager")

    def publish(title, at):
        a = draft(manager, clouds=[], now=at, title={"zh-hans": f"{title} 通告", "en": title})
        advisories.advisory_publish(actor=manager, advisory=a, now=at)
        return a

    def contact(advisory, at):
        advisories.advisory_record_contact(
            actor=manager, target=target_of(advisory, vip), now=at, note="phoned"
        )

    # published 30 Sep 18:00 Shanghai, the VIP customer reached 1 Oct 09:00 Shanghai
    a3 = publish("Sept advisory", datetime(2026, 9, 30, 10, 0, tzinfo=UTC))
    contact(a3, datetime(2026, 10, 1, 1, 0, tzinfo=UTC))
    a1 = publish("Early October advisory", datetime(2026, 10, 5, 2, 0, tzinfo=UTC))
    contact(a1, datetime(2026, 10, 6, 2, 0, tzinfo=UTC))
    # published 31 Oct 23:30 Shanghai; the VIP customer reached 1 Nov 00:30 Shanghai
    a2 = publish("Late October advisory", datetime(2026, 10, 31, 15, 30, tzinfo=UTC))
    contact(a2, datetime(2026, 10, 31, 16, 30, tzinfo=UTC))
    draft(manager, clouds=[], now=datetime(2026, 10, 10, tzinfo=UTC))  # never published

    def reached(tenant):
        p = collector.collect_platform(tenant, OCT, collector.report_plan(tenant, OCT))
        return [(a.title["en"], a.notified_at) for a in p.advisories]

    assert reached(vip) == [
        ("Sept advisory", datetime(2026, 10, 1, 1, 0, tzinfo=UTC)),
        ("Early October advisory", datetime(2026, 10, 6, 2, 0, tzinfo=UTC)),
    ]
    assert reached(other) == [
        ("Early October advisory", datetime(2026, 10, 5, 2, 0, tzinfo=UTC)),
        ("Late October advisory", datetime(2026, 10, 31, 15, 30, tzinfo=UTC)),
    ]
    report = services.report_generate(tenant=vip, month=OCT, now=NOW).report
    html = report.html_file.read().decode()
    lang = vip.language
    assert a3.title[lang] in html and a1.title[lang] in html and a2.title[lang] not in html


def test_ticket_section_counts_real_cases_and_their_first_response_outcome(tenants):
    """Cases opened through the cases services: the answered ones lose their due column, so
    met/missed come from the cases app's outcome, and a miss keeps its due time."""
    from supportplan.cases import services as cases
    from supportplan.reports import collector
    from supportplan.reports.builder import build_report
    from supportplan.reports.data import CloudData, ReportData

    vip, vip_user = tenants["vip"]
    engineer = make_user("senior_expert", handler_tier="senior_expert")
    opened = []
    for day, late in ((3, False), (10, False), (17, True)):
        at = datetime(2026, 10, day, 2, 0, tzinfo=UTC)
        case = cases.case_open(
            actor=vip_user,
            tenant=vip,
            provider="partner",
            channel="ticket",
            severity="general_guidance",
            subject=f"Question {day}",
            description="How do we rotate keys?",
            now=at,
        )
        due = case.first_response_due
        reply = due + timedelta(minutes=25) if late else at + (due - at) / 2
        cases.case_reply(actor=engineer, case=case, body="Answer.", now=reply)
        opened.append((case, due))
    # opened after the month: not in October's report
    cases.case_open(
        actor=vip_user,
        tenant=vip,
        provider="partner",
        channel="ticket",
        severity="general_guidance",
        subject="November",
        description="Later",
        now=datetime(2026, 11, 1, 2, 0, tzinfo=UTC),
    )
    platform = collector.collect_platform(vip, OCT, collector.report_plan(vip, OCT))
    assert [(t.subject, t.first_response_met) for t in platform.tickets] == [
        ("Question 3", True),
        ("Question 10", True),
        ("Question 17", False),
    ]
    late_case, late_due = opened[2]
    assert platform.tickets[2].first_response_due == late_due
    content = build_report(
        ReportData(
            tenant_name=vip.name,
            year=2026,
            month=10,
            start=OCT.start,
            end=OCT.end,
            platform=platform,
            cloud=CloudData(),
        )
    )
    assert (content.tickets.total, content.tickets.sla_overall) == (3, 66.7)
    assert [t.id for t in content.tickets.missed] == [f"#{late_case.pk}"]
