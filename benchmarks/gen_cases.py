"""Make a PostgreSQL database with 1,000,000 support cases for bench_cases.py.

Tenants, people, catalogs and subscriptions go through the real services; the cases
themselves are streamed with COPY (the services would take hours for a million rows).
Shape: 95 % closed history over the past year, 5 % active (open / in progress / waiting)
with first-response due times spread from two hours ago to a day ahead, so the queue and
the sweep have realistic work. Idempotent per database: it refuses a non-empty one unless
--reset.

Run: .venv/bin/python benchmarks/gen_cases.py [--rows 1000000] [--db bench_cases] [--reset]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--rows", type=int, default=1_000_000)
parser.add_argument("--db", default="bench_cases")
parser.add_argument("--host", default="127.0.0.1:5432")
parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
parser.add_argument("--tenants", type=int, default=200)
args = parser.parse_args()

ADMIN_URL = f"postgres://postgres@{args.host}/postgres"
os.environ["DATABASE_URL"] = f"postgres://postgres@{args.host}/{args.db}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportplan.config.settings.dev")
os.environ.setdefault("SUPPORTPLAN_LOG_LEVEL", "WARNING")

import psycopg  # noqa: E402

with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.db]).fetchone()
    if exists and args.reset:
        admin.execute(f'DROP DATABASE "{args.db}" WITH (FORCE)')
        exists = None
    if not exists:
        admin.execute(f'CREATE DATABASE "{args.db}"')

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from supportplan.accounts.models import RegisteredSystem, Role, Tenant, User  # noqa: E402
from supportplan.cases import routing  # noqa: E402
from supportplan.cases.models import Case  # noqa: E402
from supportplan.catalog.selectors import current_version  # noqa: E402
from supportplan.catalog.services import catalog_load  # noqa: E402
from supportplan.core import clock  # noqa: E402
from supportplan.core.audit import audit_log_bulk  # noqa: E402
from supportplan.core.models import AuditEntry  # noqa: E402
from supportplan.subscriptions import selectors as subs_selectors  # noqa: E402
from supportplan.subscriptions import services as subs  # noqa: E402

BENCH_PASSWORD = "bench-pass-2026"

PLANS = [
    ("partner", "basic", "engineer", ["production_down", "production_abnormal", "system_abnormal", "general_guidance"]),
    ("partner", "dedicated", "expert", ["core_production_down", "production_down", "production_abnormal", "system_abnormal", "general_guidance"]),
    ("partner", "vip", "senior_expert", ["core_production_down", "production_down", "production_abnormal", "system_abnormal", "general_guidance"]),
    ("tencent", "s3", "engineer", ["business_down", "business_abnormal", "usage_question"]),
    ("tencent", "s2", "expert", ["business_down", "business_abnormal", "usage_question"]),
    ("tencent", "s1", "senior_expert", ["business_down", "business_abnormal", "usage_question"]),
]  # fmt: skip
TARGET_MIN = {
    "core_production_down": 10, "production_down": 30, "production_abnormal": 180,
    "system_abnormal": 480, "general_guidance": 960, "business_down": 15,
    "business_abnormal": 30, "usage_question": 60,
}  # fmt: skip


def entitle(tenant: Tenant, provider: str, plan: str, start: datetime) -> None:
    order = subs.order_place(
        tenant=tenant, actor=None, provider_code=provider, plan_code=plan,
        term="annual", count=1, now=start,
    )  # fmt: skip
    subs.order_accept_agreement(
        order=order,
        actor=None,
        version=subs_selectors.current_agreement_version(provider),
        now=start,
    )
    payment = subs.order_pay(order=order, actor=None, method="bank_transfer", now=start)
    subs.payment_succeed(
        payment=payment, idempotency_key=f"bench-{order.pk}", amount=payment.amount,
        actor=None, now=start,
    )  # fmt: skip


def setup_people(now: datetime) -> list[tuple[Tenant, User, str, str, str, list[str]]]:
    """Catalogs and subscriptions through the real services (so the plans are in force the
    way the product makes them); tenants, people and systems in bulk: one INSERT per model,
    one shared password hash (hashing is ~1 s a user here), the same audit entries the
    services would write (through `audit_log_bulk`, so their subscribers still run)."""
    start = now - timedelta(days=2)
    for name in ("partner.yaml", "tencent.yaml"):
        catalog_load(source=settings.CATALOG_DIR / name, actor=None, now=start)
    password = make_password(BENCH_PASSWORD)
    staff = [
        User(
            username=f"bench-{tier}-{i}",
            role=role,
            handler_tier=tier,
            password=password,
            date_joined=start,
            language="zh-hans",
        )  # fmt: skip
        for role, tier, n in (
            (Role.ENGINEER, "engineer", 20),
            (Role.EXPERT, "expert", 10),
            (Role.SENIOR_EXPERT, "senior_expert", 5),
        )
        for i in range(n)
    ]
    staff.append(
        User(
            username="bench-manager",
            role=Role.SUPPORT_MANAGER,
            handler_tier="senior_expert",
            password=password,
            date_joined=start,
            language="zh-hans",
        )  # fmt: skip
    )
    staff = User.objects.bulk_create(staff)
    tenants = Tenant.objects.bulk_create(
        Tenant(
            name=f"Bench tenant {i}",
            slug=f"bench-{i}",
            registered_email=f"it@bench{i}.example",
            report_emails=[],
            language="zh-hans",
            created_at=start,
            technical_contact_name="Ops",
            technical_contact_email=f"ops@bench{i}.example",
        )  # fmt: skip
        for i in range(args.tenants)
    )
    customers = User.objects.bulk_create(
        User(
            username=f"bench-customer-{i}",
            role=Role.CUSTOMER_ADMIN,
            tenant=tenant,
            password=password,
            date_joined=start,
            language="zh-hans",
        )  # fmt: skip
        for i, tenant in enumerate(tenants)
    )
    systems = RegisteredSystem.objects.bulk_create(
        RegisteredSystem(tenant=t, name="Core", classification="core_production") for t in tenants
    )
    entries = [
        AuditEntry(action="user.created", at=start, tenant=u.tenant, target_type="accounts.user",
                   target_id=str(u.pk), data={"role": u.role})
        for u in staff + customers
    ]  # fmt: skip
    for t, s in zip(tenants, systems, strict=True):
        entries.append(AuditEntry(action="tenant.created", at=start, tenant=t,
                                  target_type="accounts.tenant", target_id=str(t.pk),
                                  data={"name": t.name}))  # fmt: skip
        entries.append(AuditEntry(action="tenant.system.registered", at=start, tenant=t,
                                  target_type="accounts.registeredsystem", target_id=str(s.pk),
                                  data={"name": s.name, "classification": s.classification}))  # fmt: skip
    audit_log_bulk(entries)
    result = []
    for i, (tenant, user) in enumerate(zip(tenants, customers, strict=True)):
        provider, plan, tier, severities = PLANS[i % len(PLANS)]
        entitle(tenant, provider, plan, start)
        result.append((tenant, user, provider, plan, tier, severities))
    return result


def rows(n: int, tenants, versions, staff_by_tier, now: datetime):
    rnd = random.Random(2026)
    year = 365 * 86400
    for i in range(n):
        tenant, user, provider, plan, tier, severities = tenants[i % len(tenants)]
        severity = severities[rnd.randrange(len(severities))]
        target = timedelta(minutes=TARGET_MIN[severity])
        active = rnd.random() < 0.05
        if active:
            created = now - timedelta(seconds=rnd.randrange(0, 3 * 3600))
            state = ("open", "open", "in_progress", "waiting_on_customer")[rnd.randrange(4)]
        else:
            created = now - timedelta(seconds=rnd.randrange(3 * 3600, year))
            state = "closed"
        due = created + target
        responded = state != "open"
        if state == "open":
            sla_state = "running"
            frd, warn = due, created + target * 3 / 4
        elif state == "waiting_on_customer":
            sla_state, frd, warn = "paused", None, None
        else:
            sla_state, frd, warn = "met", None, None
        assignee = staff_by_tier[tier][i % len(staff_by_tier[tier])] if active else None
        closed = created + timedelta(hours=6) if state == "closed" else None
        yield (
            tenant.pk, user.pk, "", "", "", provider, "ticket", "", severity,
            f"Case {i}: service degraded", "Generated by benchmarks/gen_cases.py",
            plan, versions[provider], tier, tier, assignee, 0, state, False, "", "{}", "{}",
            "", "", "", "", "7x24", target, frd, warn, sla_state, False, False, False,
            created + timedelta(minutes=5) if responded else None,
            created, closed or created, closed, closed,
        )  # fmt: skip


COLUMNS = (
    "tenant_id, requester_id, system_class, cloud, product, provider, channel, im_platform, "
    "severity, subject, description, plan_code, catalog_version_id, handler_tier, queue, "
    "assignee_id, escalation_level, state, out_of_scope, out_of_scope_code, "
    "out_of_scope_reason, out_of_scope_where, software_code, software_name, software_version, "
    "software_platform, sla_calendar, first_response_target, first_response_due, warn_at, "
    "sla_state, sla_warned, sla_breached, sla_escort, first_responded_at, created_at, "
    "updated_at, resolved_at, closed_at"
)


def main() -> None:
    now = clock.now()
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    if Case.objects.exists() or Tenant.objects.filter(slug="bench-0").exists():
        print(f"database {args.db} already has data; use --reset to start again")
        print(f"cases: {Case.objects.count():,}")
        return
    with transaction.atomic():  # one commit, not one per service call
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        tenants = setup_people(now)
    versions = {p: current_version(p).pk for p in ("partner", "tencent")}
    staff_by_tier = {
        tier: list(User.objects.filter(handler_tier=tier, role=role).values_list("pk", flat=True))
        for tier, role in (
            ("engineer", Role.ENGINEER),
            ("expert", Role.EXPERT),
            ("senior_expert", Role.SENIOR_EXPERT),
        )
    }
    t1 = time.perf_counter()
    with connection.cursor() as cursor:
        # Building the indexes once after the load is several times faster than keeping them
        # up row by row; the foreign keys are right by construction, so their triggers are
        # skipped for the load (session_replication_role; the bench user is a superuser).
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases_case' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexes = cursor.fetchall()
        raw = cursor.connection
        with raw.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET session_replication_role = replica")
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            with cur.copy(f"COPY cases_case ({COLUMNS}) FROM STDIN") as copy:
                for row in rows(args.rows, tenants, versions, staff_by_tier, now):
                    copy.write_row(row)
            cur.execute("SET session_replication_role = DEFAULT")
            t_copy = time.perf_counter()
            cur.execute("SET maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cur.execute(definition)
        raw.commit()
    t_index = time.perf_counter()
    with connection.cursor() as cursor:  # outside the COPY transaction
        # The visibility map must be set, as autovacuum keeps it on a live system: the
        # console's counts are index-only scans, which read the heap for every page not
        # marked all-visible. The load committed asynchronously, and a first VACUUM run
        # right after it marked no page (seen here: 0 of 37,037); vacuum until it has.
        for _attempt in range(10):
            cursor.execute("VACUUM ANALYZE cases_case")
            cursor.execute(
                "SELECT relallvisible::float / GREATEST(relpages, 1) FROM pg_class "
                "WHERE relname = 'cases_case'"
            )
            if cursor.fetchone()[0] > 0.95:
                break
            time.sleep(1)
    off = routing.recount_open_cases()  # the handlers' open-case counters, as routing keeps them
    t2 = time.perf_counter()
    active = Case.objects.filter(state__in=["open", "in_progress", "waiting_on_customer"]).count()
    print(f"database: {args.db}  now: {now:%Y-%m-%d %H:%M:%S}Z")
    print(f"setup (catalogs, {args.tenants} tenants with plans, staff): {t1 - t0:.1f} s")
    print(
        f"COPY {args.rows:,} cases: {t_copy - t1:.1f} s ({args.rows / (t_copy - t1):,.0f} rows/s), "
        f"{len(indexes)} indexes: {t_index - t_copy:.1f} s, vacuum + counters: {t2 - t_index:.1f} s"
    )
    print(f"handlers' open-case counters set: {off}")
    print(f"total: {t2 - t0:.1f} s")
    print(f"active cases: {active:,}")
    size = subprocess.run(
        ["psql", ADMIN_URL, "-tAc", f"SELECT pg_size_pretty(pg_database_size('{args.db}'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"database size: {size}")


if __name__ == "__main__":
    main()
