"""Pure billing rules for orders, periods and plan changes (no ORM, no clock).

Every rule here is documented in docs/subscriptions.md; the numbers in that page are the
tests in tests/test_domain.py.

Money: CNY as `Decimal`, rounded once, at the end, half-up to the fen (0.01).
Dates: a subscription period is a range of local dates in Asia/Shanghai,
``[start, end)`` — `end` is the first day no longer paid for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from supportplan.calendars.deadlines import add_months
from supportplan.catalog.domain import Plan

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
FEN = Decimal("0.01")

MONTHLY = "monthly"
ANNUAL = "annual"
TERMS = (MONTHLY, ANNUAL)

# our rule: how long one order may run (cloud stores sell 1-11 months or 1-3 years).
MAX_MONTHS = 11
MAX_YEARS = 3

# The service agreement a customer accepts before paying is data in each provider's catalog
# (catalogs/*.yaml `agreements`, versioned): subscriptions.selectors.current_agreement.


def money(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def local_date(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: business dates need an aware instant")
    return instant.astimezone(BUSINESS_TZ).date()


def local_midnight(day: date) -> datetime:
    """00:00 Asia/Shanghai on `day`, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=BUSINESS_TZ)


@dataclass(frozen=True)
class Duration:
    """What the customer chose: N months (monthly term) or N years (annual term)."""

    term: str
    count: int

    @property
    def months(self) -> int:
        return self.count * 12 if self.term == ANNUAL else self.count

    @property
    def years(self) -> int:
        return self.count if self.term == ANNUAL else 0


class DurationInvalid(ValueError):
    def __init__(self, term: str, count: object, maximum: int | None) -> None:
        self.term, self.count, self.maximum = term, count, maximum
        super().__init__(f"bad duration {count!r} {term}")


def duration(term: str, count: object) -> Duration:
    """Validate a chosen duration (the service turns DurationInvalid into a DomainError)."""
    if term not in TERMS:
        raise DurationInvalid(term, count, None)
    maximum = MAX_YEARS if term == ANNUAL else MAX_MONTHS
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= maximum:
        raise DurationInvalid(term, count, maximum)
    return Duration(term, count)


@dataclass(frozen=True)
class Quote:
    plan_code: str
    term: str
    count: int
    months: int
    monthly_price: Decimal
    amount: Decimal


def quote(plan: Plan, chosen: Duration) -> Quote:
    """Fees are per natural month; a year is 12 months (SPEC §2)."""
    return Quote(
        plan_code=plan.code,
        term=chosen.term,
        count=chosen.count,
        months=chosen.months,
        monthly_price=plan.monthly_price,
        amount=money(plan.monthly_price * chosen.months),
    )


def period_end(start: date, chosen: Duration) -> date:
    return add_months(start, chosen.months)


def quota_years(start: date, end: date) -> list[tuple[date, date]]:
    """Consecutive 12-month quota years covering [start, end) (an N-year order has N)."""
    years: list[tuple[date, date]] = []
    cursor = start
    while cursor < end:
        nxt = min(add_months(cursor, 12), end)
        years.append((cursor, nxt))
        cursor = nxt
    return years


# --------------------------------------------------------------------------- plan changes

UPGRADE = "upgrade"
DOWNGRADE = "downgrade"
SAME = "same"


def change_kind(current: Plan, target: Plan) -> str:
    if target.rank > current.rank:
        return UPGRADE
    if target.rank < current.rank:
        return DOWNGRADE
    return SAME


@dataclass(frozen=True)
class UpgradeCharge:
    """The daily difference for the rest of the period (SPEC §2, our rule).

    period_days:    days in the paid period [period_start, period_end)
    remaining_days: days from the change day (included: the upgrade takes effect at once, so
                    the customer has the new plan on that day) to the period's last day
    daily_difference: (new period price − old period price) / period_days, unrounded
    amount:         daily_difference × remaining_days, rounded half-up to the fen
    """

    old_period_price: Decimal
    new_period_price: Decimal
    period_days: int
    remaining_days: int
    daily_difference: Decimal
    amount: Decimal
    effective_date: date


def upgrade_charge(
    *,
    current: Plan,
    target: Plan,
    months: int,
    period_start: date,
    period_end: date,
    change_date: date,
) -> UpgradeCharge:
    if not period_start <= change_date < period_end:
        raise ValueError("the change day must lie inside the paid period")
    old_price = current.monthly_price * months
    new_price = target.monthly_price * months
    period_days = (period_end - period_start).days
    remaining = (period_end - change_date).days
    # Exact arithmetic: multiply before dividing, round once.
    amount = money((new_price - old_price) * remaining / period_days)
    return UpgradeCharge(
        old_period_price=money(old_price),
        new_period_price=money(new_price),
        period_days=period_days,
        remaining_days=remaining,
        daily_difference=(new_price - old_price) / period_days,
        amount=amount,
        effective_date=change_date,
    )


def last_paid_day(period_end: date) -> date:
    return period_end - timedelta(days=1)
