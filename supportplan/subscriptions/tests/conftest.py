import pytest
from django.utils import translation

from .factories import load_catalogs


@pytest.fixture(autouse=True)
def _payment_providers(settings):
    # The test gateway is off unless settings enable it (DEBUG, tests, demo).
    settings.SUPPORTPLAN_PAYMENT_PROVIDERS = ["bank_transfer", "test"]


@pytest.fixture
def catalogs(db):
    load_catalogs()


@pytest.fixture(autouse=True)
def _english():
    # Service-level refusals render in the active language; these tests read English.
    with translation.override("en"):
        yield
