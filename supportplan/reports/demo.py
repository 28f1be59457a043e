"""Demo steps: last month's platform activity and last month's report for every demo tenant
entitled to it (cloud data from the demo generator).

Annual demo customers bought their plan on the 1st of last month (subscriptions demo), so
the report's month has a plan in force; this module then gives that month what a real one
has, through the real services with past `now` values: cases of several severities that
support answered (one too late, so SLA attainment is not a flat 100 %), resolved or still
open; value-added services delivered in the month (entitlements used); an
advisory that reached the customer. Idempotent: a tenant with cases in that month, or a
report for it, is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from supportplan.demo import DemoContext, in_language, register_step

from .data import Month

ADVISORY_TITLE = {
    "zh-hans": "华为云对象存储 OBS 华北-北京四区域网络抖动",
    "en": "Huawei Cloud OBS network jitter in CN North-Beijing4",
}

# day of the month, local hour, severity rank (0 = most severe), reply as a fraction of the
# time to the first-response target (> 1 = late), hours to resolve (None = still open)
CASES: list[tuple[int, float, int, float, float | None]] = [
    (2, 10, 0, 0.3, 3),
    (5, 14.5, 1, 0.5, 20),
    (9, 9.5, 2, 0.4, 6),
    (13, 16, 1, 1.6, 30),
    (18, 11, 2, 0.6, 8),
    (23, 10, 0, 0.2, 2),
    (27, 15, 1, 0.5, None),
]
# subject and description of each case above, in the tenant's language only
CASE_TEXTS = {
    "zh-hans": [
        ("核心交易接口报错", "从 09:40 起，支付接口每隔一个请求就返回 502。"),
        ("数据库主备切换后只读", "自动切换后，新的主库处于只读状态。"),
        ("如何开启网站防护", "我们的登录页面建议启用哪些 WAF 规则？"),
        ("对象存储上传超时", "从今天早上开始，超过 100 MB 的上传都会超时。"),
        ("证书即将过期", "我们的通配符证书下周到期：如何在不中断业务的情况下更换？"),
        ("移动银行登录失败", "客户无法登录手机应用；认证服务日志中出现超时。"),
        ("处理器使用率持续偏高", "两台应用服务器的 CPU 使用率已连续三天高于 90%。"),
    ],
    "en": [
        ("Core transaction API returns 502", "From 09:40 the payment API answers 502 on every second request."),
        ("Database read-only after failover", "After the automatic switchover the new primary is read-only."),
        ("How to enable WAF protection", "Which rules do you recommend for our login page?"),
        ("Object storage uploads time out", "Uploads over 100 MB time out since this morning."),
        ("Certificate expires soon", "Our wildcard certificate expires next week: how do we replace it without downtime?"),
        ("Mobile banking log-in fails", "Customers cannot log in to the mobile app; the auth service logs timeouts."),
        ("CPU constantly high", "Two application servers have run above 90 % CPU for three days."),
    ],
}  # fmt: skip
STAFF_TEXTS = {
    "zh-hans": {
        "reply": "我们正在处理，一小时内给出初步结论。",
        "summary": "已找到并修复根本原因，详见工单记录。",
        "escort_event": "月中促销活动",
        "escort_notes": "活动期间全天值守；流量峰值为平时的 3.2 倍，无故障。",
        "optimisation_notes": "已复核告警阈值，调整了 14 条规则。",
    },
    "en": {
        "reply": "We are on it: first findings follow within the hour.",
        "summary": "Root cause found and fixed; see the thread.",
        "escort_event": "Mid-month sales campaign",
        "escort_notes": "A day on call for the campaign; traffic peaked at 3.2x, no incident.",
        "optimisation_notes": "Alert thresholds reviewed; 14 rules tuned.",
    },
}


def _at(month: Month, day: int, hour: float) -> datetime:
    return month.start + timedelta(days=day - 1, hours=hour)


@register_step
def seed_last_month_activity(ctx: DemoContext) -> None:
    from . import collector

    month = Month.containing(ctx.now).previous()
    advisory_reached = _advisory(ctx, month)
    for slug, tenant in ctx.tenants.items():
        plan = collector.report_plan(tenant, month)
        if plan is None:
            continue
        from supportplan.cases.models import Case

        if (
            Case.objects.for_tenant(tenant)
            .filter(created_at__gte=month.start, created_at__lt=month.end)
            .exists()
        ):
            continue
        n, missed = _cases(ctx, slug, tenant, plan, month)
        booked = _bookings(ctx, slug, tenant, month)
        ctx.lines.append(
            f"reports {slug}: {month.label} history — {n} cases ({missed} answered late), "
            f"{booked}; advisory {'reached' if slug in advisory_reached else 'not targeted'}"
        )


def _cases(ctx: DemoContext, slug: str, tenant: Any, plan: Any, month: Month) -> tuple[int, int]:
    from supportplan.accounts.models import User
    from supportplan.cases import services as cases
    from supportplan.catalog.selectors import catalog_for_version
    from supportplan.core.errors import DomainError

    catalog = catalog_for_version(plan.catalog_version_id)
    plan_obj = catalog.plan(plan.plan_code)
    requester = User.objects.filter(tenant=tenant, username=f"{slug}-user").first()
    handler = {
        "engineer": ctx.people.get("engineer"),
        "expert": ctx.people.get("expert"),
        "senior_expert": ctx.people.get("senior"),
    }.get(plan_obj.handler_tier) or ctx.people.get("manager")
    rank = {"core_production": 0, "production": 1, "non_production": 2}
    systems = sorted(tenant.systems.all(), key=lambda s: rank.get(s.classification, 3))
    if requester is None or handler is None or not systems:
        return 0, 0
    made = missed = 0
    words = in_language(tenant.language, STAFF_TEXTS)
    texts = in_language(tenant.language, CASE_TEXTS)
    for (day, hour, sev_rank, reply_at, resolve_after), (subject, description) in zip(
        CASES, texts, strict=True
    ):
        system = systems[min(sev_rank, len(systems) - 1)] if sev_rank else systems[0]
        sevs = [s for s in plan_obj.severities if s.fits(system.classification)]
        if not sevs:
            continue
        opened = _at(month, day, hour)
        try:
            case = cases.case_open(
                actor=requester,
                tenant=tenant,
                provider=plan.provider_code,
                channel="ticket",
                severity=sevs[min(sev_rank, len(sevs) - 1)].code,
                subject=subject,
                description=description,
                system=system,
                now=opened,
            )
            due = case.first_response_due or opened + timedelta(hours=4)
            answered = opened + (due - opened) * reply_at
            cases.case_reply(
                actor=handler,
                case=case,
                body=words["reply"],
                now=answered,
            )
            if resolve_after is not None:
                cases.case_resolve(
                    actor=handler,
                    case=case,
                    now=answered + timedelta(hours=resolve_after),
                    summary=words["summary"],
                )
        except DomainError as exc:
            ctx.lines.append(f"reports {slug}: demo case refused ({exc.code})")
            continue
        made += 1
        missed += reply_at > 1
    return made, missed


def _bookings(ctx: DemoContext, slug: str, tenant: Any, month: Month) -> str:
    """Value-added services delivered in the month (an escort day, an optimisation review),
    each requested two weeks ahead, confirmed, then delivered. A plan without the service,
    or whose quota today's demo bookings already hold, simply gets fewer."""
    from supportplan.bookings import services as bookings
    from supportplan.core.errors import DomainError
    from supportplan.subscriptions.domain import local_date

    admin = tenant.users.filter(username=f"{slug}-admin").first()
    manager = ctx.people.get("manager")
    team = [p for p in (ctx.people.get("tam"), ctx.people.get("senior")) if p is not None]
    done = []
    words = in_language(tenant.language, STAFF_TEXTS)
    for code, day, days, notes in (
        ("escort", 15, 1, words["escort_notes"]),
        ("monitoring_optimisation", 20, None, words["optimisation_notes"]),
    ):
        requested = _at(month, 2, 11)
        try:
            booking = bookings.booking_request(
                tenant=tenant,
                actor=admin,
                service_code=code,
                start_date=local_date(_at(month, day, 0)),
                days=days,
                event_kind="promotion" if code == "escort" else "",
                event_description=words["escort_event"] if code == "escort" else "",
                now=requested,
            )
            bookings.booking_confirm(
                booking=booking, actor=manager, team=team, now=requested + timedelta(hours=3)
            )
            bookings.booking_deliver(
                booking=booking, actor=manager, notes=notes, now=_at(month, day + 2, 10)
            )
        except DomainError as exc:
            done.append(f"{code} not booked ({exc.code})")
            continue
        done.append(f"{code} delivered")
    return ", ".join(done)


