"""Write use cases for monthly reports: generate (one tenant-month), send, batch a month.

Idempotent by construction: one Report row per tenant and month (unique constraint);
generating again returns the finished report unless `force`; sending again is refused
unless it is an explicit staff resend.
"""

from __future__ import annotations

import logging
import pickle
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from supportplan.accounts.models import Tenant
from supportplan.calendars.deadlines import ReportDeadline, monthly_report_deadline
from supportplan.core.audit import audit_log
from supportplan.core.errors import Conflict, DomainError
from supportplan.core.models import AuditEntry

from . import collector, credentials, fonts
from .builder import ReportContent, build_report
from .connectors.base import Connector, connector_for
from .data import CloudData, CollectionFailed, Month, PlatformData, ReportData
from .models import DataSource, Report, ReportState, ReportStatus
from .render import render_charts, render_html, render_pdf

log = logging.getLogger(__name__)

# "Not generated, because ..." reasons: stable codes, texts shown to staff.
REASONS: dict[str, Any] = {
    "proof_of_concept": _(
        "The tenant is still in a proof of concept: its architecture changes too often for a "
        "meaningful report."
    ),
    "no_data_source": _(
        "No cloud data source is configured for this tenant: add one (Tencent Cloud, Huawei "
        "Cloud or a file) under report data sources."
    ),
    "collection_failed": _("The cloud data could not be collected: %(detail)s"),
    "render_failed": _("The report could not be rendered: %(detail)s"),
    "fonts_missing": _(
        "The report was not delivered because its Chinese text would not render: %(detail)s"
    ),
    "regenerate_failed": _(
        "The report was not regenerated and the previous one is kept: %(detail)s"
    ),
    "refused": _("%(detail)s"),
}

# a generation queued or in progress for longer than this is taken to be lost (its worker
# died): enqueueing again starts a new one
STALE_GENERATION = timedelta(minutes=30)
IN_PROGRESS = (ReportState.QUEUED, ReportState.COLLECTING, ReportState.RENDERING)


def reason_text(code: str, detail: str = "") -> str:
    template = REASONS.get(code)
    if template is None:
        return code
    text = str(template)
    return text % {"detail": detail} if "%(detail)s" in text else text


def require_month_over(month: Month, now: datetime) -> None:
    """A monthly report is about a month that is over (in Asia/Shanghai)."""
    if now < month.end:
        raise DomainError(
            "report.month_not_over",
            _(
                "The report about %(month)s can only be generated once the month is over, "
                "from %(from)s (Asia/Shanghai). The latest month with a report is %(latest)s."
            ),
            month=month.label,
            **{"from": month.end.date().isoformat()},  # type: ignore[arg-type]
            latest=Month.containing(now).previous().label,
            field="month",
        )


def require_plan(tenant: Tenant, month: Month) -> Any:
    plan = collector.report_plan(tenant, month)
    if plan is None:
        from supportplan.catalog.texts import plan_lists

        raise DomainError(
            "report.not_in_plan",
            _(
                "The monthly service report is included in %(plans)s; this tenant's plan for %(month)s does not include it."
            ),
            plans=plan_lists(_plans_with_report()),
            month=month.label,
            status=409,
        )
    return plan


def state_reason_text(report: Report) -> str:
    """Why the last generation failed, in the reader's language ("" unless it failed)."""
    if report.state != ReportState.FAILED:
        return ""
    code, _sep, detail = report.state_reason.partition("\n")
    text = reason_text(code, detail)
    if report.status != ReportStatus.NOT_GENERATED:  # a regeneration failed: the report stays
        return reason_text("regenerate_failed", text)
    return text


def _set_state(
    tenant: Tenant, month: Month, state: str, now: datetime, code: str = "", detail: str = ""
) -> None:
    reason = f"{code}\n{detail[:2000]}" if code else ""
    Report.objects.filter(tenant=tenant, year=month.year, month=month.month).update(
        state=state, state_reason=reason, state_at=now
    )


def report_deadline(month: Month) -> ReportDeadline:
    """The deadline of the report ABOUT `month`: delivered in the following month."""
    nxt = month.next()
    return monthly_report_deadline(business_calendar(), nxt.year, nxt.month).value


