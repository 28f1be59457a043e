from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Cases that arrive from where customers already are: monitoring alerts (Prometheus
    Alertmanager). An edge: it translates and calls the case services."""

    name = "supportplan.integrations"
    label = "integrations"
    verbose_name = _("Integrations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from supportplan.core.audit import subscribe

        from .imbot import post_staff_reply

        subscribe(post_staff_reply)
