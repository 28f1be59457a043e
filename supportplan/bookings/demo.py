"""Demo step (texts in the tenant's language: Jinhai Bank en, 华夏物流 zh-hans): a confirmed escort for the VIP tenant (TAM and a senior expert on it), a
requested availability check, and a requested escort day for the Dedicated tenant.
Idempotent: tenants that already have bookings are left alone."""

from datetime import timedelta

from supportplan.demo import DemoContext, register_step
from supportplan.subscriptions.domain import local_date

from . import services
from .models import Booking


@register_step
def book_demo_services(ctx: DemoContext) -> None:
    today = local_date(ctx.now)
    vip = ctx.tenants.get("jinhai")
    if vip is not None and not Booking.objects.filter(tenant=vip).exists():
        admin = vip.users.filter(username="jinhai-admin").first()
        escort = services.booking_request(
            tenant=vip, actor=admin, service_code="escort", start_date=today + timedelta(days=1),
            days=2, event_kind="promotion", event_description="Year-end mobile banking campaign",
            now=ctx.now,
        )  # fmt: skip
        team = [p for p in (ctx.people.get("tam"), ctx.people.get("senior")) if p is not None]
        services.booking_confirm(
            booking=escort, actor=ctx.people.get("manager"), team=team, now=ctx.now
        )
        services.booking_request(
            tenant=vip, actor=admin, service_code="availability_check",
            start_date=today + timedelta(days=10), now=ctx.now,
        )  # fmt: skip
        ctx.lines.append(
            f"bookings jinhai: escort {escort.start_date} ×2 days confirmed; availability check requested"
        )
    dedicated = ctx.tenants.get("huaxia")
    if dedicated is not None and not Booking.objects.filter(tenant=dedicated).exists():
        services.booking_request(
            tenant=dedicated, actor=None, service_code="escort",
            start_date=today + timedelta(days=21), days=1, event_kind="migration",
            event_description="仓储系统迁移", now=ctx.now,
        )  # fmt: skip
        ctx.lines.append("bookings huaxia: escort day requested")
