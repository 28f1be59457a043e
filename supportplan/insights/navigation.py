"""The insights pages' entries in the main navigation (web/navigation.py lists them); the
labels live here so they are in this app's translation catalog."""

from django.utils.translation import pgettext_lazy

PLAN_ADVISOR = pgettext_lazy("navigation", "Plan advisor")
STAFFING = pgettext_lazy("navigation", "Staffing")
