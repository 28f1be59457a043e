"""Demo cases: per demo tenant, a few cases in different severities and states, the most
severe one opened just now so it nearly breaches while you look (10–30 minutes on 7x24).

Idempotent: a tenant that already has cases is left alone. Everything goes through the
services, so the audit log, SLA columns and queue are what a real day would produce.
"""

from __future__ import annotations

from supportplan.accounts.models import User
from supportplan.core.errors import DomainError
from supportplan.demo import DemoContext, register_step

from . import services, upstream
from .models import Case


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
                subject="订单服务无法访问 / Order service unreachable",
                description="Since a few minutes ago every request to the order API times out (HTTP 504).",
            )
            working = services.case_open(
                **base,
                severity=sevs[min(1, len(sevs) - 1)].code,
                subject="数据库连接数偶尔打满 / DB connections occasionally exhausted",
                description="MySQL 5.7 on CentOS 7 reports 'Too many connections' at peak hours.",
                software_name="MySQL",
                software_version="5.7",
                software_platform="linux",
            )
            waiting = services.case_open(
                **base,
                severity=sevs[-1].code,
                subject="如何配置负载均衡健康检查 / How to configure LB health checks",
                description="Which path and interval do you recommend for our web tier?",
            )
            done = services.case_open(
                **base,
                severity=sevs[-1].code,
                subject="SSL 证书续期 / Renewing the SSL certificate",
                description="How do we renew the certificate without downtime?",
            )
            if staff is not None:
                services.case_reply(
                    actor=staff,
                    case=working,
                    body="我们在查看连接池配置。/ Looking at your connection-pool settings.",
                    now=ctx.now,
                )
                services.case_wait_on_customer(
                    actor=staff,
                    case=waiting,
                    message="请提供当前监听器配置截图。/ Please send a screenshot of the listener.",
                    now=ctx.now,
                )
                services.case_reply(
                    actor=staff, case=done, body="已提供续期步骤。/ Steps sent.", now=ctx.now
                )
                services.case_resolve(actor=staff, case=done, now=ctx.now, summary="renewed")
        except DomainError as exc:
            ctx.lines.append(f"cases: {slug}: {exc.code}")
            continue
        due = urgent.first_response_due
        ctx.lines.append(
            f"cases: {slug} — 4 demo cases; #{urgent.pk} ({urgent.severity}) is due {due:%H:%M}Z"
            if due
            else f"cases: {slug} — 4 demo cases"
        )
