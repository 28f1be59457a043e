"""Project-wide pytest setup.

PostgreSQL-only tests carry @pytest.mark.postgres. On SQLite they are skipped, unless
REQUIRE_POSTGRES=1 (set by .ci/run), which turns a missing PostgreSQL into a failure.
"""

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if on_postgres:
        return
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError(
            "REQUIRE_POSTGRES=1 but DATABASE_URL does not select PostgreSQL: "
            "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"
        )
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def now():
    from supportplan.core.testing import T0

    return T0


@pytest.fixture(autouse=True)
def _calendars_seeded(request):
    """Transactional tests flush every table, including the built-in calendars and holiday
    copies that a migration seeds. Put them back before any database test that finds them gone,
    so test order (and xdist's distribution) never changes an answer."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    import importlib

    from django.apps import apps as django_apps

    if not django_apps.get_model("calendars", "Calendar").objects.exists():
        seed = importlib.import_module(
            "supportplan.calendars.migrations.0002_builtin_calendars_and_library_holidays"
        )
        seed.forwards(django_apps, None)
