"""The shared cache (settings.CACHES, DatabaseCache) that allauth's rate limits count in:
created here so `migrate` on a fresh clone is enough (createcachetable is idempotent)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("signin", "0001_signin_lock_mfa_requirement_sso")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
