"""The one place that reads the wall clock.

Everything else takes `now` / `as_of` as an argument, so jobs can be replayed for any
instant and tests never need to freeze time.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def to_business(instant: datetime) -> datetime:
    """The same instant seen on the Asia/Shanghai wall clock."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: business time needs an aware instant")
    return instant.astimezone(BUSINESS_TZ)
