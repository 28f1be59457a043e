"""Two gates in front of every view.

SignInLockMiddleware refuses a password attempt on any door (web sign-in, admin sign-in,
API token) while the account+address pair is locked: 429, with how long to wait in the
person's language (JSON envelope on the API).

RequireMfaMiddleware sends a person whose organisation (or, for staff, the platform)
requires a second factor, and who has none yet, to set one up before anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportplan.core import clock

from . import lock, policy


def _door(path: str) -> str | None:
    doors = {"account_login": "web", "login": "web", "admin:login": "web", "api-token": "api"}
    for name, kind in doors.items():
        try:
            if path == reverse(name):
                return kind
        except NoReverseMatch:
            continue
    return None


def _typed_login(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return ""
        if not isinstance(data, dict):
            return ""
        return str(data.get("username") or data.get("login") or "")
    return str(request.POST.get("login") or request.POST.get("username") or "")


def locked_message(until: datetime, now: datetime) -> str:
    minutes = lock.wait_minutes(until, now)
    return ngettext(
        "Too many wrong passwords for this account. Try again in %(minutes)d minute.",
        "Too many wrong passwords for this account. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class SignInLockMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and (door := _door(request.path_info)):
            now = clock.now()
            until = lock.check(_typed_login(request), lock.client_ip(request), now=now)
            if until is not None:
                return self.refuse(request, door, until, now)
        return self.get_response(request)

    def refuse(
        self, request: HttpRequest, door: str, until: datetime, now: datetime
    ) -> HttpResponse:
        message = locked_message(until, now)
        seconds = max(1, int((until - now).total_seconds()))
        response: HttpResponse
        if door == "api":
            response = JsonResponse(
                {"code": "auth.locked", "message": message, "retry_after_seconds": seconds},
                status=429,
            )
        else:
            response = render(request, "account/locked.html", {"message": message}, status=429)
        response["Retry-After"] = str(seconds)
        return response


class RequireMfaMiddleware:
    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/logout/", "/api/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path_info.startswith(self.ALLOWED_PREFIXES)
            and policy.must_set_up_mfa(user)
        ):
            from django.contrib import messages

            messages.warning(
                request,
                _("Your organisation requires two-factor sign-in. Set up a second factor first."),
            )
            return redirect("mfa_index")
        return self.get_response(request)
