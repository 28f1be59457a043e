"""Administrators edit calendars and holiday data here; every save goes through services
(audit entry, new data revision, recalculation of open cases' due times)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from supportplan.core import clock
from supportplan.core.errors import DomainError

from . import services
from .domain import Window, check_windows
from .models import Calendar, DayKind, HolidayDay, HolidayYear, WorkingWindow
from .selectors import holiday_data_warnings


def warn_missing_holiday_data(request: HttpRequest) -> None:
    """Shown on the admin index and the calendar pages from 1 November of the year before."""
    for w in holiday_data_warnings(clock.now()):
        level = messages.ERROR if w.level == "error" else messages.WARNING
        messages.add_message(request, level, w.message)


class _ServiceAdmin(admin.ModelAdmin):
    """Route admin writes through services and show DomainError as a message, not a 500."""

    # No bulk "delete selected": a queryset delete would bypass the services (one write
    # path); objects are deleted one at a time from their page.
    actions = None

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            warn_missing_holiday_data(request)
        return super().changelist_view(request, extra_context)


class WorkingWindowFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Refuse overlapping windows on the form, with the domain's message."""

    def clean(self) -> None:
        super().clean()
        by_day: dict[int, list[Window]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("start") is None:
                continue
            try:
                by_day.setdefault(data["weekday"], []).append(Window.of(data["start"], data["end"]))
            except DomainError as exc:
                raise ValidationError(exc.message) from None
        for day_windows in by_day.values():
            try:
                check_windows(day_windows)
            except DomainError as exc:
                raise ValidationError(exc.message) from None


class WorkingWindowInline(admin.TabularInline):
    model = WorkingWindow
    formset = WorkingWindowFormSet
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(_ServiceAdmin):
    list_display = ("code", "name_zh_hans", "name_en", "tz", "holiday_region", "is_builtin")
    readonly_fields = ("is_builtin",)
    inlines = [WorkingWindowInline]

    def save_model(self, request: HttpRequest, obj: Calendar, form: Any, change: bool) -> None:
        services.calendar_save(calendar=obj, actor=request.user, at=clock.now())

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        try:
            services.working_windows_saved(
                calendar=form.instance, actor=request.user, at=clock.now()
            )
        except DomainError as exc:
            # Roll the whole change back (the admin view runs in one transaction).
            from django.db import transaction

            transaction.set_rollback(True)
            self.message_user(request, exc.message, messages.ERROR)

    def delete_model(self, request: HttpRequest, obj: Calendar) -> None:
        try:
            services.calendar_delete(calendar=obj, actor=request.user, at=clock.now())
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def has_delete_permission(self, request: HttpRequest, obj: Calendar | None = None) -> bool:
        if obj is not None and obj.is_builtin:
            return False
        return super().has_delete_permission(request, obj)


class HolidayDayForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = HolidayDay
        fields = ("holiday_year", "date", "kind", "name_zh_hans", "name_en")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, kind = data.get("date"), data.get("kind")
        if day is not None and kind == DayKind.WORKDAY and day.weekday() < 5:
            raise ValidationError(
                _(
                    "%(date)s is a weekday and already a working day; adjusted working days "
                    "are Saturdays or Sundays."
                )
                % {"date": day.isoformat()}
            )
        return data


class HolidayDayInline(admin.TabularInline):
    model = HolidayDay
    form = HolidayDayForm
    extra = 0
    fields = ("date", "kind", "name_zh_hans", "name_en", "source")
    readonly_fields = ("source",)


@admin.register(HolidayYear)
class HolidayYearAdmin(_ServiceAdmin):
    list_display = ("year", "region", "source", "day_count", "note", "updated_at")
    list_filter = ("region", "source")
    readonly_fields = ("updated_at",)
    inlines = [HolidayDayInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[HolidayYear]:
        return super().get_queryset(request).annotate(n_days=Count("days"))

    @admin.display(description=_("days"), ordering="n_days")
    def day_count(self, obj: HolidayYear) -> int:
        return getattr(obj, "n_days", 0)

    def save_model(self, request: HttpRequest, obj: HolidayYear, form: Any, change: bool) -> None:
        services.holiday_year_save(holiday_year=obj, actor=request.user, at=clock.now())

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        days = formset.save(commit=False)
        at = clock.now()
        for day in formset.deleted_objects:
            services.holiday_day_delete(day=day, actor=request.user, at=at)
        for day in days:
            day.holiday_year = form.instance
            try:
                services.holiday_day_save(day=day, actor=request.user, at=at)
            except DomainError as exc:
                from django.db import transaction

                transaction.set_rollback(True)
                self.message_user(request, exc.message, messages.ERROR)
                return

    def delete_model(self, request: HttpRequest, obj: HolidayYear) -> None:
        services.holiday_year_delete(holiday_year=obj, actor=request.user, at=clock.now())


@admin.register(HolidayDay)
class HolidayDayAdmin(_ServiceAdmin):
    form = HolidayDayForm
    list_display = ("date", "kind", "name_zh_hans", "name_en", "region", "source")
    list_filter = ("kind", "source", "region", "holiday_year__year")
    date_hierarchy = "date"
    readonly_fields = ("source", "region")

    def save_model(self, request: HttpRequest, obj: HolidayDay, form: Any, change: bool) -> None:
        try:
            services.holiday_day_save(day=obj, actor=request.user, at=clock.now())
        except DomainError as exc:
            from django.db import transaction

            transaction.set_rollback(True)
            self.message_user(request, exc.message, messages.ERROR)

    def delete_model(self, request: HttpRequest, obj: HolidayDay) -> None:
        services.holiday_day_delete(day=obj, actor=request.user, at=clock.now())
