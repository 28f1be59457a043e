"""Wrong passwords are counted wherever Django's authenticate() runs (allauth's form, the
admin's, DRF's token serializer): one signal covers every door."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from supportplan.core import clock

from . import lock


def _login(credentials: dict[str, Any]) -> str:
    return str(credentials.get("username") or credentials.get("email") or "")


@receiver(user_login_failed)
def count_failure(sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any) -> None:
    lock.record_failure(_login(credentials), lock.client_ip(request), now=clock.now())


@receiver(user_logged_in)
def forget_failures(sender: Any, request: Any, user: Any, **_: Any) -> None:
    ip = lock.client_ip(request)
    typed = request.POST.get("login") or request.POST.get("username") if request else ""
    for login in {typed or "", user.get_username(), user.email or ""}:
        lock.clear(login, ip)
