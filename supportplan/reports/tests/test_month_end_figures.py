"""The service summary of a past month shows the figures as they stood at the month's end
(Asia/Shanghai): quota used by then, and the value-added services delivered within it.

Bookings go through the real bookings services (reserve -> confirm -> deliver writes the
quota ledger); the report is generated weeks after the month and again later still, after
more bookings, and shows the same numbers both times."""

from datetime import UTC, date, datetime

import pytest
from django.utils import translation

from supportplan.bookings import services as bookings
from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.core.testing import make_user
from supportplan.reports import collector, services
from supportplan.reports.builder import build_report
from supportplan.reports.data import CloudData, Entitlement, Month, ReportData
from supportplan.reports.render import render_html
from supportplan.subscriptions import selectors as subscriptions

SEP, OCT, NOV = Month(2026, 9), Month(2026, 10), Month(2026, 11)
GENERATED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 2026-11-20 10:00 Asia/Shanghai
REGENERATED = datetime(2026, 12, 15, 2, 0, tzinfo=UTC)

ESCORT = {"zh-hans": "云上保障护航服务（基础版）", "en": "Escort service (basic)"}
CHECK = {"zh-hans": "可用性检查", "en": "Availability check"}
MONITORING = {"zh-hans": "资源监控与优化", "en": "Resource monitoring and optimisation"}
DAYS = {"zh-hans": "天", "en": "days"}
TIMES = {"zh-hans": "次", "en": "times"}


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+08:00")


