"""Plan advisor figures (issue 19, part 3): one tenant with 10,000 cases in the last 90 days,
replayed through every plan of the partner catalog. Prints times; asserts nothing.

Builds a fresh database (SQLite file by default, or --db postgres://…): migrations, the
shipped catalogs and a Dedicated customer through the real services, then the cases in bulk
(the advisor only reads them). Times, each the median of --runs:
1. the whole answer: `selectors.plan_advice` (queries + replay + recommendation);
2. the pure part alone: `domain.advise` on facts already read;
3. the staffing plan over the same history.

Run: .venv/bin/python benchmarks/advisor.py [--cases 10000] [--runs 5] [--db URL]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--cases", type=int, default=10_000)
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--db", default="", help="database URL (default: a new SQLite file)")
args = parser.parse_args()

workdir = tempfile.mkdtemp(prefix="advisor-bench-")
os.environ["DATABASE_URL"] = args.db or f"sqlite:///{workdir}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportplan.config.settings.dev")
os.environ.setdefault("SUPPORTPLAN_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0, interactive=False)

from supportplan.accounts.models import Role  # noqa: E402
from supportplan.cases.models import Case, CaseState  # noqa: E402
from supportplan.catalog.selectors import current_catalogs, current_version  # noqa: E402
from supportplan.core import clock  # noqa: E402
from supportplan.core.testing import make_tenant, make_user  # noqa: E402
from supportplan.insights import domain, selectors  # noqa: E402
from supportplan.web.tests.conftest import entitle, load_catalogs  # noqa: E402

load_catalogs()
now = clock.now()
tenant = make_tenant(f"Bench {int(time.time())}", now=now - timedelta(days=200))
admin = make_user(Role.CUSTOMER_ADMIN, tenant=tenant, now=now - timedelta(days=200))
entitle(tenant, "partner", "dedicated", since=timedelta(days=120))

rng = random.Random(19)
severities = [
    ("core_production_down", "core_production", 0.05),
    ("production_down", "production", 0.15),
    ("production_abnormal", "production", 0.25),
    ("system_abnormal", "non_production", 0.30),
    ("general_guidance", "production", 0.25),
]
channels = ["ticket"] * 6 + ["hotline"] * 2 + ["im_group", "phone_line"]
version = current_version("partner").pk
rows = []
for _i in range(args.cases):
    created = now - timedelta(seconds=rng.randrange(1, 89 * 86_400))
    sev, system, _w = rng.choices(severities, weights=[s[2] for s in severities])[0]
    reply = created + timedelta(minutes=rng.expovariate(1 / 45)) if rng.random() > 0.02 else None
    rows.append(
        Case(
            tenant=tenant,
            requester=admin,
            system_class=system,
            provider="partner",
            channel=rng.choice(channels),
            severity=sev,
            subject="bench",
            description="bench",
            plan_code="dedicated",
            catalog_version_id=version,
            handler_tier="expert",
            queue="expert",
            state=CaseState.CLOSED,
            created_at=created,
            updated_at=created,
            first_response_target=timedelta(minutes=30),
            first_responded_at=reply,
        )  # fmt: skip
    )
Case.objects.bulk_create(rows, batch_size=2000)
print(f"database: {os.environ['DATABASE_URL'].split('@')[-1]}; {args.cases} cases of one tenant")


def median_time(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


selectors.plan_advice(tenant, now)  # warm the catalog and calendar caches
whole, result = median_time(lambda: selectors.plan_advice(tenant, now), args.runs)
advice = result.advice  # type: ignore[attr-defined]
print(
    f"plan_advice (queries + replay of 3 plans + advice): {whole * 1000:.0f} ms (median of {args.runs})"
)
print(f"  verdict: {advice.verdict} → {advice.plan.code if advice.plan else '-'}")
for line in advice.evidence("en"):
    print(f"  - {line}")

start, end = now - timedelta(days=90), now
history = selectors.tenant_history(tenant, "partner", start, end)
catalog = current_catalogs()["partner"]
cals = selectors._calendars()
pure, _r = median_time(
    lambda: domain.advise(
        catalog,
        catalog.plan("dedicated"),
        history,
        calendars=cals,
        business_hours=cals("5x8"),
        as_of=now,
    ),  # fmt: skip
    args.runs,
)
print(f"domain.advise alone (pure): {pure * 1000:.0f} ms")
staff, plan = median_time(lambda: selectors.staffing_plan(now, aht_minutes=30), 1)
print(f"staffing_plan (all cases, 3 tiers x 168 hours): {staff * 1000:.0f} ms")
print("under one second" if whole < 1 else "SLOWER THAN ONE SECOND")
if os.environ.get("ADVISOR_PROFILE"):
    import cProfile
    import pstats

    cProfile.run("selectors.plan_advice(tenant, now)", "/tmp/advisor.prof")
    pstats.Stats("/tmp/advisor.prof").sort_stats("cumulative").print_stats(25)
