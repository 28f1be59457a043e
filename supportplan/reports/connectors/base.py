"""The connector interface and the registry of connector kinds."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from ..data import CloudData, Month

TREND_MONTHS = 6  # spend trend: this month and the five before it


class Connector(ABC):
    kind: ClassVar[str]

    @abstractmethod
    def collect(self, month: Month) -> CloudData:
        """Everything this source knows about `month` (spend for the trend months too)."""


_KINDS: dict[str, Callable[..., Connector]] = {}


def register(kind: str) -> Callable[[type[Connector]], type[Connector]]:
    def deco(cls: type[Connector]) -> type[Connector]:
        cls.kind = kind
        _KINDS[kind] = cls
        return cls

    return deco


def connector_for(kind: str, settings: dict[str, Any], secret: dict[str, Any]) -> Connector:
    """Build a connector from a stored configuration (settings plain, secret decrypted)."""
    from . import demo, files, huawei, tencent  # noqa: F401  (register the kinds)

    try:
        factory = _KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown connector kind {kind!r}; known: {sorted(_KINDS)}") from None
    return factory(**settings, **secret)


class Backoff:
    """Exponential backoff for throttled calls: base * 2**n seconds, capped.

    Tests pass base=0.01 so that retries are real but quick.
    """

    def __init__(self, base: float = 1.0, cap: float = 30.0, attempts: int = 5) -> None:
        self.base, self.cap, self.attempts = base, cap, attempts

    def delay(self, n: int) -> float:
        return min(self.cap, self.base * (2**n))

    def sleep(self, n: int) -> None:
        time.sleep(self.delay(n))
