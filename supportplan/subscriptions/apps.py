from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "supportplan.subscriptions"
    label = "subscriptions"
    verbose_name = _("Subscriptions")

    def ready(self) -> None:
        from supportplan.catalog.usage import register_usage_counter

        from .selectors import plan_usage

        # `catalog diff` asks who is on each plan before a new catalog version is loaded.
        register_usage_counter(plan_usage)
