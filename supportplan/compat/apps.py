from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompatConfig(AppConfig):
    """The cloud ticket APIs customers already script against (AWS Support, Huawei OSM):
    an edge like `api/`, translating to the same case services."""

    name = "supportplan.compat"
    label = "compat"
    verbose_name = _("Cloud ticket APIs")
    default_auto_field = "django.db.models.BigAutoField"