def business_calendar() -> Any:
    try:
        from supportplan.calendars import selectors

        fn = getattr(selectors, "calendar_5x8", None) or getattr(selectors, "work_calendar", None)
        if fn is not None:
            return fn("5x8") if fn.__name__ == "work_calendar" else fn()
    except ImportError:
        pass
    from supportplan.calendars.builtins import builtin_5x8

    return builtin_5x8()


# --------------------------------------------------------------------------- data sources


@transaction.atomic
def data_source_add(
    *,
    tenant: Tenant,
    kind: str,
    now: datetime,
    settings: dict[str, Any] | None = None,
    secret: dict[str, Any] | None = None,
    cloud_account: Any = None,
    actor: Any = None,
) -> DataSource:
    if kind not in {"tencent", "huawei", "file", "demo"}:
        raise DomainError(
            "report.source_kind_unknown",
            _("Unknown connector %(kind)s: use tencent, huawei, file or demo."),
            kind=kind,
            field="kind",
        )
    if cloud_account is not None and cloud_account.tenant_id != tenant.pk:
        raise DomainError(
            "report.source_account_foreign",
            _("The cloud account belongs to another tenant."),
            field="cloud_account",
        )
    source = DataSource.objects.create(
        tenant=tenant,
        kind=kind,
        cloud_account=cloud_account,
        settings=dict(settings or {}),
        secret_encrypted=credentials.encrypt(secret) if secret else "",
        created_at=now,
    )
    audit_log(
        action="report.source.added",
        at=now,
        actor=actor,
        tenant=tenant,
        target=source,
        # never the secret: only that one was given
        data={"kind": kind, "settings": source.settings, "secret": "set" if secret else ""},
    )
    return source


def connectors_of(tenant: Tenant) -> list[Connector]:
    out = []
    for source in DataSource.objects.for_tenant(tenant).filter(enabled=True).order_by("id"):
        out.append(
            connector_for(
                source.kind, dict(source.settings), credentials.decrypt(source.secret_encrypted)
            )
        )
    return out


def collect_cloud(connectors: Iterable[Connector], month: Month) -> CloudData:
    data = CloudData()
    any_source = False
    for connector in connectors:
        any_source = True
        data = data.merged(connector.collect(month))
    if not any_source:
        raise CollectionFailed("reports", "no_data_source")
    return data


# --------------------------------------------------------------------------- generate


@dataclass(frozen=True)
class Outcome:
    report: Report
    created: bool
    content: ReportContent | None = None


_require_plan = require_plan


def report_generate(*, tenant: Tenant, month: Month, now: datetime, **options: Any) -> Outcome:
    """Generate (or return) the report of `tenant` for `month` (see `_generate`); its
    generation state says how it went (a kept report whose regeneration failed: FAILED)."""
    try:
        return _generate(tenant=tenant, month=month, now=now, **options)
    except Conflict as exc:
        failure = getattr(exc, "failure", None)
        if failure is not None:
            _set_state(tenant, month, ReportState.FAILED, now, *failure)
        raise


