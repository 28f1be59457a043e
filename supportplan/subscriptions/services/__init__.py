"""Every write of orders, payments, subscriptions, plan changes, statements and the quota ledger.

Purchase flow (seed 000 "购买支持计划"): choose plan + duration → `order_quote` (nothing
written) → `order_place` → `order_accept_agreement` → `order_pay` → the provider settles
(`payment_succeed`, idempotent per key) → the order is fulfilled: the subscription is
activated or renewed, an upgrade applied, or a paid add-on booking requested.

Audit codes (data carries what the notifications and reports need):
order.placed, order.agreement_accepted, order.payment_started, order.paid, order.cancelled,
payment.failed, subscription.waiting_for_contact, subscription.activated, subscription.renewed,
subscription.changed, subscription.change_scheduled, subscription.unsubscribed,
subscription.auto_renew_set, subscription.auto_renewal_placed, subscription.expired,
quota.granted, quota.expired.

Locks: Subscription rows, then QuotaBucket rows, then Order rows, each by primary key,
once per transaction (core.locking.lock_rows). Bookings take the same order.

Modules: `orders` (quote, place, agreement, cancel), `settlement` (pay, payment succeeded
or failed), `fulfilment` (what a paid order does), `changes` (upgrade, downgrade, unsubscribe,
automatic renewal switch), `quotas` (the ledger's grants and expiries), `sweeps` (the periodic
job), `statements` (statement lines), `refusals` (shared by the API and portal), `_common`.
Import through this package (`from supportplan.subscriptions import services`): it re-exports
every name callers use.
"""

from __future__ import annotations

from ._common import OPEN_ORDER, localized, plan_of_order
from .changes import (
    ChangePreview,
    subscription_change,
    subscription_change_preview,
    subscription_set_auto_renew,
    subscription_unsubscribe,
)
from .fulfilment import subscription_start_waiting
from .orders import QuoteResult, order_accept_agreement, order_cancel, order_place, order_quote
from .quotas import quota_expire_lapsed
from .refusals import not_found, parse_statement_date, refuse_unaccepted, require_technical_contact
from .settlement import order_pay, payment_fail, payment_succeed
from .sweeps import AUTO_RENEW_AHEAD, subscriptions_sweep

__all__ = [
    "AUTO_RENEW_AHEAD",
    "OPEN_ORDER",
    "ChangePreview",
    "QuoteResult",
    "localized",
    "not_found",
    "order_accept_agreement",
    "order_cancel",
    "order_pay",
    "order_place",
    "order_quote",
    "parse_statement_date",
    "payment_fail",
    "payment_succeed",
    "plan_of_order",
    "quota_expire_lapsed",
    "refuse_unaccepted",
    "require_technical_contact",
    "subscription_change",
    "subscription_change_preview",
    "subscription_set_auto_renew",
    "subscription_start_waiting",
    "subscription_unsubscribe",
    "subscriptions_sweep",
]
