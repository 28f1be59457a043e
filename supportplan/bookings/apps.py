from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "supportplan.bookings"
    label = "bookings"
    verbose_name = _("Value-added service bookings")

    def ready(self) -> None:
        from supportplan.core.audit import subscribe

        from .services import notify_escort_team

        # Explicit subscriber (no signals): the escort team hears of every case opened
        # during a confirmed escort, inside the case's own transaction.
        subscribe(notify_escort_team)
