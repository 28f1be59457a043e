from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "supportplan.reports"
    label = "reports"
    verbose_name = _("Monthly service reports")

    def ready(self) -> None:
        from django.core import checks

        checks.register(cjk_fonts_check, "reports")
        from . import health  # noqa: F401  (registers the CJK-font check of /readyz)


def cjk_fonts_check(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """At start-up: the reports' charts and PDF find a font with Chinese characters
    (rebuilding matplotlib's font cache if it predates the font)."""
    from django.core import checks

    from . import fonts

    problem = fonts.cjk_fonts_problem()
    if problem:
        return [checks.Error(problem, id="reports.E001", hint=str(_("Reports would fail.")))]
    return []
