"""Demo step: last month's report for every demo tenant entitled to it (demo generator data)."""

from supportplan.demo import DemoContext, register_step

from .data import Month


@register_step
def seed_reports(ctx: DemoContext) -> None:
    from supportplan.accounts import selectors as accounts

    from . import collector, services
    from .models import DataSource, Report

    month = Month.containing(ctx.now).previous()
    for slug, tenant in ctx.tenants.items():
        if collector.report_plan(tenant, month) is None:
            continue
        if not DataSource.objects.for_tenant(tenant).exists():
            provider = ctx.extra.get("plans", {}).get(slug, ("partner", ""))[0]
            cloud = "tencent" if provider == "tencent" else "huawei"
            systems = [s.name for s in accounts.systems_of(tenant)]
            services.data_source_add(
                tenant=tenant,
                kind="demo",
                settings={"seed": slug, "cloud": cloud, "instances": 16, "systems": systems},
                now=ctx.now,
            )
        if Report.objects.for_tenant(tenant).filter(year=month.year, month=month.month).exists():
            continue
        out = services.report_generate(tenant=tenant, month=month, now=ctx.now)
        ctx.lines.append(f"Monthly report {month.label} for {tenant.slug}: {out.report.status}")