def _advisory(ctx: DemoContext, month: Month) -> set[str]:
    """One advisory published in the month; TAM-first tenants are contacted an hour later."""
    from supportplan.advisories import services as advisories
    from supportplan.advisories.models import Advisory

    manager = ctx.people.get("manager")
    if manager is None or Advisory.objects.filter(title__en=ADVISORY_TITLE["en"]).exists():
        return set()
    published = _at(month, 8, 10)
    advisory = advisories.advisory_create(
        actor=manager,
        kind="network_failure",
        severity="medium",
        title=ADVISORY_TITLE,
        body={
            "zh-hans": "北京四区域 OBS 访问出现间歇性延迟升高，平台已切换备用链路。",
            "en": "OBS access in CN North-Beijing4 saw intermittent latency; the platform "
            "switched to a standby link.",
        },
        actions={
            "zh-hans": "检查上传任务的重试配置；如仍有超时请提交工单。",
            "en": "Check the retry settings of upload jobs; open a case if timeouts persist.",
        },
        clouds=["huawei"],
        now=published,
    )
    reached = set()
    for target in advisories.advisory_publish(actor=manager, advisory=advisory, now=published):
        if target.notified_at is None:
            advisories.advisory_record_contact(
                actor=target.tam or manager,
                target=target,
                now=published + timedelta(hours=1),
                note="Called the on-duty engineer; they will check upload retries.",
            )
        reached.add(target.tenant.slug)
    return reached


@register_step
def seed_reports(ctx: DemoContext) -> None:
    from supportplan.accounts import selectors as accounts

    from . import collector, services
    from .models import DataSource, Report

    month = Month.containing(ctx.now).previous()
    clouds = ("huawei", "tencent")  # the partner resells both: show one of each
    entitled = 0
    for slug, tenant in ctx.tenants.items():
        plan = collector.report_plan(tenant, month)
        if plan is None:
            continue
        entitled += 1
        if not DataSource.objects.for_tenant(tenant).exists():
            services.data_source_add(
                tenant=tenant,
                kind="demo",
                settings={
                    "seed": slug,
                    "cloud": clouds[(entitled - 1) % len(clouds)],
                    "instances": 16,
                    "systems": [s.name for s in accounts.systems_of(tenant)],
                },
                now=ctx.now,
            )
        if Report.objects.for_tenant(tenant).filter(year=month.year, month=month.month).exists():
            continue
        out = services.report_generate(tenant=tenant, month=month, now=ctx.now)
        ctx.lines.append(
            f"reports {slug}: {month.label} {out.report.status} (portal /reports/{out.report.pk}/)"
        )
