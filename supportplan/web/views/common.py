"""What every page shares: who may see it, the business time zone, turning a refusal of a
service into a message on the form, and the language switcher."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, Concatenate

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from supportplan.accounts.models import User
from supportplan.accounts.permissions import is_staff
from supportplan.core import clock
from supportplan.core.errors import DomainError, NotFound, PermissionDenied


def request_now(request: HttpRequest) -> datetime:
    """The moment this page handles the request: read once from the clock by the page
    decorators below (`request.now`), so one request uses one `now` throughout."""
    now = getattr(request, "now", None)
    assert isinstance(now, datetime), "only inside a customer_view/staff_view/signed_in_view page"
    return now


def user_of(request: HttpRequest) -> User:
    """The signed-in person (every page decorator below requires a sign-in)."""
    user = request.user
    assert isinstance(user, User), "only inside a customer_view/staff_view/signed_in_view page"
    return user


# The page decorators keep a view's signature; R is what the page answers: usually an
# HttpResponse, a download a FileResponse (a streaming response, not an HttpResponse subclass).
# A refused permission answers a redirect instead.
def _wrap[**P, R: HttpResponseBase](
    view: Callable[Concatenate[HttpRequest, P], R], check: Callable[[Any], bool]
) -> Callable[Concatenate[HttpRequest, P], R | HttpResponseRedirect]:
    @functools.wraps(view)
    def wrapped(
        request: HttpRequest, *args: P.args, **kwargs: P.kwargs
    ) -> R | HttpResponseRedirect:
        if not check(request.user):
            # A page of the other side (portal vs console) does not exist for this person.
            raise Http404()
        request.now = clock.now()  # type: ignore[attr-defined]
        try:
            # override, not activate: the thread's next request (an API call in the same
            # server thread) must not inherit the page's time zone
            with timezone.override(clock.BUSINESS_TZ):
                return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except PermissionDenied as exc:
            messages.error(request, exc.message)
            return redirect("home")

    return login_required(wrapped)


def customer_view[**P, R: HttpResponseBase](
    view: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R | HttpResponseRedirect]:
    """A portal page: signed-in customer users; `request.tenant` is their organisation."""

    def check(user: Any) -> bool:
        return bool(user.is_authenticated and not is_staff(user) and user.tenant_id)

    @functools.wraps(view)
    def with_tenant(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R:
        request.tenant = request.user.tenant  # type: ignore[attr-defined,union-attr]
        return view(request, *args, **kwargs)

    return _wrap(with_tenant, check)


def staff_view[**P, R: HttpResponseBase](
    view: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R | HttpResponseRedirect]:
    """A console page: provider staff only."""
    return _wrap(view, is_staff)


def signed_in_view[**P, R: HttpResponseBase](
    view: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R | HttpResponseRedirect]:
    return _wrap(view, lambda user: bool(user.is_authenticated))


def apply_error(form: forms.Form | None, exc: DomainError) -> None:
    """Show a service's refusal on the form: beside the field it names, else on top."""
    if form is None:
        return
    field = exc.field if exc.field in getattr(form, "fields", {}) else None
    form.add_error(field, exc.message)


def call_service(
    request: HttpRequest, form: forms.Form | None, fn: Callable[..., Any], /, **kwargs: Any
) -> tuple[bool, Any]:
    """Run one write use case; a DomainError becomes an inline message in the user's language
    (never a 500, nothing half-written: services are atomic)."""
    try:
        return True, fn(**kwargs)
    except DomainError as exc:
        if form is not None:
            apply_error(form, exc)
        else:
            messages.error(request, exc.message)
        return False, exc


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return fallback
    return target


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's switcher (cookie + redirect), plus User.language for a signed-in person so the
    choice follows them to another browser and into e-mails."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and isinstance(response, HttpResponseRedirect):
        from supportplan.web.services import user_set_language

        # An unknown language was already ignored by Django; nothing to remember then.
        with contextlib.suppress(DomainError):
            user_set_language(user=user, language=language, now=clock.now())  # type: ignore[arg-type]
    return response


def bad_request_message(request: HttpRequest) -> None:
    messages.error(request, _("Something in the request was not valid; please try again."))


PER_PAGE = 25


def paginate(
    request: HttpRequest,
    items: Any,
    *,
    per_page: int = PER_PAGE,
    param: str = "page",
    count: int | None = None,
) -> Any:
    """One page of `items` (a queryset or list) from `?<param>=N`. A page number that is not a
    number, or past the end, shows the nearest page instead of an error (a stale link).
    `count`, when the caller already has it (e.g. from an aggregate), spares the COUNT(*)."""
    from django.core.paginator import Paginator

    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count  # type: ignore[misc]  # cached_property, set up front
    page = paginator.get_page(request.GET.get(param))
    page.param = param  # type: ignore[attr-defined]
    return page
