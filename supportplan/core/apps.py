from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "supportplan.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from supportplan.core import logging as sp_logging

        sp_logging.connect_signals()
