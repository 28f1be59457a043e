import pytest

from supportplan.core.testing import T0


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SUPPORTPLAN_PAYMENT_PROVIDERS = ["bank_transfer", "test"]
    settings.NOTIFICATIONS_ROBOT_EXTRA_HOSTS = ["127.0.0.1"]


@pytest.fixture
def catalogs(db):
    from supportplan.subscriptions.tests.factories import load_catalogs

    load_catalogs(T0)
