"""Texts the API module for reports shows (kept here so this app's catalog holds them)."""

from django.utils.translation import gettext_lazy as _

SETTINGS_NOT_OBJECT = _("Settings must be an object.")
SECRET_IN_SETTINGS = _("Put credentials in secret, not in settings: %(keys)s.")
NOT_A_NUMBER = _("%(name)s must be a number.")
