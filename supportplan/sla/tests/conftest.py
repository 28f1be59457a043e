import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """Messages asserted here are the English ones; tests that check Chinese ask for it
    explicitly (--lang zh-hans, Accept-Language). Also undoes a language another test
    left active."""
    with translation.override("en"):
        yield
