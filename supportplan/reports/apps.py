from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "supportplan.reports"
    label = "reports"
    verbose_name = _("Monthly service reports")
