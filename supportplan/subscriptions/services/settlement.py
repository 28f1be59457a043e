"""Paying an order and the provider's answer: settled (idempotent per key) or failed.
The payment gateways themselves are in `subscriptions.payments`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from supportplan.core.audit import audit_log
from supportplan.core.errors import Conflict, DomainError
from supportplan.core.locking import lock_rows

from .. import domain, payments
from ..models import Order, OrderStatus, Payment, PaymentStatus
from ._common import _order_data
from .fulfilment import _fulfil
from .statements import _statement_for_paid_order


def order_pay(*, order: Order, actor: Any, method: str, now: datetime) -> Payment:
    gateway = payments.provider(method)
    if gateway is None:
        raise DomainError(
            "payment.method_unknown",
            _("“%(method)s” is not a payment method here. Choose one of: %(known)s."),
            method=method,
            known=", ".join(payments.enabled_codes()),
            field="method",
        )
    with transaction.atomic():
        (locked,) = lock_rows(Order, [order.pk])
        if locked.status == OrderStatus.PLACED:
            raise DomainError(
                "order.agreement_not_accepted",
                _("Accept the service agreement before paying order %(order)s."),
                order=locked.number,
            )
        if locked.status != OrderStatus.AGREEMENT_ACCEPTED:
            raise Conflict(
                "order.not_payable",
                _("Order %(order)s is %(state)s and cannot be paid now."),
                order=locked.number,
                state=locked.get_status_display(),
            )
        payment = Payment.objects.create(
            tenant=locked.tenant,
            order=locked,
            provider=gateway.code,
            status=PaymentStatus.PENDING,
            amount=locked.amount,
            instructions=gateway.instructions(order=locked),
            reference=locked.number,
            created_at=now,
        )
        locked.status = OrderStatus.AWAITING_PAYMENT
        locked.save(update_fields=["status"])
        audit_log(
            action="order.payment_started",
            at=now,
            actor=actor,
            tenant=locked.tenant,
            target=locked,
            data={**_order_data(locked), "payment_id": payment.pk, "method": gateway.code},
        )
    if gateway.settles_at_once:
        payment = payment_succeed(
            payment=payment,
            idempotency_key=f"{gateway.code}:{payment.pk}",
            amount=payment.amount,
            actor=None,
            now=now,
        )
    order.refresh_from_db()
    return payment


@transaction.atomic
def payment_succeed(
    *,
    payment: Payment,
    idempotency_key: str,
    amount: Decimal,
    actor: Any,
    now: datetime,
    reference: str = "",
) -> Payment:
    """The provider (or staff, for a bank transfer) reports money received.

    Idempotent: the same key again returns the payment it settled and changes nothing.
    A different key for an order that is already paid is refused, so no order is paid twice.
    """
    key = (idempotency_key or "").strip()
    if not key:
        raise DomainError(
            "payment.idempotency_key_required",
            _("Send an idempotency key with every payment confirmation."),
            field="idempotency_key",
        )
    seen = Payment.objects.filter(idempotency_key=key).first()
    if seen is not None:
        if seen.pk != payment.pk:
            raise Conflict(
                "payment.idempotency_key_reused",
                _("Idempotency key %(key)s was already used for another payment."),
                key=key,
            )
        return seen
    (order,) = lock_rows(Order, [payment.order_id])
    # Again under the lock: a concurrent replay of the same callback waited here.
    seen = Payment.objects.filter(idempotency_key=key).first()
    if seen is not None and seen.pk == payment.pk:
        return seen
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if order.paid_at is not None or payment.status != PaymentStatus.PENDING:
        raise Conflict(
            "payment.order_already_paid" if order.paid_at is not None else "payment.not_pending",
            _("Order %(order)s is already paid (or this payment is closed); nothing was charged."),
            order=order.number,
        )
    if domain.money(Decimal(amount)) != order.amount:
        raise DomainError(
            "payment.amount_mismatch",
            _("The amount received (%(received)s) is not the order's amount (%(expected)s)."),
            received=str(amount),
            expected=str(order.amount),
            field="amount",
        )
    payment.status = PaymentStatus.SUCCEEDED
    payment.idempotency_key = key
    payment.completed_at = now
    payment.confirmed_by = actor if getattr(actor, "pk", None) else None
    if reference:
        payment.reference = reference[:100]
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        raise Conflict(
            "payment.order_already_paid",
            _("Order %(order)s is already paid (or this payment is closed); nothing was charged."),
            order=order.number,
        ) from None
    order.status = OrderStatus.PAID
    order.paid_at = now
    order.save(update_fields=["status", "paid_at"])
    audit_log(
        action="order.paid",
        at=now,
        actor=actor,
        tenant=order.tenant,
        target=order,
        data={**_order_data(order), "payment_id": payment.pk, "method": payment.provider},
    )
    _fulfil(order, now)
    _statement_for_paid_order(order, now)
    return payment


@transaction.atomic
def payment_fail(
    *, payment: Payment, idempotency_key: str, actor: Any, now: datetime, reason: str = ""
) -> Payment:
    if Payment.objects.filter(idempotency_key=idempotency_key).exists():
        return Payment.objects.get(idempotency_key=idempotency_key)
    (order,) = lock_rows(Order, [payment.order_id])
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.PENDING:
        raise Conflict(
            "payment.not_pending",
            _("Order %(order)s is already paid (or this payment is closed); nothing was charged."),
            order=order.number,
        )
    payment.status = PaymentStatus.FAILED
    payment.idempotency_key = idempotency_key
    payment.completed_at = now
    payment.failure_reason = reason
    payment.save()
    order.status = OrderStatus.AGREEMENT_ACCEPTED
    order.save(update_fields=["status"])
    audit_log(
        action="payment.failed", at=now, actor=actor, tenant=order.tenant, target=order,
        data={**_order_data(order), "payment_id": payment.pk, "reason": reason},
    )  # fmt: skip
    return payment