@pytest.fixture
def vip(db, settings, tmp_path):
    """A partner VIP customer on an annual plan from 2026-01-01 (quota: 1 availability
    check, 1 monitoring & optimisation, 3 escort days) with this booking history:

    - escort 2026-09-20, delivered 2026-09-21 (before October);
    - availability check 2026-10-20, delivered that day (inside October);
    - monitoring requested and cancelled in October (released: not used);
    - escort 2026-10-31, booked in October, delivered 2026-11-02 (booked by October's end,
      delivered in November);
    - monitoring 2026-11-20, requested 2026-11-05 and delivered 2026-11-20 (after October);
    - escort 2026-12-01, requested 2026-11-10 (after October).
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SUPPORTPLAN_PAYMENT_PROVIDERS = ["bank_transfer", "test"]
    load_catalogs()
    tenant, _user, _systems = customer("partner", "vip")
    services.data_source_add(
        tenant=tenant, kind="demo", settings={"seed": tenant.slug, "instances": 2}, now=GENERATED
    )
    staff = make_user("support_manager")

    def book(service, start, requested, days=None):
        return bookings.booking_request(
            tenant=tenant, actor=None, service_code=service, start_date=start, days=days,
            event_kind="promotion", event_description="Autumn sale", now=shanghai(requested),
        )  # fmt: skip

    def staffed(booking, confirmed, delivered=None):
        booking = bookings.booking_confirm(
            booking=booking, actor=staff, team=[staff], now=shanghai(confirmed)
        )
        if delivered:
            booking = bookings.booking_deliver(
                booking=booking, actor=staff, notes="Done.", now=shanghai(delivered)
            )
        return booking

    staffed(
        book("escort", date(2026, 9, 20), "2026-09-01T10:00", days=1),
        "2026-09-02T10:00",
        "2026-09-21T09:00",
    )
    staffed(
        book("availability_check", date(2026, 10, 20), "2026-10-08T10:00"),
        "2026-10-09T10:00",
        "2026-10-20T17:00",
    )
    bookings.booking_cancel(
        booking=book("monitoring_optimisation", date(2026, 10, 28), "2026-10-12T10:00"),
        actor=None,
        now=shanghai("2026-10-14T10:00"),
    )
    staffed(
        book("escort", date(2026, 10, 31), "2026-10-12T11:00", days=1),
        "2026-10-13T10:00",
        "2026-11-02T09:00",
    )
    staffed(
        book("monitoring_optimisation", date(2026, 11, 20), "2026-11-05T10:00"),
        "2026-11-06T10:00",
        "2026-11-20T08:00",  # 00:00 UTC, before the report is generated at 10:00
    )
    book("escort", date(2026, 12, 1), "2026-11-10T10:00", days=1)
    return tenant


def platform(tenant, month):
    return collector.collect_platform(tenant, month, collector.report_plan(tenant, month))


def test_october_shows_quota_used_by_the_end_of_october(vip):
    assert platform(vip, OCT).entitlements == (
        Entitlement(CHECK, 1, 1, TIMES),
        # September's day and the day booked in October for the 31st; not November's
        Entitlement(ESCORT, 2, 3, DAYS),
        # October's request was cancelled; November's delivery is not October's
        Entitlement(MONITORING, 0, 1, TIMES),
    )
    # what the ledger says today (the figures the report used to show)
    now = {
        b.service_code: b.used + b.reserved
        for b in subscriptions.quota_balances(vip, "partner", GENERATED)
    }
    assert now == {"availability_check": 1, "escort": 3, "monitoring_optimisation": 1}


def test_month_end_is_the_last_instant_of_the_month_in_shanghai(vip):
    last = shanghai("2026-10-31T23:59:59.999999")
    before = {
        b.service_code: b.used + b.reserved
        for b in subscriptions.quota_balances_as_of(vip, "partner", last)
    }
    assert before == {"availability_check": 1, "escort": 2, "monitoring_optimisation": 0}
    sept = {
        b.service_code: (b.used, b.reserved)
        for b in subscriptions.quota_balances_as_of(vip, "partner", shanghai("2026-09-30T23:59:59"))
    }
    assert sept == {
        "availability_check": (0, 0),
        "escort": (1, 0),
        "monitoring_optimisation": (0, 0),
    }
    with pytest.raises(ValueError):
        subscriptions.quota_balances_as_of(vip, "partner", datetime(2026, 10, 31))


def test_delivered_in_the_month_means_delivery_recorded_within_it(vip):
    def delivered(month):
        return [(s.name["en"], s.starts_on, s.ends_on) for s in platform(vip, month).services]

    assert delivered(SEP) == [("Escort service (basic)", date(2026, 9, 20), date(2026, 9, 20))]
    assert delivered(OCT) == [("Availability check", date(2026, 10, 20), date(2026, 10, 20))]
    # the escort of 31 October was delivered on 2 November
    assert delivered(NOV) == [
        ("Escort service (basic)", date(2026, 10, 31), date(2026, 10, 31)),
        ("Resource monitoring and optimisation", date(2026, 11, 20), date(2026, 11, 20)),
    ]


def test_regenerating_later_shows_the_same_october(vip):
    first = services.report_generate(tenant=vip, month=OCT, now=GENERATED)
    staff = make_user("support_manager")
    # more happens after the first run: December's escort is confirmed and delivered
    [december] = vip.bookings.filter(start_date=date(2026, 12, 1))
    bookings.booking_confirm(
        booking=december, actor=staff, team=[staff], now=shanghai("2026-11-11T10:00")
    )
    bookings.booking_deliver(
        booking=december, actor=staff, notes="Done.", now=shanghai("2026-12-02T10:00")
    )
    again = services.report_generate(tenant=vip, month=OCT, now=REGENERATED, force=True)
    assert first.content is not None and again.content is not None
    for content in (first.content, again.content):
        p = content.data.platform
        assert [(e.name["en"], e.used, e.total) for e in p.entitlements] == [
            ("Availability check", 1, 1),
            ("Escort service (basic)", 2, 3),
            ("Resource monitoring and optimisation", 0, 1),
        ]
        assert [s.name["en"] for s in p.services] == ["Availability check"]
    assert again.content.data.platform == first.content.data.platform


@pytest.mark.parametrize(
    "language,rows",
    [
        (
            "en",
            [
                "Availability check 1 / 1 times",
                "Escort service (basic) 2 / 3 days",
                "Resource monitoring and optimisation 0 / 1 times",
            ],
        ),
        (
            "zh-hans",
            [
                "可用性检查 1 / 1 次",
                "云上保障护航服务（基础版） 2 / 3 天",
                "资源监控与优化 0 / 1 次",
            ],
        ),
    ],
)
def test_entitlements_read_in_the_readers_language(vip, language, rows):
    content = build_report(
        ReportData(
            tenant_name=vip.name, year=2026, month=10, start=OCT.start, end=OCT.end,
            platform=platform(vip, OCT), cloud=CloudData(),
        )
    )  # fmt: skip
    with translation.override(language):
        ctx = render_html(content, language=language, generated_at=GENERATED, deadline=None).context
    assert [
        f"{e['name']} {e['used']} / {e['total']} {e['unit']}" for e in ctx["entitlements"]
    ] == rows
    assert "escort" not in " ".join(rows) and "natural_days" not in " ".join(rows)
