"""Demo step: every demo tenant on its plan, bought through the real purchase flow.

VIP, Dedicated, S2 and S1 tenants get annual paid subscriptions, the Basic tenant a monthly
one; the S4 tenant gets a Tencent cloud account (which is what makes it a Tencent customer
with the free S4 plan) and a pending S3 order paid by bank transfer, waiting for staff.
Idempotent: a tenant that already has a subscription with the provider is left alone.
"""

from datetime import datetime

from supportplan.accounts.models import CloudAccount
from supportplan.accounts.services import cloud_account_add
from supportplan.demo import DemoContext, history_start, register_step

from . import selectors, services
from .models import OrderStatus


def _buy(
    ctx: DemoContext, slug: str, provider: str, plan: str, term: str, method: str, now: datetime
) -> str:
    tenant = ctx.tenants[slug]
    admin = tenant.users.filter(username=f"{slug}-admin").first()
    order = services.order_place(
        tenant=tenant, actor=admin, provider_code=provider, plan_code=plan,
        term=term, count=1, now=now, auto_renew=term == "annual",
    )  # fmt: skip
    services.order_accept_agreement(
        order=order,
        actor=admin,
        version=selectors.current_agreement_version(order.provider_code),
        now=now,
    )
    services.order_pay(order=order, actor=admin, method=method, now=now)
    order.refresh_from_db()
    return f"{order.number} {order.amount} {order.currency} ({order.get_status_display()})"


@register_step
def subscribe_demo_tenants(ctx: DemoContext) -> None:
    for slug, (provider, plan) in sorted(ctx.extra.get("plans", {}).items()):
        tenant = ctx.tenants[slug]
        if (
            provider == "tencent"
            and not CloudAccount.objects.filter(tenant=tenant, cloud="tencent").exists()
        ):
            cloud_account_add(
                tenant=tenant, actor=None, now=ctx.now, cloud="tencent",
                account_id=f"demo-{slug}", display_name=f"{slug} Tencent Cloud",
            )  # fmt: skip
        if selectors.subscription_of(tenant, provider) is not None:
            continue
        if plan == "s4":
            # Free already; an S3 purchase waits for a bank transfer that staff confirm.
            if not selectors.orders_of(tenant).filter(status=OrderStatus.AWAITING_PAYMENT).exists():
                line = _buy(ctx, slug, "tencent", "s3", "monthly", "bank_transfer", ctx.now)
                ctx.lines.append(f"subscriptions {slug}: S4 (free); pending S3 order {line}")
            continue
        term = "monthly" if plan == "basic" else "annual"
        # The demo runs with DEBUG; where the test gateway is off, staff confirm instead.
        from .payments import enabled_codes

        method = "test" if "test" in enabled_codes() else "bank_transfer"
        # Annual customers since the 1st of last month: last month's report has real cases,
        # SLA figures and bookings (supportplan/reports/demo.py adds them).
        since = history_start(ctx.now) if term == "annual" else ctx.now
        line = _buy(ctx, slug, provider, plan, term, method, now=since)
        if method == "bank_transfer":
            order = selectors.orders_of(tenant).filter(status=OrderStatus.AWAITING_PAYMENT).first()
            if order is not None:
                payment = order.payments.get()
                services.payment_succeed(
                    payment=payment, idempotency_key=f"demo:{payment.pk}",
                    amount=payment.amount, actor=ctx.people.get("bizmgr"), now=since,
                )  # fmt: skip
        ctx.lines.append(f"subscriptions {slug}: {provider}/{plan} {term} {line}")
