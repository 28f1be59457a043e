"""Value-added services: what the plan includes with balances, booking with the lead time
on the date picker, following a booking; staff confirm and deliver."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportplan.accounts.models import STAFF_ROLES, User
from supportplan.bookings import selectors as booking_selectors
from supportplan.bookings import services as booking_services
from supportplan.bookings.models import Booking, BookingStatus
from supportplan.calendars.deadlines import earliest_service_start
from supportplan.subscriptions.domain import local_date
from supportplan.web import selectors as web_selectors
from supportplan.web.forms import BookingConfirmForm, BookingDeliverForm, BookingForm

from .common import call_service, customer_view, paginate, request_now, staff_view


def _earliest(service: Any, today: Any) -> Any:
    """The earliest start the lead time allows (N-th working day after today), else today."""
    if service.lead_time is None:
        return today
    from supportplan.calendars.selectors import working_days_calendar

    return earliest_service_start(
        working_days_calendar(), today, service.lead_time.working_days
    ).value


@customer_view
def services(request: HttpRequest) -> HttpResponse:
    tenant, now = request.tenant, request_now(request)  # type: ignore[attr-defined]
    today = local_date(now)
    offers = []
    for mp in web_selectors.my_plans(tenant, now):
        for grant, balance in mp.services_with_balance:
            offers.append(
                {
                    "mp": mp,
                    "grant": grant,
                    "balance": balance,
                    "earliest": _earliest(grant.service, today),
                }
            )
    bookings = paginate(
        request, booking_selectors.bookings_of(tenant).order_by("-requested_at", "-id")
    )
    return render(
        request,
        "web/services/list.html",
        {
            "nav": "services",
            "offers": offers,
            "bookings": bookings,
            "service_names": _service_names(tenant, now),
        },
    )


def _service_names(tenant: Any, now: Any) -> dict[str, Any]:
    names: dict[str, Any] = {}
    for cat in web_selectors.catalogs().values():
        for s in cat.services:
            names.setdefault(s.code, s.name)
    return names


def _find_offer(tenant: Any, now: Any, provider: str, service: str) -> tuple[Any, Any] | None:
    for mp in web_selectors.my_plans(tenant, now):
        if mp.provider_code == provider:
            for grant in mp.plan.services:
                if grant.code == service:
                    return mp, grant
    return None


@customer_view
def book(request: HttpRequest, provider: str, service: str) -> HttpResponse:
    tenant, now, user = request.tenant, request_now(request), request.user  # type: ignore[attr-defined]
    found = _find_offer(tenant, now, provider, service)
    if found is None:
        raise Http404()
    mp, grant = found
    today = local_date(now)
    earliest = _earliest(grant.service, today)
    escort = grant.service.unit == "natural_days"
    required = grant.service.lead_time is not None and grant.service.lead_time.required
    form = BookingForm(
        request.POST or None,
        escort=escort,
        earliest=earliest,
        min_date=earliest if required else today,
        initial={"start_date": earliest},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        ok, booking = call_service(
            request,
            form,
            booking_services.booking_request,
            tenant=tenant,
            actor=user,
            service_code=service,
            start_date=d["start_date"],
            now=now,
            days=d.get("days") if escort else None,
            event_kind=d.get("event_kind", ""),
            event_description=d.get("event_description", ""),
        )
        if ok:
            messages.success(
                request, _("Your request was received. We confirm it with the team's names.")
            )
            for w in booking_selectors.warnings_of(booking):
                messages.warning(request, w["message"])
            return redirect("web:booking", booking.pk)
    balance = next((b for b in mp.balances if b.service_code == service), None)
    return render(
        request,
        "web/services/book.html",
        {
            "nav": "services",
            "mp": mp,
            "grant": grant,
            "form": form,
            "earliest": earliest,
            "today": today,
            "escort": escort,
            "balance": balance,
        },
        status=400 if form.errors else 200,
    )


def _booking_for(tenant: Any, booking_id: int) -> Booking:
    booking = booking_selectors.bookings_of(tenant).filter(pk=booking_id).first()
    if booking is None:
        raise Http404()
    return booking


@customer_view
def booking_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking_for(request.tenant, booking_id)  # type: ignore[attr-defined]
    names = _service_names(request.tenant, request_now(request))  # type: ignore[attr-defined]
    return render(
        request,
        "web/services/detail.html",
        {
            "nav": "services",
            "booking": booking,
            "service_names": names,
            "warnings": [w["message"] for w in booking_selectors.warnings_of(booking)],
        },
    )


@require_POST
@customer_view
def booking_action(request: HttpRequest, booking_id: int, action: str) -> HttpResponse:
    booking = _booking_for(request.tenant, booking_id)  # type: ignore[attr-defined]
    user, now = request.user, request_now(request)
    if action == "cancel":
        ok, _r = call_service(
            request,
            None,
            booking_services.booking_cancel,
            booking=booking,
            actor=user,
            now=now,
            reason=request.POST.get("reason", "")[:200],
        )
    elif action == "accept":
        ok, _r = call_service(
            request, None, booking_services.booking_accept, booking=booking, actor=user, now=now
        )
    elif action == "rate":
        try:
            rating = int(request.POST.get("rating", ""))
        except ValueError:
            rating = 0
        ok, _r = call_service(
            request,
            None,
            booking_services.booking_rate,
            booking=booking,
            actor=user,
            now=now,
            rating=rating,
            comment=request.POST.get("comment", "")[:2000],
        )
    else:
        raise Http404()
    if ok:
        messages.success(request, _("Done."))
    return redirect("web:booking", booking.pk)


# --------------------------------------------------------------------------- staff


@staff_view
def staff_bookings(request: HttpRequest) -> HttpResponse:
    """Bookings to confirm (requested) and to deliver (confirmed), soonest first."""
    status = request.GET.get("status", "open")
    qs = Booking.objects.select_related("tenant").prefetch_related("team")
    if status == "open":
        qs = qs.filter(
            status__in=[
                BookingStatus.REQUESTED,
                BookingStatus.CONFIRMED,
                BookingStatus.AWAITING_PAYMENT,
            ]
        )
    elif status in BookingStatus.values:
        qs = qs.filter(status=status)
    bookings = paginate(request, qs.order_by("start_date", "id"))
    staff = User.objects.filter(role__in=[str(r) for r in STAFF_ROLES], is_active=True).order_by(
        "username"
    )
    choices = [(str(u.pk), u.get_full_name() or u.username) for u in staff]
    return render(
        request,
        "web/services/staff.html",
        {
            "nav": "bookings",
            "bookings": bookings,
            "status": status,
            "staff_choices": choices,
            "statuses": BookingStatus.choices,
            "service_names": _service_names(None, request_now(request)),
            "soon": local_date(request_now(request)) + timedelta(days=14),
        },
    )


@require_POST
@staff_view
def staff_booking_action(request: HttpRequest, booking_id: int, action: str) -> HttpResponse:
    # Staff see every tenant's bookings (accounts.permissions.visible_tenants).
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        raise Http404()
    user, now = request.user, request_now(request)
    if action == "confirm":
        confirm_form = BookingConfirmForm(request.POST)
        confirm_form.choice_field("team").choices = [
            (str(u.pk), u.username)
            for u in User.objects.filter(role__in=[str(r) for r in STAFF_ROLES])
        ]
        if not confirm_form.is_valid():
            messages.error(request, _("Choose at least one person for the team."))
            return redirect("web:staff_bookings")
        team = list(User.objects.filter(pk__in=confirm_form.cleaned_data["team"]))
        ok, _r = call_service(
            request,
            None,
            booking_services.booking_confirm,
            booking=booking,
            actor=user,
            team=team,
            now=now,
        )
    elif action == "deliver":
        deliver_form = BookingDeliverForm(request.POST, request.FILES)
        deliver_form.is_valid()
        ok, _r = call_service(
            request,
            None,
            booking_services.booking_deliver,
            booking=booking,
            actor=user,
            now=now,
            notes=deliver_form.cleaned_data.get("notes", ""),
            report=deliver_form.cleaned_data.get("report"),
        )
    elif action == "cancel":
        ok, _r = call_service(
            request,
            None,
            booking_services.booking_cancel,
            booking=booking,
            actor=user,
            now=now,
            reason=request.POST.get("reason", "")[:200],
        )
    else:
        raise Http404()
    if ok:
        messages.success(
            request,
            {
                "confirm": _("The booking was confirmed and the team named."),
                "deliver": _("The booking was marked delivered."),
                "cancel": _("The booking was cancelled."),
            }[action],
        )
    return redirect("web:staff_bookings")