def _generate(
    *,
    tenant: Tenant,
    month: Month,
    now: datetime,
    actor: Any = None,
    force: bool = False,
    connectors: list[Connector] | None = None,
    platform: PlatformData | None = None,
    require_plan: bool = True,
) -> Outcome:
    """Generate (or return) the report of `tenant` for `month`.

    Collects in memory, renders HTML and PDF and stores only those. A tenant in proof of
    concept or whose cloud data cannot be collected gets a NOT_GENERATED record with the
    reason instead (and nothing is sent). `connectors`/`platform` override the tenant's
    configured sources (demo, tests).
    """
    require_month_over(month, now)
    existing = Report.objects.for_tenant(tenant).filter(year=month.year, month=month.month).first()
    if existing is not None and existing.status != ReportStatus.NOT_GENERATED and not force:
        if existing.state != ReportState.DONE:
            _set_state(tenant, month, ReportState.DONE, now)
            existing.refresh_from_db()
        return Outcome(existing, False)
    if require_plan:
        plan = _require_plan(tenant, month)
    else:
        plan = collector.report_plan(tenant, month) if platform is None else None
    deadline = report_deadline(month)
    _set_state(tenant, month, ReportState.COLLECTING, now)
    if tenant.in_proof_of_concept:
        return _not_generated(tenant, month, deadline, now, actor, "proof_of_concept", "")
    try:
        cloud = collect_cloud(
            connectors if connectors is not None else connectors_of(tenant), month
        )
    except CollectionFailed as exc:
        code = "no_data_source" if exc.reason == "no_data_source" else "collection_failed"
        return _not_generated(
            tenant, month, deadline, now, actor, code, str(exc) if code != "no_data_source" else ""
        )
    except ValueError as exc:  # undecryptable credentials, bad settings
        return _not_generated(tenant, month, deadline, now, actor, "collection_failed", str(exc))
    platform_data = (
        platform if platform is not None else collector.collect_platform(tenant, month, plan)
    )
    data = ReportData(
        tenant_name=tenant.name,
        year=month.year,
        month=month.month,
        start=month.start,
        end=month.end,
        platform=platform_data,
        cloud=cloud,
        tam_name=(tenant.tam.get_full_name() or tenant.tam.username)
        if tenant.tam is not None
        else "",
    )
    _set_state(tenant, month, ReportState.RENDERING, now)
    problem = fonts.cjk_fonts_problem()
    if problem:  # boxes instead of Chinese: fail visibly rather than deliver it
        return _not_generated(tenant, month, deadline, now, actor, "fonts_missing", problem)
    try:
        content = build_report(data)
        charts = render_charts(content, language=tenant.language)  # drawn once for both
        screen = render_html(
            content,
            language=tenant.language,
            generated_at=now,
            deadline=deadline.day,
            charts=charts,
        )
        printed = render_html(
            content,
            language=tenant.language,
            generated_at=now,
            deadline=deadline.day,
            for_pdf=True,
            charts=charts,
        )
        pdf = render_pdf(printed.html)
    except Exception as exc:  # never store or send a half-made report
        log.exception("report rendering failed for %s %s", tenant.slug, month.label)
        return _not_generated(tenant, month, deadline, now, actor, "render_failed", repr(exc))
    report = _store(
        tenant, month, deadline, now, actor, screen.html, pdf, content.headline,
        pickle.dumps(content),
    )  # fmt: skip
    return Outcome(report, True, content)


def report_page_in(report: Report, language: str) -> str | None:
    """The stored report's page drawn in `language` for a reader who asks for it (the stored
    page and the PDF stay in the organisation's language). None when the report predates
    stored content: only regenerating it can change its language.

    The content file is written by `_store` alone, in the product's private storage."""
    if not report.content_file:
        return None
    try:
        with report.content_file.open("rb") as fh:
            content = pickle.loads(fh.read())
    except (FileNotFoundError, OSError, pickle.UnpicklingError, AttributeError):
        return None  # written by a version whose classes changed: regenerate to switch
    charts = render_charts(content, language=language)
    deadline = report.deadline
    return render_html(
        content,
        language=language,
        generated_at=report.generated_at or report.updated_at,
        deadline=deadline,
        charts=charts,
    ).html


def _plans_with_report() -> list[Any]:
    from supportplan.catalog.selectors import current_catalogs

    return [
        (catalog, [p for p in catalog.plans if p.includes_feature(collector.FEATURE)])
        for catalog in current_catalogs().values()
    ]


def _row(
    tenant: Tenant, month: Month, deadline: ReportDeadline, now: datetime
) -> tuple[Report, bool]:
    try:
        with transaction.atomic():
            report, created = Report.objects.select_for_update().get_or_create(
                tenant=tenant,
                year=month.year,
                month=month.month,
                defaults={
                    "status": ReportStatus.NOT_GENERATED,
                    "language": tenant.language,
                    "deadline": deadline.day,
                    "due_at": deadline.due_at,
                    "updated_at": now,
                },
            )
    except IntegrityError:  # a concurrent run created it first
        report, created = (
            Report.objects.get(tenant=tenant, year=month.year, month=month.month),
            False,
        )
    return report, created


