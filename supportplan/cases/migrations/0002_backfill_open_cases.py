from django.db import migrations
from django.db.models import Count

ACTIVE = ["open", "in_progress", "waiting_on_customer"]


def backfill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    User = apps.get_model("accounts", "User")
    loads = (
        Case.objects.filter(state__in=ACTIVE, assignee__isnull=False)
        .order_by()
        .values_list("assignee_id")
        .annotate(n=Count("*"))
    )
    for user_id, n in loads:
        User.objects.filter(pk=user_id).update(open_cases=n)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_open_cases"),
        ("cases", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
