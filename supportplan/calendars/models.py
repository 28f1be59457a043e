"""Calendar tables: named calendars, their weekly windows, and holiday data per year.

Holiday data is per region (only "cn" today), shared by every calendar that observes the
region. A `HolidayYear` row means "this year's data is known"; a year without a row falls
back to weekends-only and is flagged wherever it is used.

Writes go through services.py (it audits, bumps the revision and schedules the
recalculation of open cases); the admin calls those services.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

REGION_CN = "cn"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")
    ADJUSTED = 7, _("Adjusted working day (调休)")


class HolidaySource(models.TextChoices):
    LIBRARY = "chinesecalendar", _("chinesecalendar library")
    ADMIN = "admin", _("Administrator")
    NOTICE = "notice-file", _("Official notice file")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Statutory holiday (rest day)")
    WORKDAY = "workday", _("Adjusted working day (调休)")


class Calendar(models.Model):
    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("Used by catalogs (channel calendar), e.g. 5x8 or 7x24."),
    )
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    tz = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    holiday_region = models.CharField(
        _("holiday region"),
        max_length=16,
        blank=True,
        default=REGION_CN,
        help_text=_("Whose statutory holidays close this calendar; empty for 7x24."),
    )
    is_builtin = models.BooleanField(_("built in"), default=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.name_en})"


class WorkingWindow(models.Model):
    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="windows"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        verbose_name = _("working window")
        verbose_name_plural = _("working windows")
        ordering = ["calendar", "weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class HolidayYear(models.Model):
    region = models.CharField(_("region"), max_length=16, default=REGION_CN)
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("source"), max_length=20, choices=HolidaySource.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("holiday year")
        verbose_name_plural = _("holiday years")
        ordering = ["region", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="calendars_holidayyear_unique")
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}"


class HolidayDay(models.Model):
    holiday_year = models.ForeignKey(
        HolidayYear, verbose_name=_("holiday year"), on_delete=models.CASCADE, related_name="days"
    )
    region = models.CharField(_("region"), max_length=16, default=REGION_CN)
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=HolidaySource.choices)

    class Meta:
        verbose_name = _("holiday or adjusted working day")
        verbose_name_plural = _("holidays and adjusted working days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["region", "date"], name="calendars_holidayday_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name_zh_hans or self.name_en}"


class CalendarRevision(models.Model):
    """One row whose token changes on every change to calendar data, so every process
    rebuilds its cached calendars on its next read (one primary-key query per read).

    A random token rather than a counter: a rolled-back change must never leave a cache
    entry that a later, different change could match.
    """

    token = models.CharField(_("revision"), max_length=32)
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar data revision")
        verbose_name_plural = _("calendar data revisions")

    def __str__(self) -> str:
        return self.token
