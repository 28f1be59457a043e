"""Plan changes: preview, upgrade (an order), downgrade (scheduled), unsubscribe, and the
automatic-renewal switch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.catalog.domain import NotInCatalog
from supportplan.core.audit import audit_log
from supportplan.core.errors import Conflict, DomainError
from supportplan.core.locking import lock_rows

from .. import domain, selectors
from ..models import Order, OrderKind, OrderStatus, Period, StatementKind, Subscription
from ._common import _catalog_plan, _order_data, localized, plan_names, plan_of_order
from .orders import _refuse_second_open_order
from .statements import _subscription_line


@dataclass(frozen=True)
class ChangePreview:
    kind: str  # upgrade | downgrade | unsubscribe
    current_plan: str
    target_plan: str | None
    effective_at: datetime
    effective_date: date
    amount: Decimal
    currency: str
    charge: domain.UpgradeCharge | None
    refused: DomainError | None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "current_plan": self.current_plan,
            "target_plan": self.target_plan,
            "effective_at": self.effective_at.isoformat(),
            "effective_date": self.effective_date.isoformat(),
            "amount": str(self.amount),
            "currency": self.currency,
            "allowed": self.refused is None,
        }
        if self.charge is not None:
            body["calculation"] = {
                "old_period_price": str(self.charge.old_period_price),
                "new_period_price": str(self.charge.new_period_price),
                "period_days": self.charge.period_days,
                "remaining_days": self.charge.remaining_days,
            }
        if self.refused is not None:
            body["refusal"] = self.refused.as_dict()
        return body


def _current(subscription: Subscription, now: datetime) -> Period:
    period = selectors.current_period(subscription, now)
    if period is None:
        raise Conflict(
            "subscription.not_active",
            _("This subscription has no plan in force now; buy a plan instead."),
        )
    return period


def _lock_refusal(period: Period, what: Any) -> DomainError | None:
    base = period.base_order
    if base.locked_at is None:
        return None
    catalog, _plan = plan_of_order(base)
    try:
        service: Any = localized(catalog.service(base.locked_by_service).name)
    except NotInCatalog:
        service = base.locked_by_service
    return Conflict(
        "subscription.locked",
        _(
            "The current order %(order)s can no longer be %(what)s: %(service)s was applied "
            "for under it on %(since)s, and a quota-limited value-added service locks the "
            "order until the period ends on %(period_end)s. Upgrades are still possible."
        ),
        order=base.number,
        what=what,
        service=service,
        since=domain.local_date(base.locked_at).isoformat(),
        locked_at=base.locked_at.isoformat(),
        period_end=(base.period_end or domain.local_date(period.ends_at)).isoformat(),
    )


def subscription_change_preview(
    *, subscription: Subscription, plan_code: str | None, now: datetime
) -> ChangePreview:
    """What a change to `plan_code` (None: unsubscribe) would cost and when it would apply."""
    period = _current(subscription, now)
    catalog, current = plan_of_order(period.order)
    base = period.base_order
    end_date = base.period_end or domain.local_date(period.ends_at)
    # A downgrade or unsubscription applies once everything paid has run, a renewal paid
    # ahead included (the renewal sweep and the expiry sweep wait for it too).
    last = selectors.future_periods(subscription, now).last() or period
    paid_until_at = last.ends_at
    paid_until = last.base_order.period_end or domain.local_date(last.ends_at)
    if plan_code is None:
        return ChangePreview(
            kind="unsubscribe",
            current_plan=current.code,
            target_plan=None,
            effective_at=paid_until_at,
            effective_date=paid_until,
            amount=Decimal("0.00"),
            currency=catalog.provider.currency,
            charge=None,
            refused=_lock_refusal(period, _("unsubscribed")),
        )
    _cat, target, _row = _catalog_plan(subscription.provider_code, plan_code)
    kind = domain.change_kind(current, target)
    if kind == domain.SAME:
        raise DomainError(
            "subscription.same_plan",
            _("You already have %(plan)s."),
            plan=localized(target.name),
            field="plan",
        )
    if kind == domain.DOWNGRADE:
        refused = _lock_refusal(period, _("downgraded"))
        if refused is None and not target.purchasable:
            refused = DomainError(
                "subscription.downgrade_to_default",
                _("%(plan)s is free for every customer: unsubscribe to fall back to it."),
                plan=localized(target.name),
            )
        return ChangePreview(
            kind=kind,
            current_plan=current.code,
            target_plan=target.code,
            effective_at=paid_until_at,
            effective_date=paid_until,
            amount=Decimal("0.00"),
            currency=catalog.provider.currency,
            charge=None,
            refused=refused,
        )
    today = domain.local_date(now)
    charge = domain.upgrade_charge(
        current=current,
        target=target,
        months=base.months,
        period_start=base.period_start or domain.local_date(period.starts_at),
        period_end=end_date,
        change_date=today,
    )
    return ChangePreview(
        kind=kind,
        current_plan=current.code,
        target_plan=target.code,
        effective_at=now,
        effective_date=today,
        amount=charge.amount,
        currency=catalog.provider.currency,
        charge=charge,
        refused=None,
    )


@transaction.atomic
def subscription_change(
    *, subscription: Subscription, actor: Any, plan_code: str, now: datetime
) -> Order | Subscription:
    """Upgrade: an upgrade order (accept the agreement and pay it; the new plan applies when
    it is paid). Downgrade: scheduled for the end of the period, unless the order is locked."""
    (subscription,) = lock_rows(Subscription, [subscription.pk])
    preview = subscription_change_preview(subscription=subscription, plan_code=plan_code, now=now)
    if preview.refused is not None:
        raise preview.refused
    period = _current(subscription, now)
    if preview.kind == domain.DOWNGRADE:
        subscription.next_plan_code = plan_code
        subscription.change_requested_at = now
        subscription.save(update_fields=["next_plan_code", "change_requested_at"])
        version = subscription.plan.catalog_version_id
        (from_zh, from_en), (to_zh, to_en) = (
            plan_names(version, preview.current_plan),
            plan_names(version, plan_code),
        )
        _subscription_line(
            subscription,
            kind=StatementKind.DOWNGRADE,
            at=now,
            zh=f"降级 {from_zh} → {to_zh}，自 {preview.effective_date} 起生效（续费时）",
            en=f"Downgrade {from_en} → {to_en}, from {preview.effective_date} (at renewal)",
            plan_code=plan_code,
            period_start=preview.effective_date,
        )
        audit_log(
            action="subscription.change_scheduled",
            at=now,
            actor=actor,
            tenant=subscription.tenant,
            target=subscription,
            data={
                "kind": "downgrade",
                "from_plan": preview.current_plan,
                "to_plan": plan_code,
                "effective_date": preview.effective_date.isoformat(),
                "subscription_id": subscription.pk,
                "provider": subscription.provider_code,
            },
        )
        return subscription
    _refuse_second_open_order(subscription.tenant, subscription.provider_code)
    _cat, target, row = _catalog_plan(subscription.provider_code, plan_code)
    base = period.base_order
    assert preview.charge is not None
    order = Order.objects.create(
        tenant=subscription.tenant,
        subscription=subscription,
        kind=OrderKind.UPGRADE,
        status=OrderStatus.PLACED,
        provider_code=subscription.provider_code,
        plan=row,
        plan_code=target.code,
        term=base.term,
        count=base.count,
        months=base.months,
        monthly_price=target.monthly_price,
        amount=preview.amount,
        currency=preview.currency,
        base_order=base,
        period_start=base.period_start,
        period_end=base.period_end,
        placed_at=now,
        placed_by=actor,
    )
    audit_log(
        action="order.placed",
        at=now,
        actor=actor,
        tenant=subscription.tenant,
        target=order,
        data={
            **_order_data(order),
            "from_plan": preview.current_plan,
            "remaining_days": preview.charge.remaining_days,
            "period_days": preview.charge.period_days,
        },
    )
    return order


@transaction.atomic
def subscription_unsubscribe(
    *, subscription: Subscription, actor: Any, now: datetime
) -> Subscription:
    (subscription,) = lock_rows(Subscription, [subscription.pk])
    preview = subscription_change_preview(subscription=subscription, plan_code=None, now=now)
    if preview.refused is not None:
        raise preview.refused
    if subscription.cancel_at_period_end:
        return subscription
    subscription.cancel_at_period_end = True
    subscription.auto_renew = False
    subscription.next_plan_code = ""
    subscription.change_requested_at = now
    subscription.save(
        update_fields=[
            "cancel_at_period_end",
            "auto_renew",
            "next_plan_code",
            "change_requested_at",
        ]
    )
    name_zh, name_en = plan_names(subscription.plan.catalog_version_id, preview.current_plan)
    _subscription_line(
        subscription,
        kind=StatementKind.UNSUBSCRIBE,
        at=now,
        zh=f"退订 {name_zh}，服务至 {domain.last_paid_day(preview.effective_date)}",
        en=f"Unsubscribed from {name_en}; service until "
        f"{domain.last_paid_day(preview.effective_date)}",
        plan_code=preview.current_plan,
        period_end=preview.effective_date,
    )
    audit_log(
        action="subscription.unsubscribed",
        at=now,
        actor=actor,
        tenant=subscription.tenant,
        target=subscription,
        data={
            "plan": preview.current_plan,
            "provider": subscription.provider_code,
            "effective_date": preview.effective_date.isoformat(),
            "subscription_id": subscription.pk,
        },
    )
    return subscription


@transaction.atomic
def subscription_set_auto_renew(
    *, subscription: Subscription, actor: Any, auto_renew: bool, now: datetime
) -> Subscription:
    (subscription,) = lock_rows(Subscription, [subscription.pk])
    if auto_renew and subscription.cancel_at_period_end:
        raise Conflict(
            "subscription.unsubscribed",
            _("You unsubscribed from this plan; place a renewal order to continue instead."),
        )
    subscription.auto_renew = auto_renew
    subscription.save(update_fields=["auto_renew"])
    audit_log(
        action="subscription.auto_renew_set", at=now, actor=actor, tenant=subscription.tenant,
        target=subscription, data={"auto_renew": auto_renew, "subscription_id": subscription.pk},
    )  # fmt: skip
    return subscription