@transaction.atomic
def _not_generated(
    tenant: Tenant,
    month: Month,
    deadline: ReportDeadline,
    now: datetime,
    actor: Any,
    code: str,
    detail: str,
) -> Outcome:
    report, created = _row(tenant, month, deadline, now)
    if report.status != ReportStatus.NOT_GENERATED:
        # a forced regeneration that fails keeps the good report it would have replaced
        kept = Conflict(
            "report.regenerate_failed",
            _("The report was not regenerated and the previous one is kept: %(reason)s"),
            reason=reason_text(code, detail),
        )
        kept.failure = (code, detail)  # type: ignore[attr-defined]
        raise kept
    report.status = ReportStatus.NOT_GENERATED
    report.reason_code = code
    report.reason_detail = detail[:2000]
    report.state = ReportState.FAILED
    report.state_reason = f"{code}\n{detail[:2000]}"
    report.state_at = now
    report.attempts += 1
    report.updated_at = now
    report.save()
    audit_log(
        action="report.not_generated",
        at=now,
        actor=actor,
        tenant=tenant,
        target=report,
        data={"period": month.label, "reason": code, "detail": detail[:500]},
    )
    return Outcome(report, created)


@transaction.atomic
def _store(
    tenant: Tenant,
    month: Month,
    deadline: ReportDeadline,
    now: datetime,
    actor: Any,
    html: str,
    pdf: bytes,
    headline: dict[str, Any],
    content: bytes,
) -> Report:
    """Store the finished report; a regeneration replaces the previous one in place.

    A report keeps its (unguessable) file names for life and a regeneration replaces their
    content once the transaction commits, so an e-mail of the report that is still queued or
    being retried carries the current report when it goes out: never a vanished file (a
    visible failure), and never a second mailing with a different PDF. The delivery state is
    kept: a report being sent stays SENDING (its pending e-mails now carry this version,
    recorded as `report.mailing_updated` naming who already had the previous one), a sent
    one stays SENT (staff resend it to deliver the new version).
    """
    report, _created = _row(tenant, month, deadline, now)
    html_bytes = html.encode("utf-8")
    if report.pdf_file.name and report.html_file.name:
        names = (str(report.pdf_file.name), str(report.html_file.name))
        for name, data in zip(names, (pdf, html_bytes), strict=True):
            staged = default_storage.save(f"{name}.next", ContentFile(data))
            transaction.on_commit(partial(_replace_stored, staged, name))
        if report.content_file.name:
            name = str(report.content_file.name)
            staged = default_storage.save(f"{name}.next", ContentFile(content))
            transaction.on_commit(partial(_replace_stored, staged, name))
        else:  # stored before reports kept their content
            stem = str(report.html_file.name).removesuffix(".html")
            report.content_file.save(f"{stem}.content", ContentFile(content), save=False)
    else:
        old = [
            f.name for f in (report.html_file, report.pdf_file, report.content_file) if f and f.name
        ]
        # an unguessable name: MEDIA_URL is not a way around the download permission checks
        stem = f"reports/{tenant.slug}/{month.label}-{secrets.token_hex(12)}"
        report.html_file.save(f"{stem}.html", ContentFile(html_bytes), save=False)
        report.pdf_file.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        report.content_file.save(f"{stem}.content", ContentFile(content), save=False)
        for name in old:
            transaction.on_commit(partial(default_storage.delete, name))
    mailing = last_mailing(report) if report.status == ReportStatus.SENDING else None
    if report.status not in (ReportStatus.SENDING, ReportStatus.SENT):
        report.status = ReportStatus.READY
    report.language = tenant.language
    report.reason_code = ""
    report.reason_detail = ""
    report.generated_at = now
    report.deadline = deadline.day
    report.due_at = deadline.due_at
    report.headline = headline
    report.state = ReportState.DONE
    report.state_reason = ""
    report.state_at = now
    report.attempts += 1
    report.updated_at = now
    report.save()
    audit_log(
        action="report.ready",
        at=now,
        actor=actor,
        tenant=tenant,
        target=report,
        data={
            "period": month.label,
            **{
                k: v
                for k, v in headline.items()
                if k not in ("incomplete_sections", "advice_items")
            },
        },
    )
    if mailing is not None:
        _mailing_updated(report, mailing, now, actor)
    return report


