from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """Service-level intelligence: staffing from the provider's own history (Erlang C)."""

    name = "supportplan.insights"
    label = "insights"
    verbose_name = _("Service intelligence")
