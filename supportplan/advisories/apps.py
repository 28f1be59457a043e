from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdvisoriesConfig(AppConfig):
    name = "supportplan.advisories"
    label = "advisories"
    verbose_name = _("Advisories")
