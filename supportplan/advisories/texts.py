"""Texts the API shows for advisories (kept here so this app's catalog translates them)."""

from django.utils.translation import gettext_lazy as _

ADVISORY = _("Advisory")
TASK = _("Task")
SYSTEM = _("System")
SOFTWARE = _("Software")