def _replace_stored(staged: str, name: str) -> None:
    """Put the staged file's content under `name`, through the storage API only (file system
    or object storage alike): written to a new object, then the old one removed and the new
    content saved under the report's name (a PUT replaces an object as a whole)."""
    with default_storage.open(staged, "rb") as fh:
        data = fh.read()
    default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(data))
    default_storage.delete(staged)
    if saved != name:  # the storage chose another name (a concurrent writer): keep ours
        log.warning("report file %s stored as %s", name, saved)


def _mailing_updated(report: Report, mailing: AuditEntry, now: datetime, actor: Any) -> None:
    """Record that a mailing in progress now carries the regenerated report, and who had
    already received the previous version (staff may resend to them)."""
    from supportplan.notifications.models import OutboxStatus
    from supportplan.notifications.selectors import delivery_log

    rows = list(delivery_log(tenant=report.tenant).filter(entry_id=mailing.pk))
    delivered = sorted(r.address for r in rows if r.status == OutboxStatus.SENT and r.address)
    settled = {
        r.address.lower() for r in rows if r.status in (OutboxStatus.SENT, OutboxStatus.FAILED)
    }
    pending = sorted(
        str(a) for a in mailing.data.get("recipients") or [] if str(a).lower() not in settled
    )
    audit_log(
        action="report.mailing_updated",
        at=now,
        actor=actor,
        tenant=report.tenant,
        target=report,
        data={
            "period": report.period,
            "mailing": mailing.pk,
            "reason": "regenerated",
            "pending": pending,
            "delivered_before": delivered,
        },
    )


# --------------------------------------------------------------------------- send
#
# Sending goes through the notifications context: `report.mailed` (written here) makes the
# dispatch table queue one e-mail per recipient with the PDF attached, in the tenant's
# language, with retries, a delivery log and exactly-once delivery. The report is SENDING
# until every e-mail is settled; `report.sent` is written only when every recipient's mail
# server accepted it (`report_deliveries_check`), `report.send_failed` when one gave up.

MAILED = "report.mailed"


def report_send(
    *, report: Report, now: datetime, actor: Any = None, resend: bool = False
) -> Report:
    """Queue the PDF for the tenant's registered and extra addresses (once, unless `resend`)."""
    if report.status == ReportStatus.NOT_GENERATED:
        raise Conflict(
            "report.not_generated",
            _("This report was not generated (%(reason)s), so there is nothing to send."),
            reason=reason_text(report.reason_code, report.reason_detail),
        )
    if report.status in (ReportStatus.SENT, ReportStatus.SENDING) and not resend:
        return report
    tenant = report.tenant
    recipients = tenant.report_recipients()
    if not recipients:
        raise DomainError(
            "report.no_recipients",
            _("The tenant has no registered e-mail address: add one before sending."),
        )
    h = report.headline or {}
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.status == ReportStatus.SENDING and not resend:
            return locked  # a concurrent run queued it first
        locked.status = ReportStatus.SENDING
        locked.updated_at = now
        locked.save(update_fields=["status", "updated_at"])
        audit_log(
            action=MAILED,
            at=now,
            actor=actor,
            tenant=tenant,
            target=locked,
            data={
                "report_id": locked.pk,
                "period": locked.period,
                "tenant_name": tenant.name,
                "recipients": recipients,
                "resend": resend,
                "tickets": h.get("tickets", 0),
                "sla_attainment": h.get("sla_attainment"),
                "advice": h.get("advice", 0),
                "attachments": [
                    {
                        "name": f"service-report-{tenant.slug}-{locked.period}.pdf",
                        "path": locked.pdf_file.name,
                        "mimetype": "application/pdf",
                    }
                ],
            },
        )
    return locked


def last_mailing(report: Report) -> AuditEntry | None:
    return (
        AuditEntry.objects.filter(
            action=MAILED, target_type=report._meta.label_lower, target_id=str(report.pk)
        )
        .order_by("-at", "-id")
        .first()
    )


