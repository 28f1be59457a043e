"""Payments: a customer pays an order left unpaid (test gateway, or bank-transfer instructions
with the reference to quote); staff confirm a bank transfer when the money arrives.

Both are idempotent on double submit: paying an order that the first click already moved to
"waiting for the payment" shows that payment's instructions again (one Payment row), and a
staff confirmation carries a key derived from the payment, so a second click returns the
payment the first one settled (subscriptions.services.payment_succeed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportplan.accounts import permissions as perms
from supportplan.core.errors import DomainError
from supportplan.subscriptions import selectors as subs
from supportplan.subscriptions import services as sub_services
from supportplan.subscriptions.models import Order, OrderStatus, PaymentStatus
from supportplan.web import selectors as web_selectors
from supportplan.web.forms import ConfirmPaymentForm, FailPaymentForm, PayOrderForm
from supportplan.web.navigation import may_confirm_payments

from .common import call_service, customer_view, paginate, request_now, staff_view

PAYABLE = (OrderStatus.PLACED, OrderStatus.AGREEMENT_ACCEPTED)
SETTLED = (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID, OrderStatus.FULFILLED)


def _methods() -> list[tuple[str, str]]:
    from supportplan.subscriptions import payments

    return [(code, str(payments.PROVIDERS[code].name)) for code in payments.enabled_codes()]


def _order_for(tenant: Any, order_id: int) -> Order:
    order = subs.orders_of(tenant).filter(pk=order_id).first()
    if order is None:
        raise Http404()
    return order


def _may_buy(user: Any, tenant: Any) -> bool:
    try:
        perms.require_may_buy(user, tenant)
    except DomainError:
        return False
    return True


def _order_page(request: HttpRequest, order: Order, form: Any, status: int = 200) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    payments = list(order.payments.order_by("-created_at", "-id"))
    pending = next((p for p in payments if p.status == PaymentStatus.PENDING), None)
    return render(
        request,
        "web/plans/order.html",
        {
            "nav": "statements",
            "order": order,
            "label": web_selectors.order_label(order, get_language()),
            "payments": payments,
            "pending": pending,
            "form": form,
            # the agreement to read before accepting, and the one the order was accepted under
            "agreement": subs.current_agreement(order.provider_code),
            "accepted_agreement": subs.agreement_of(order),
            "payable": order.status in PAYABLE,
            "cancellable": order.status in sub_services.OPEN_ORDER,
            "may_buy": _may_buy(request.user, tenant),
        },
        status=status,
    )


@customer_view
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order_for(request.tenant, order_id)  # type: ignore[attr-defined]
    agreement = subs.current_agreement(order.provider_code)
    form = PayOrderForm(
        methods=_methods(),
        needs_agreement=order.status == OrderStatus.PLACED,
        initial={"agreement_version": agreement.version if agreement else ""},
    )
    return _order_page(request, order, form)


@require_POST
@customer_view
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    """Cancel an order left unpaid (it blocks placing another for the same provider)."""
    tenant, user, now = request.tenant, request.user, request_now(request)  # type: ignore[attr-defined]
    order = _order_for(tenant, order_id)
    if not _may_buy(user, tenant):
        messages.error(request, _("Only an administrator of your organisation can cancel orders."))
        return redirect("web:order", order.pk)
    ok, _r = call_service(
        request, None, sub_services.order_cancel, order=order, actor=user, now=now
    )
    if ok:
        messages.success(
            request,
            _("Order %(order)s was cancelled; you can place another.") % {"order": order.number},
        )
    return redirect("web:order", order.pk)


@require_POST
@customer_view
def order_pay(request: HttpRequest, order_id: int) -> HttpResponse:
    """Accept the agreement (if still open) and start the payment. A second submit of the same
    form finds the order already waiting for (or done with) its payment and shows it."""
    tenant, user, now = request.tenant, request.user, request_now(request)  # type: ignore[attr-defined]
    order = _order_for(tenant, order_id)
    if not _may_buy(user, tenant):
        messages.error(request, _("Only an administrator of your organisation can pay orders."))
        return redirect("web:order", order.pk)
    if order.status in SETTLED:
        return redirect("web:order", order.pk)
    form = PayOrderForm(
        request.POST, methods=_methods(), needs_agreement=order.status == OrderStatus.PLACED
    )
    if not form.is_valid():
        return _order_page(request, order, form, status=400)
    if order.status == OrderStatus.PLACED:
        ok, _r = call_service(
            request,
            form,
            sub_services.order_accept_agreement,
            order=order,
            actor=user,
            version=form.cleaned_data.get("agreement_version", ""),
            now=now,
        )
        if not ok:
            return _settled_meanwhile(request, order) or _order_page(request, order, form, 400)
    try:
        sub_services.order_pay(order=order, actor=user, method=form.cleaned_data["method"], now=now)
    except DomainError as exc:
        # A concurrent first click moved the order on under the lock: same outcome as ours.
        settled = _settled_meanwhile(request, order)
        if settled is not None:
            return settled
        form.add_error("method" if exc.field == "method" else None, exc.message)
        order.refresh_from_db()
        return _order_page(request, order, form, status=400)
    order.refresh_from_db()
    if order.status == OrderStatus.AWAITING_PAYMENT:
        messages.success(
            request,
            _("Transfer the amount below quoting %(reference)s; we confirm it when it arrives.")
            % {"reference": order.number},
        )
    else:
        messages.success(request, _("Order %(order)s is paid.") % {"order": order.number})
    return redirect("web:order", order.pk)


def _settled_meanwhile(request: HttpRequest, order: Order) -> HttpResponse | None:
    order.refresh_from_db()
    if order.status in SETTLED:
        return redirect("web:order", order.pk)
    return None


# --------------------------------------------------------------------------- staff


_may_confirm = may_confirm_payments


def _staff_page(
    request: HttpRequest,
    forms: dict[int, Any] | None = None,
    status: int = 200,
    fail_forms: dict[int, Any] | None = None,
) -> HttpResponse:
    lang = get_language()
    show = request.GET.get("show", "pending")
    source = (
        web_selectors.settled_payments() if show == "done" else web_selectors.pending_payments()
    )
    page = paginate(request, source)
    rows = [
        {
            "payment": p,
            "label": web_selectors.order_label(p.order, lang),
            "method": dict(_methods()).get(p.provider, p.provider),
            "form": (forms or {}).get(p.pk) or ConfirmPaymentForm(prefix=f"p{p.pk}"),
            "fail_form": (fail_forms or {}).get(p.pk) or FailPaymentForm(prefix=f"f{p.pk}"),
        }
        for p in page
    ]
    return render(
        request,
        "web/console/payments.html",
        {"nav": "payments", "page": page, "rows": rows, "show": show},
        status=status,
    )


@staff_view
def staff_payments(request: HttpRequest) -> HttpResponse:
    if not _may_confirm(request.user):
        return render(request, "web/console/forbidden.html", {"nav": "payments"}, status=403)
    return _staff_page(request)


@require_POST
@staff_view
def staff_payment_confirm(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The money arrived: settle the payment (the amount must be the order's)."""
    return _settle(request, payment_id, confirm=True)


