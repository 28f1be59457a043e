from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "supportplan.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from supportplan.core.audit import subscribe

        from . import services, tasks  # noqa: F401  (tasks registers the periodic retry)

        # Outbox rows are written inside the transaction of every audit entry.
        subscribe(services.on_audit_entry)
