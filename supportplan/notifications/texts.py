"""Texts the API shows for notifications (kept here so this app's catalog translates them)."""

from django.utils.translation import gettext_lazy as _

NOTIFICATION = _("Notification")
ROBOT = _("Robot")
MESSAGE = _("Message")
LOG_STAFF_ONLY = _("Only support managers, TAMs and administrators can see the delivery log.")
STATUS_FILTER = _("Filter by one of these statuses: %(statuses)s.")
