"""The payment-provider interface and the two providers the product ships.

A provider starts a payment (returns what the customer must do) and later reports the
result through `services.payment_succeed` / `payment_fail` with an idempotency key:

- ``bank_transfer`` (real, offline): the customer transfers the amount quoting the order
  number; the order waits until staff see the money arrive and confirm it. The staff
  confirmation is the "callback" and carries its own idempotency key.
- ``test``: an online gateway stand-in that approves at once (its callback runs inside
  `order_pay`). Enabled only where settings allow it (DEBUG, tests, demo):
  ``SUPPORTPLAN_PAYMENT_PROVIDERS = ["bank_transfer", "test"]``.

A new gateway is one more class here plus an HTTP endpoint that verifies the gateway's
signature and calls `payment_succeed` with the gateway's event id as idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class PaymentProvider(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str | Promise: ...

    @property
    def settles_at_once(self) -> bool:
        """True: settles inside order_pay (no waiting); False: someone confirms later."""
        ...

    def instructions(self, *, order: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class BankTransfer:
    code: str = "bank_transfer"
    name: str | Promise = _("Bank transfer (confirmed by staff)")
    settles_at_once: bool = False

    def instructions(self, *, order: Any) -> dict[str, Any]:
        account = getattr(settings, "SUPPORTPLAN_BANK_ACCOUNT", None) or {
            "account_name": "Support Plan Services Co., Ltd.",
            "bank": "Bank of China, Beijing branch",
            "account_number": "0000 0000 0000 0000",
        }
        return {
            **account,
            "amount": str(order.amount),
            "currency": order.currency,
            "reference": order.number,
        }


@dataclass(frozen=True)
class TestGateway:
    code: str = "test"
    name: str | Promise = _("Test gateway (approves at once)")
    settles_at_once: bool = True

    def instructions(self, *, order: Any) -> dict[str, Any]:
        return {"amount": str(order.amount), "currency": order.currency}


PROVIDERS: dict[str, PaymentProvider] = {p.code: p for p in (BankTransfer(), TestGateway())}


def enabled_codes() -> tuple[str, ...]:
    configured = getattr(settings, "SUPPORTPLAN_PAYMENT_PROVIDERS", None)
    if configured is None:
        configured = ["bank_transfer", "test"] if settings.DEBUG else ["bank_transfer"]
    return tuple(code for code in configured if code in PROVIDERS)


def provider(code: str) -> PaymentProvider | None:
    return PROVIDERS.get(code) if code in enabled_codes() else None
