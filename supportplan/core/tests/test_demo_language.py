"""Issue 15 item 25: the demo writes each tenant's texts in the tenant's language only, so a page
that shows the wrong language stands out. A zh-hans tenant's case titles are Chinese without
Latin words; an English tenant's texts hold no Chinese at all."""

from __future__ import annotations

import importlib
import re

import pytest

from supportplan import demo
from supportplan.core.testing import T0

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

STEPS = [
    "supportplan.catalog.demo",
    "supportplan.calendars.demo",
    "supportplan.subscriptions.demo",
    "supportplan.cases.demo",
    "supportplan.bookings.demo",
]


@pytest.fixture
def seeded(settings):
    settings.SUPPORTPLAN_PAYMENT_PROVIDERS = ["bank_transfer", "test"]
    for name in STEPS:
        importlib.import_module(name)
    from supportplan.reports import demo as reports_demo

    ctx = demo.DemoContext(now=T0)
    wanted = {"seed_people", "load_seed_catalogs", "calendars", "subscribe_demo_tenants",
              "seed_cases", "book_demo_services"}  # fmt: skip
    for step in demo.STEPS:
        if step.__name__ in wanted:
            step(ctx)
    reports_demo.seed_last_month_activity(ctx)
    return ctx


def _texts(tenant) -> dict[str, list[str]]:
    from supportplan.bookings.models import Booking
    from supportplan.cases.models import Case

    cases = list(Case.objects.for_tenant(tenant))
    # what people wrote (system notes are codes the page translates, not demo text)
    comments = [
        c.body for case in cases for c in case.communications.exclude(kind="system") if c.body
    ]
    return {
        "titles": [c.subject for c in cases],
        "descriptions": [c.description for c in cases],
        "comments": comments,
        "bookings": [
            b.event_description
            for b in Booking.objects.filter(tenant=tenant)
            if b.event_description
        ],
        "tenant": [
            tenant.name,
            *[s.name for s in tenant.systems.all()],
            tenant.technical_contact_name,
        ],
    }


def test_every_demo_tenant_reads_only_its_own_language(seeded):
    seen = {}
    for slug, tenant in seeded.tenants.items():
        texts = _texts(tenant)
        seen[slug] = {k: len(v) for k, v in texts.items()}
        everything = [t for values in texts.values() for t in values]
        if tenant.language == "en":
            assert [t for t in everything if CJK.search(t)] == [], slug
        else:
            assert [t for t in texts["titles"] if LATIN_WORD.search(t)] == [], slug
            assert [t for t in everything if not CJK.search(t)] == [], slug
    # the demo really wrote something to check, for both languages
    assert seen["huaxia"]["titles"] >= 4 and seen["jinhai"]["titles"] >= 4
    assert seen["huaxia"]["comments"] >= 3 and seen["jinhai"]["comments"] >= 3
    assert seen["huaxia"]["bookings"] >= 1 and seen["jinhai"]["bookings"] >= 1
