"""Demo cases: per demo tenant, a few cases in different severities and states, the most
severe one opened just now so it nearly breaches while you look (10–30 minutes on 7x24).

Idempotent: a tenant that already has cases is left alone. Everything goes through the
services, so the audit log, SLA columns and queue are what a real day would produce.
"""

from __future__ import annotations

from supportplan.accounts.models import User
from supportplan.core.errors import DomainError
from supportplan.demo import DemoContext, in_language, register_step

from . import services, upstream
from .models import Case

# In the tenant's language only (supportplan.demo.TENANTS): (subject, description) per case,
# and what staff write.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "zh-hans": {
        "urgent": ("订单服务无法访问", "几分钟前开始，订单接口的每个请求都超时（HTTP 504）。"),
        "working": ("数据库连接数偶尔打满", "CentOS 7 上的 MySQL 5.7 在高峰时段报“连接数过多”。"),
        "waiting": ("如何配置负载均衡健康检查", "我们的网站层建议使用哪个检查路径和检查间隔？"),
        "done": ("网站证书续期", "如何在不中断业务的情况下续期 SSL 证书？"),
    },
    "en": {
        "urgent": (
            "Order service unreachable",
            "Since a few minutes ago every request to the order API times out (HTTP 504).",
        ),
        "working": (
            "DB connections occasionally exhausted",
            "MySQL 5.7 on CentOS 7 reports 'Too many connections' at peak hours.",
        ),
        "waiting": (
            "How to configure load-balancer health checks",
            "Which path and interval do you recommend for our web tier?",
        ),
        "done": (
            "Renewing the SSL certificate",
            "How do we renew the certificate without downtime?",
        ),
    },
}


STAFF_TEXTS: dict[str, dict[str, str]] = {
    "zh-hans": {
        "reply_working": "我们正在查看您的连接池配置。",
        "ask_waiting": "请提供当前监听器配置的截图。",
        "reply_done": "已提供续期步骤。",
        "summary_done": "证书已续期。",
    },
    "en": {
        "reply_working": "We are looking at your connection-pool settings.",
        "ask_waiting": "Please send a screenshot of the current listener settings.",
        "reply_done": "Renewal steps sent.",
        "summary_done": "Certificate renewed.",
    },
}


@register_step
def seed_cases(ctx: DemoContext) -> None:
    plans = ctx.extra.get("plans", {})
    handlers = {
        "engineer": ctx.people.get("engineer"),
        "expert": ctx.people.get("expert"),
        "senior_expert": ctx.people.get("senior"),
    }
    for slug, tenant in ctx.tenants.items():
        if Case.objects.for_tenant(tenant).exists() or slug not in plans:
            continue
        provider, _plan = plans[slug]
        requester = User.objects.filter(tenant=tenant, username=f"{slug}-user").first()
        entitlement = upstream.plan_in_force(tenant, provider, ctx.now)
        if requester is None or entitlement is None:
            ctx.lines.append(f"cases: {slug} has no plan in force yet; no demo cases")
            continue
        catalog = upstream.catalog_for_version(entitlement.catalog_version_id)
        plan = catalog.plan(entitlement.plan_code)
        systems = list(tenant.systems.order_by("name"))
        # The most important system the tenant registered, for the urgent case.
        rank = {"core_production": 0, "production": 1, "non_production": 2}
        systems.sort(key=lambda s: rank.get(s.classification, 3))
        main = systems[0] if systems else None
        sevs = [s for s in plan.severities if main is None or s.fits(main.classification)]
        if not sevs:
            continue
        staff = handlers.get(plan.handler_tier)
        text = in_language(tenant.language, TEXTS)
        said = in_language(tenant.language, STAFF_TEXTS)

        base = {
            "actor": requester,
            "tenant": tenant,
            "provider": provider,
            "channel": "ticket",
            "system": main,
            "now": ctx.now,
        }
        try:
            urgent = services.case_open(
                **base,
                severity=sevs[0].code,
                subject=text["urgent"][0],
                description=text["urgent"][1],
            )
            working = services.case_open(
                **base,
                severity=sevs[min(1, len(sevs) - 1)].code,
                subject=text["working"][0],
                description=text["working"][1],
                software_name="MySQL",
                software_version="5.7",
                software_platform="linux",
            )
            waiting = services.case_open(
                **base,
                severity=sevs[-1].code,
                subject=text["waiting"][0],
                description=text["waiting"][1],
            )
            done = services.case_open(
                **base,
                severity=sevs[-1].code,
                subject=text["done"][0],
                description=text["done"][1],
            )
            if staff is not None:
                services.case_reply(
                    actor=staff,
                    case=working,
                    body=said["reply_working"],
                    now=ctx.now,
                )
                services.case_wait_on_customer(
                    actor=staff,
                    case=waiting,
                    message=said["ask_waiting"],
                    now=ctx.now,
                )
                services.case_reply(actor=staff, case=done, body=said["reply_done"], now=ctx.now)
                services.case_resolve(
                    actor=staff, case=done, now=ctx.now, summary=said["summary_done"]
                )
        except DomainError as exc:
            ctx.lines.append(f"cases: {slug}: {exc.code}")
            continue
        due = urgent.first_response_due
        ctx.lines.append(
            f"cases: {slug} — 4 demo cases; #{urgent.pk} ({urgent.severity}) is due {due:%H:%M}Z"
            if due
            else f"cases: {slug} — 4 demo cases"
        )
