from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "supportplan.cases"
    label = "cases"
    verbose_name = _("Support cases")

    def ready(self) -> None:
        # When holidays or working windows change, the due times stored on active cases are
        # recomputed (calendars calls every registered hook once per affected calendar).
        from supportplan.calendars import recalc

        from . import sweep

        recalc.register(sweep.recompute_sla)
