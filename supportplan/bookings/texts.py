"""Sentences of the bookings context that are stored by code and rendered for each reader."""

from django.utils.translation import gettext_lazy as _

LEAD_TIME_RECOMMENDED = _(
    "We recommend applying for %(service)s %(days)s working days ahead (from %(earliest)s); "
    "we accepted the request and will do our best to prepare in time."
)
