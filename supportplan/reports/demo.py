"""Demo step: last month's report for every demo tenant entitled to it (demo generator data).

The demo subscriptions start today, so last month no plan was in force yet; the demo uses
the plan in force now to pick the tenants and to fill the service summary (a demo-only
shortcut: the monthly job uses the plan in force at the end of the reported month).
"""

from supportplan.demo import DemoContext, register_step

from .data import Month


@register_step
def seed_reports(ctx: DemoContext) -> None:
    from supportplan.accounts import selectors as accounts

    from . import collector, services
    from .models import DataSource, Report

    month = Month.containing(ctx.now).previous()
    clouds = ("huawei", "tencent")  # the partner resells both: show one of each
    entitled = 0
    for slug, tenant in ctx.tenants.items():
        plan = collector.report_plan(tenant, month) or collector.report_plan(
            tenant, Month.containing(ctx.now)
        )
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
        out = services.report_generate(
            tenant=tenant,
            month=month,
            now=ctx.now,
            platform=collector.collect_platform(tenant, month, plan),
            require_plan=False,
        )
        ctx.lines.append(
            f"reports {slug}: {month.label} {out.report.status} (portal /api/reports/{out.report.pk}/html/)"
        )
