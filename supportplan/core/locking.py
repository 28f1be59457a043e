"""One way to lock scarce things: rows locked in a fixed (primary key) order, once per transaction."""

from collections.abc import Iterable
from typing import TypeVar

from django.db import models, transaction

M = TypeVar("M", bound=models.Model)


def lock_rows[M: models.Model](model: type[M], ids: Iterable[int]) -> list[M]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_rows must run inside transaction.atomic()")
    ordered = sorted(set(ids))
    return list(model._default_manager.select_for_update().filter(pk__in=ordered).order_by("pk"))
