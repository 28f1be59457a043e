"""System notes written before they stored an event code get one, read from their English body,
so every thread renders them in the reader's language (cases.texts)."""

from django.db import migrations

from supportplan.cases.texts import legacy_event


def store_codes(apps, schema_editor):
    Communication = apps.get_model("cases", "Communication")
    rows = Communication.objects.filter(kind="system").only("pk", "body", "data")
    changed = []
    for row in rows.iterator(chunk_size=2000):
        data = row.data or {}
        if data.get("event"):
            continue
        found = legacy_event(row.body)
        if found is None:
            continue
        event, params = found
        row.data = {**params, **data, "event": event}
        changed.append(row)
        if len(changed) >= 2000:
            Communication.objects.bulk_update(changed, ["data"])
            changed = []
    if changed:
        Communication.objects.bulk_update(changed, ["data"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_case_queue_due_covers_console")]

    operations = [migrations.RunPython(store_codes, migrations.RunPython.noop)]
