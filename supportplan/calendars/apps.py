from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarsConfig(AppConfig):
    name = "supportplan.calendars"
    label = "calendars"
    verbose_name = _("Calendars")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the periodic holiday-data check)

        _warn_on_admin_index()


def _warn_on_admin_index() -> None:
    """Administrators see missing holiday data on the admin index, from 1 November of the
    year before. The default admin site has no hook for this, so its index view is wrapped
    once (idempotent) instead of replacing the site."""
    from django.contrib import admin

    site = admin.site
    if getattr(site.index, "_calendars_wrapped", False):
        return
    original = site.index

    def index(request, extra_context=None):  # type: ignore[no-untyped-def]
        from .admin import warn_missing_holiday_data

        if request.method == "GET" and getattr(request.user, "is_staff", False):
            warn_missing_holiday_data(request)
        return original(request, extra_context)

    index._calendars_wrapped = True  # type: ignore[attr-defined]
    site.index = index  # type: ignore[method-assign]
