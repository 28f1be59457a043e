from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdvisoriesConfig(AppConfig):
    name = "supportplan.advisories"
    label = "advisories"
    verbose_name = _("Advisories")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the periodic contact sweep)
