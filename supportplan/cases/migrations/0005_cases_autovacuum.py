"""Keep the cases table's visibility map current on PostgreSQL.

The console's SLA counts and pager total are an index-only scan of `case_queue_due`; it
reads the heap for every page not marked all-visible, and every case update (the sweep's
flags, a reply) clears its page's mark until the next vacuum. PostgreSQL's default waits
for 20 % of the table to change (200,000 rows at a million cases); measured at 1M cases,
53k active: 28 ms with the map set, 142 ms (28,000 heap pages) with it unset. One per
cent keeps the scan index-only at the cost of more frequent, smaller vacuums. SQLite has
no such setting; the migration does nothing there.
"""

from django.db import migrations

SETTINGS = (
    "autovacuum_vacuum_scale_factor = 0.01, "
    "autovacuum_vacuum_insert_scale_factor = 0.01, "
    "autovacuum_analyze_scale_factor = 0.02"
)


def tune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("cases", "Case")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET ({SETTINGS})")


def untune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("cases", "Case")._meta.db_table)
        names = ", ".join(part.split("=")[0].strip() for part in SETTINGS.split(","))
        schema_editor.execute(f"ALTER TABLE {table} RESET ({names})")


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_system_notes_event_codes")]

    operations = [migrations.RunPython(tune, untune)]
