"""A worker freezes its long-lived objects once, after its first report (issue 16): the
collector stops walking them, reference counting still frees them."""

import gc
import weakref

import pytest

from supportplan.core import heap


@pytest.fixture(autouse=True)
def _unfrozen_after():
    yield
    gc.unfreeze()  # the rest of the test run collects as before


class Thing:
    pass


def test_settle_freezes_what_is_alive_once_per_process(monkeypatch):
    monkeypatch.setattr(heap, "_settled", False)
    gc.unfreeze()
    kept = [[k] for k in range(1000)]  # tracked by the collector
    assert gc.get_freeze_count() == 0
    assert heap.settle() is True
    frozen = gc.get_freeze_count()
    assert frozen >= len(kept)
    more = [[k] for k in range(1000)]
    assert heap.settle() is False  # the second time does nothing
    assert gc.get_freeze_count() == frozen
    assert len(more) == 1000


def test_a_frozen_object_is_still_freed_when_its_last_reference_goes(monkeypatch):
    monkeypatch.setattr(heap, "_settled", False)
    gc.unfreeze()
    thing = Thing()
    gone = weakref.ref(thing)
    heap.settle()
    del thing
    assert gone() is None