def report_delivery_check(*, report: Report, now: datetime) -> Report:
    """Settle a SENDING report from its e-mails' delivery log (idempotent).

    All accepted -> SENT + `report.sent`; all settled but some given up -> back to READY
    (or SENT if an earlier mailing was delivered) + `report.send_failed`; else unchanged.
    """
    from supportplan.notifications.models import OutboxStatus
    from supportplan.notifications.selectors import delivery_log

    if report.status != ReportStatus.SENDING:
        return report
    entry = last_mailing(report)
    if entry is None:
        return report
    rows = list(delivery_log(tenant=report.tenant).filter(entry_id=entry.pk))
    if not rows or any(r.status in (OutboxStatus.PENDING, OutboxStatus.SENDING) for r in rows):
        return report  # not dispatched yet, or still being delivered / retried
    delivered = sorted(r.address for r in rows if r.status == OutboxStatus.SENT and r.address)
    failed = sorted(r.address or r.last_error[:80] for r in rows if r.status != OutboxStatus.SENT)
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.status != ReportStatus.SENDING:
            return locked
        base = {"period": locked.period, "resend": bool(entry.data.get("resend"))}
        if not failed:
            locked.status = ReportStatus.SENT
            locked.sent_at = max(r.sent_at for r in rows if r.sent_at)
            locked.sent_to = delivered
            action, data = (
                "report.sent",
                {**base, "to": delivered, "at": locked.sent_at.isoformat()},
            )
        else:
            locked.status = ReportStatus.SENT if locked.sent_at else ReportStatus.READY
            action, data = "report.send_failed", {**base, "failed": failed, "delivered": delivered}
        locked.updated_at = now
        locked.save(update_fields=["status", "sent_at", "sent_to", "updated_at"])
        audit_log(action=action, at=now, tenant=locked.tenant, target=locked, data=data)
    return locked


def report_deliveries_check(*, now: datetime) -> dict[str, int]:
    """Settle every SENDING report (the periodic job and the batch run this)."""
    counts: dict[str, int] = {}
    for report in Report.objects.filter(status=ReportStatus.SENDING).select_related("tenant"):
        status = report_delivery_check(report=report, now=now).status
        counts[status] = counts.get(status, 0) + 1
    return counts


# --------------------------------------------------------------------------- batch


@dataclass(frozen=True)
class BatchLine:
    tenant: str
    status: str
    created: bool
    sent: bool
    reason: str = ""


def reports_generate_month(
    *,
    month: Month,
    now: datetime,
    tenant_slug: str | None = None,
    send: bool = True,
    progress: Callable[[int, int, BatchLine], None] | None = None,
    actor: Any = None,
) -> list[BatchLine]:
    """Every entitled tenant's report for `month`; safe to run again (nothing duplicates,
    a sent report is not sent twice, a failed one is retried)."""
    require_month_over(month, now)
    tenants = Tenant.objects.order_by("slug")
    if tenant_slug:
        tenants = tenants.filter(slug=tenant_slug)
        if not tenants.exists():
            raise DomainError(
                "report.tenant_unknown",
                _("No tenant has the short name %(slug)s."),
                slug=tenant_slug,
                status=404,
            )
    report_deliveries_check(now=now)
    todo = [t for t in tenants if collector.report_plan(t, month) is not None]
    lines = []
    for i, tenant in enumerate(todo, 1):
        outcome = report_generate(tenant=tenant, month=month, now=now, actor=actor)
        report = outcome.report
        sent = False
        # a report is mailed once by the batch: a mailing that gave up, or a report
        # regenerated after it was mailed, is for staff to look at (and resend)
        if send and report.status == ReportStatus.READY and last_mailing(report) is None:
            try:
                report_send(report=report, now=now, actor=actor)
                sent = True
            except Exception as exc:  # the next run retries; staff see it as at risk
                log.warning("sending report %s failed: %s", report.pk, exc)
        line = BatchLine(
            tenant.slug,
            report.status,
            outcome.created,
            sent,
            reason_text(report.reason_code, report.reason_detail) if report.reason_code else "",
        )
        lines.append(line)
        if progress:
            progress(i, len(todo), line)
    return lines


