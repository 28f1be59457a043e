"""Billing rules as tables: prices, periods, quota years, the upgrade's daily difference."""

from datetime import date
from decimal import Decimal

import pytest

from supportplan.catalog.files import read_catalog_file
from supportplan.subscriptions import domain

from .factories import CATALOG_DIR

PARTNER = read_catalog_file(CATALOG_DIR / "partner.yaml")[1]
TENCENT = read_catalog_file(CATALOG_DIR / "tencent.yaml")[1]


@pytest.mark.parametrize(
    "plan,term,count,amount",
    [
        ("basic", "monthly", 1, "480.00"),
        ("basic", "annual", 1, "5760.00"),
        ("dedicated", "monthly", 3, "78000.00"),
        ("dedicated", "annual", 1, "312000.00"),
        ("vip", "annual", 1, "600000.00"),
        ("vip", "annual", 2, "1200000.00"),
        ("vip", "monthly", 11, "550000.00"),
    ],
)
def test_partner_prices_are_monthly_price_times_months(plan, term, count, amount):
    q = domain.quote(PARTNER.plan(plan), domain.duration(term, count))
    assert q.amount == Decimal(amount)


@pytest.mark.parametrize(
    "term,count",
    [
        ("monthly", 0),
        ("monthly", 12),
        ("annual", 4),
        ("annual", 1.5),
        ("weekly", 1),
        ("annual", True),
    ],
)
def test_durations_outside_the_offer_are_refused(term, count):
    with pytest.raises(domain.DurationInvalid):
        domain.duration(term, count)


@pytest.mark.parametrize(
    "start,term,count,end",
    [
        (date(2026, 11, 23), "monthly", 1, date(2026, 12, 23)),
        (date(2026, 1, 31), "monthly", 1, date(2026, 2, 28)),
        (date(2026, 11, 23), "annual", 1, date(2027, 11, 23)),
        (date(2028, 2, 29), "annual", 1, date(2029, 2, 28)),
    ],
)
def test_period_end(start, term, count, end):
    assert domain.period_end(start, domain.duration(term, count)) == end


def test_an_n_year_order_has_n_quota_years():
    assert domain.quota_years(date(2026, 11, 23), date(2028, 11, 23)) == [
        (date(2026, 11, 23), date(2027, 11, 23)),
        (date(2027, 11, 23), date(2028, 11, 23)),
    ]


@pytest.mark.parametrize(
    "old,new,months,start,end,change,remaining,days,amount",
    [
        # Dedicated → VIP, annual from 2026-01-01 (365 days), upgraded Mon 2026-11-23:
        # 288 000 × 39 / 365 = 30 772.6027… → 30 772.60
        (
            "dedicated",
            "vip",
            12,
            date(2026, 1, 1),
            date(2027, 1, 1),
            date(2026, 11, 23),
            39,
            365,
            "30772.60",
        ),
        # upgraded on the first day: the whole difference
        (
            "dedicated",
            "vip",
            12,
            date(2026, 1, 1),
            date(2027, 1, 1),
            date(2026, 1, 1),
            365,
            365,
            "288000.00",
        ),
        # upgraded on the last day: one day's difference, 288 000 / 365 = 789.041… → 789.04
        (
            "dedicated",
            "vip",
            12,
            date(2026, 1, 1),
            date(2027, 1, 1),
            date(2026, 12, 31),
            1,
            365,
            "789.04",
        ),
        # Basic → Dedicated monthly, 2026-11-23 → 12-23 (30 days), upgraded 12-08: 25 520 × 15 / 30
        (
            "basic",
            "dedicated",
            1,
            date(2026, 11, 23),
            date(2026, 12, 23),
            date(2026, 12, 8),
            15,
            30,
            "12760.00",
        ),
        # a leap year has 366 days: 288 000 × 100 / 366 = 78 688.524… → 78 688.52
        (
            "dedicated",
            "vip",
            12,
            date(2028, 1, 1),
            date(2029, 1, 1),
            date(2028, 9, 23),
            100,
            366,
            "78688.52",
        ),
    ],
)
def test_upgrade_costs_the_daily_difference_for_the_rest_of_the_period(
    old, new, months, start, end, change, remaining, days, amount
):
    charge = domain.upgrade_charge(
        current=PARTNER.plan(old),
        target=PARTNER.plan(new),
        months=months,
        period_start=start,
        period_end=end,
        change_date=change,
    )
    assert (charge.remaining_days, charge.period_days, charge.amount) == (
        remaining,
        days,
        Decimal(amount),
    )


def test_change_kind_follows_the_catalog_rank():
    assert domain.change_kind(PARTNER.plan("basic"), PARTNER.plan("vip")) == domain.UPGRADE
    assert domain.change_kind(TENCENT.plan("s1"), TENCENT.plan("s3")) == domain.DOWNGRADE
    assert domain.change_kind(TENCENT.plan("s2"), TENCENT.plan("s2")) == domain.SAME
