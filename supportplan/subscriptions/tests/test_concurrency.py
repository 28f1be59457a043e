"""Concurrent payment callbacks (PostgreSQL): the same order is never paid twice."""

from decimal import Decimal

import pytest

from supportplan.core.errors import DomainError
from supportplan.core.testing import T0, make_tenant, race
from supportplan.subscriptions import services
from supportplan.subscriptions.models import Payment, PaymentStatus, StatementLine

from .factories import buy, load_catalogs

THREADS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_confirmations_take_the_money_once():
    load_catalogs()
    order = buy(make_tenant(), "partner", "vip", method="bank_transfer")
    payment = order.payments.get()

    def confirm(i: int) -> str:
        # half replay the same key (a retried callback), half send their own keys
        key = "bank-1" if i % 2 == 0 else f"bank-other-{i}"
        try:
            services.payment_succeed(
                payment=payment, idempotency_key=key, amount=Decimal("600000"), actor=None, now=T0
            )
        except DomainError as exc:
            return exc.code
        return f"ok:{key}"

    outcomes = race(confirm, THREADS)
    assert Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).count() == 1
    assert StatementLine.objects.filter(order=order).count() == 1
    winner = Payment.objects.get(order=order).idempotency_key
    # every call with the winning key succeeded; every other key was refused
    assert sorted(set(outcomes)) == sorted({f"ok:{winner}", "payment.order_already_paid"})
    assert outcomes.count(f"ok:{winner}") == (10 if winner == "bank-1" else 1)
