"""The sign-in lock: N wrong passwords for one account from one address within a window lock
that pair until the window has passed since the N-th most recent failure.

Counted in the database (SignInFailure) so every app server sees the same lock; the same
rule guards the web sign-in, /admin/login/ and POST /api/token/ (see middleware).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest

from .models import SignInFailure


def max_failures() -> int:
    return int(getattr(settings, "SIGNIN_LOCK_FAILURES", 5))


def window() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "SIGNIN_LOCK_MINUTES", 15)))


def locked_until(
    failures: Sequence[datetime], *, now: datetime, limit: int, window: timedelta
) -> datetime | None:
    """Pure rule: when the pair may try again, or None when it may try now."""
    recent = sorted(at for at in failures if at > now - window)
    if len(recent) < limit:
        return None
    return recent[-limit] + window


def wait_minutes(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def login_key(login: str) -> str:
    return hashlib.sha256(login.strip().lower().encode("utf-8")).hexdigest()


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def check(login: str, ip: str | None, *, now: datetime) -> datetime | None:
    """The instant the pair may sign in again, or None."""
    if not login:
        return None
    rows = SignInFailure.objects.filter(
        login_key=login_key(login), ip=ip, at__gt=now - window()
    ).values_list("at", flat=True)
    return locked_until(list(rows), now=now, limit=max_failures(), window=window())


def record_failure(login: str, ip: str | None, *, now: datetime) -> None:
    if not login:
        return
    key = login_key(login)
    SignInFailure.objects.filter(login_key=key, ip=ip, at__lte=now - window()).delete()
    SignInFailure.objects.create(login_key=key, ip=ip, at=now)


def clear(login: str, ip: str | None) -> None:
    if login:
        SignInFailure.objects.filter(login_key=login_key(login), ip=ip).delete()