@require_POST
@staff_view
def staff_payment_fail(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The transfer never arrived: close the payment with a reason the customer reads; the
    order becomes payable again."""
    return _settle(request, payment_id, confirm=False)


def _settle(request: HttpRequest, payment_id: int, *, confirm: bool) -> HttpResponse:
    """Both ways a staff member settles a waiting transfer. Each carries one idempotency key
    per payment and way, so a double submit returns what the first click did."""
    user, now = request.user, request_now(request)
    if not _may_confirm(user):
        return render(request, "web/console/forbidden.html", {"nav": "payments"}, status=403)
    payment = web_selectors.payment_by_id(payment_id)
    if payment is None:
        raise Http404()
    form_class = ConfirmPaymentForm if confirm else FailPaymentForm
    form = form_class(request.POST, prefix=f"{'p' if confirm else 'f'}{payment.pk}")
    if form.is_valid():
        d = form.cleaned_data
        common = {"payment": payment, "actor": user, "now": now}
        if confirm:
            ok, _r = call_service(
                request, form, sub_services.payment_succeed, **common,
                idempotency_key=f"console-payment-{payment.pk}",
                amount=d["amount"], reference=d["reference"],
            )  # fmt: skip
            done = _("Payment for order %(order)s confirmed.")
        else:
            ok, _r = call_service(
                request, form, sub_services.payment_fail, **common,
                idempotency_key=f"console-payment-fail-{payment.pk}", reason=d["reason"],
            )  # fmt: skip
            done = _("The transfer for order %(order)s is closed as not received.")
        if ok:
            messages.success(request, done % {"order": payment.order.number})
            return redirect("web:staff_payments")
    if confirm:
        return _staff_page(request, {payment.pk: form}, status=400)
    return _staff_page(request, status=400, fail_forms={payment.pk: form})