# --------------------------------------------------------------------------- workers
#
# Web requests (API, console, admin) never generate: they enqueue one task per tenant and
# month (`report_enqueue`) and show the report's generation state; a worker runs it
# (`report_run`). The month job fans out into those tasks, so any number of workers share a
# month, and enqueueing the same tenant-month twice gives one report and one task.


@dataclass(frozen=True)
class Enqueued:
    report: Report
    queued: bool  # False: already queued, in progress or finished (nothing new to do)


def report_enqueue(
    *,
    tenant: Tenant,
    month: Month,
    now: datetime,
    actor: Any = None,
    force: bool = False,
    send: bool = False,
) -> Enqueued:
    """Queue the generation of `tenant`'s report for `month` (idempotent)."""
    from . import tasks

    require_month_over(month, now)
    require_plan(tenant, month)
    deadline = report_deadline(month)
    with transaction.atomic():
        row, created = _row(tenant, month, deadline, now)
        report = Report.objects.select_for_update().get(pk=row.pk)
        busy = report.state in IN_PROGRESS and (
            report.state_at is None or now - report.state_at < STALE_GENERATION
        )
        finished = (
            not created
            and report.state == ReportState.DONE
            and report.status != ReportStatus.NOT_GENERATED
        )
        unsent = send and report.status == ReportStatus.READY and last_mailing(report) is None
        if busy or (finished and not force and not unsent):
            return Enqueued(report, False)
        report.state = ReportState.QUEUED
        report.state_reason = ""
        report.state_at = now
        report.updated_at = now
        report.save(update_fields=["state", "state_reason", "state_at", "updated_at"])
        audit_log(
            action="report.queued",
            at=now,
            actor=actor,
            tenant=tenant,
            target=report,
            data={"period": month.label, "force": force, "send": send},
        )
        # stored in this transaction (database task backend): a worker sees it on commit
        tasks.generate_report.enqueue(
            tenant=tenant.pk,
            month=month.label,
            as_of=now.isoformat(),
            force=force,
            send=send,
            actor=getattr(actor, "pk", None),
        )
    report.refresh_from_db()
    return Enqueued(report, True)


def report_run(
    *,
    tenant: Tenant,
    month: Month,
    now: datetime,
    actor: Any = None,
    force: bool = False,
    send: bool = False,
) -> Report | None:
    """The worker's side of `report_enqueue`: generate, then (if asked) e-mail once."""
    try:
        outcome = report_generate(tenant=tenant, month=month, now=now, actor=actor, force=force)
    except DomainError as exc:  # refused (month, plan) or a kept report: say so on the row
        if not getattr(exc, "failure", None):
            _set_state(tenant, month, ReportState.FAILED, now, "refused", exc.message)
        return Report.objects.filter(tenant=tenant, year=month.year, month=month.month).first()
    report = outcome.report
    if send and report.status == ReportStatus.READY and last_mailing(report) is None:
        try:
            report = report_send(report=report, now=now, actor=actor)
        except DomainError as exc:  # no recipients: the report is ready, staff see why
            log.warning("sending report %s failed: %s", report.pk, exc.code)
    return report


def reports_enqueue_month(
    *, month: Month, now: datetime, tenant_slug: str | None = None, send: bool = True
) -> list[Enqueued]:
    """The month job: one generation task per entitled tenant (what is finished stays)."""
    require_month_over(month, now)
    report_deliveries_check(now=now)
    tenants = Tenant.objects.order_by("slug")
    if tenant_slug:
        tenants = tenants.filter(slug=tenant_slug)
    out = []
    for tenant in tenants:
        if collector.report_plan(tenant, month) is None:
            continue
        existing = (
            Report.objects.for_tenant(tenant).filter(year=month.year, month=month.month).first()
        )
        if (
            existing is not None
            and existing.status != ReportStatus.NOT_GENERATED
            and (not send or existing.status != ReportStatus.READY or last_mailing(existing))
        ):
            continue  # finished (and mailed once): nothing to queue
        out.append(report_enqueue(tenant=tenant, month=month, now=now, send=send))
    return out
