"""A fresh database starts with the built-in calendars (7x24, 5x8) and a copy of the
chinesecalendar library's holidays, so every process can compute due times at once.
Later library versions are copied with `supportplan calendar import-library`."""

import uuid

from django.db import migrations


def forwards(apps, schema_editor):
    from supportplan.calendars import seed

    Calendar = apps.get_model("calendars", "Calendar")
    WorkingWindow = apps.get_model("calendars", "WorkingWindow")
    HolidayYear = apps.get_model("calendars", "HolidayYear")
    HolidayDay = apps.get_model("calendars", "HolidayDay")
    CalendarRevision = apps.get_model("calendars", "CalendarRevision")
    from supportplan.core import clock

    at = clock.now()
    seed.ensure_builtins(Calendar, WorkingWindow)
    seed.import_library(HolidayYear, HolidayDay, at=at)
    CalendarRevision.objects.update_or_create(
        pk=1, defaults={"token": uuid.uuid4().hex, "changed_at": at}
    )


class Migration(migrations.Migration):
    dependencies = [("calendars", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
