"""Case figures on PostgreSQL (issue 4). Prints numbers; asserts nothing about speed.

Needs the database made by gen_cases.py (1,000,000 cases; default `bench_cases`).

1. agent queue: first 50 active cases by SLA due time for staff of each tier (the query the
   queue endpoint runs, ORM included): p50 / p95 over many runs, and its plan;
2. SLA sweep: find every case due to warn or breach at now (both partial-index scans);
2b. the console queue page (HTML, the whole view and template) for a manager and an expert;
3. opening a case over HTTP under 8 concurrent clients against the production server
   (gunicorn -c supportplan/config/gunicorn.py supportplan.config.wsgi, supportplan.config.settings.prod from env vars), side by
   side with a bare endpoint of the same stack doing one INSERT (the ceiling): throughput,
   p50 / p99 and the ratio.

Run: .venv/bin/python benchmarks/bench_cases.py [--db bench_cases] [--seconds 20] [--clients 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--db", default="bench_cases")
parser.add_argument("--host", default="127.0.0.1:5432")
parser.add_argument("--runs", type=int, default=300)
parser.add_argument("--seconds", type=float, default=20.0)
parser.add_argument("--clients", type=int, default=8)
parser.add_argument("--port", type=int, default=8765)
parser.add_argument("--skip-http", action="store_true")
parser.add_argument("--only-console", action="store_true", help="only the console queue page")
parser.add_argument("--only-sweep", action="store_true", help="only the sweep's due-case lookups")
args = parser.parse_args()

DATABASE_URL = f"postgres://postgres@{args.host}/{args.db}"
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportplan.config.settings.dev")
os.environ.setdefault("SUPPORTPLAN_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from bench_people import openers  # noqa: E402
from django.db import connection  # noqa: E402
from http_load import load, pct, prod_env, server_shape, start_gunicorn, stop  # noqa: E402

from supportplan.accounts.models import User  # noqa: E402
from supportplan.cases import selectors  # noqa: E402
from supportplan.cases.models import Case, SlaState  # noqa: E402
from supportplan.core import clock  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def bench_queue() -> None:
    print(f"== agent queue (first {selectors.QUEUE_SIZE} by SLA due), {args.runs} runs each")
    for username in (
        "bench-engineer-0",
        "bench-expert-0",
        "bench-senior_expert-0",
        "bench-manager",
    ):
        user = User.objects.get(username=username)
        for _ in range(20):
            list(selectors.agent_queue(user))
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            rows = list(selectors.agent_queue(user))
            times.append(time.perf_counter() - t)
        print(
            f"{username:24} rows={len(rows):3}  p50={ms(pct(times, 50))}  "
            f"p95={ms(pct(times, 95))}  max={ms(max(times))}"
        )
    qs = selectors.agent_queue(User.objects.get(username="bench-expert-0"))
    with connection.cursor() as cur:
        sql, params = qs.query.sql_with_params()
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [r[0] for r in cur.fetchall()]
    print("plan (expert):")
    for line in plan[:8]:
        print("   ", line)


def _warn_q(now):  # type: ignore[no-untyped-def]
    from django.db.models import Q

    return Q(sla_state=SlaState.RUNNING, sla_warned=False, warn_at__lte=now)


def _breach_q(now):  # type: ignore[no-untyped-def]
    from django.db.models import Q

    return Q(sla_state=SlaState.RUNNING, sla_breached=False, first_response_due__lte=now)


def bench_sweep() -> None:
    now = clock.now()
    warn = Case.objects.filter(sla_state=SlaState.RUNNING, sla_warned=False, warn_at__lte=now)
    breach = Case.objects.filter(
        sla_state=SlaState.RUNNING, sla_breached=False, first_response_due__lte=now
    )
    runs = max(20, args.runs // 10)
    times = []
    for _ in range(runs + 3):
        t = time.perf_counter()
        w = list(warn.values_list("pk", flat=True))
        b = list(breach.values_list("pk", flat=True))
        times.append(time.perf_counter() - t)
    times = times[3:]
    print(f"== SLA sweep: find every case due to warn or breach at now, {runs} runs")
    print(
        f"due to warn: {len(w):,}  due to breach: {len(b):,}  "
        f"p50={ms(pct(times, 50))}  p95={ms(pct(times, 95))}  max={ms(max(times))}"
    )
    # What a sweep worker actually runs: claim the next batch (200, oldest first, FOR UPDATE
    # SKIP LOCKED; warnings marked in the same UPDATE), in a transaction rolled back so
    # nothing changes.
    from django.db import transaction

    from supportplan.cases.sweep import _claim

    claims = []
    for _ in range(runs + 3):
        t = time.perf_counter()
        with transaction.atomic():
            got = len(_claim("warn", now, 200))
            got += len(_claim("breach", now, 200))
            transaction.set_rollback(True)
        claims.append(time.perf_counter() - t)
    claims = claims[3:]
    print(
        f"sweep claim (next 200 warnings + 200 breaches, locked): rows={got}  "
        f"p50={ms(pct(claims, 50))}  p95={ms(pct(claims, 95))}  max={ms(max(claims))}"
    )
    with connection.cursor() as cur:
        sql, params = breach.values_list("pk", flat=True).query.sql_with_params()
        cur.execute("EXPLAIN " + sql, params)
        print("plan (breach):", " / ".join(r[0].strip() for r in cur.fetchall()[:3]))


def bench_console() -> None:
    """The console queue page (HTML) as a person gets it: the whole view, template included,
    through Django's test client (no network), for a manager (every queue) and an expert."""
    from django.test import Client
    from django.test.utils import override_settings

    active = Case.objects.filter(state__in=["open", "in_progress", "waiting_on_customer"]).count()
    runs = max(20, args.runs // 5)
    print(f"== console queue page (GET /console/, HTML), {active:,} active cases, {runs} runs each")
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        for username, query in (
            ("bench-manager", ""),
            ("bench-expert-0", ""),
            ("bench-manager", "?page=3"),
            ("bench-manager", "?severity=business_down"),
        ):
            client = Client()
            client.force_login(User.objects.get(username=username))
            for _ in range(5):
                res = client.get("/console/" + query)
            assert res.status_code == 200, res.status_code
            times, cpu = [], []
            for _ in range(runs):
                t, c = time.perf_counter(), time.process_time()
                res = client.get("/console/" + query)
                times.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            label = f"{username} {query or '(page 1)'}"
            print(
                f"{label:40} p50={ms(pct(times, 50))}  p95={ms(pct(times, 95))}  "
                f"max={ms(max(times))}  python cpu p50={ms(pct(cpu, 50))}  "
                f"bytes={len(res.content):,}"
            )


# --------------------------------------------------------------------------- HTTP


def bench_http() -> None:
    people = [(f"Token {key}", body) for key, body in openers()]
    base = f"http://127.0.0.1:{args.port}"
    proc = start_gunicorn(
        Path(sys.executable).parent / "gunicorn",
        "supportplan.config.wsgi",
        args.port,
        prod_env(DATABASE_URL, SUPPORTPLAN_BENCH_CEILING="1"),
        ROOT / "var" / "bench_cases_gunicorn.log",
        probe="/healthz",
    )
    try:
        print(
            f"== HTTP under {args.clients} concurrent clients, gunicorn -c "
            f"supportplan/config/gunicorn.py ({server_shape()}), supportplan.config.settings.prod"
        )
        load(base, "/api/cases/", 3, args.clients, people)  # warm up both paths
        load(base, "/api/bench/ceiling/", 3, args.clients, people)
        results: dict[str, list[dict]] = {"open": [], "ceiling": []}
        half = args.seconds / 2
        for _ in range(2):  # interleaved, so drift hits both alike
            results["open"].append(load(base, "/api/cases/", half, args.clients, people))
            results["ceiling"].append(load(base, "/api/bench/ceiling/", half, args.clients, people))
    finally:
        stop(proc)

    def merged(name: str) -> dict:
        rs = results[name]
        return {
            "rps": statistics.mean(r["rps"] for r in rs),
            "p50": statistics.mean(r["p50"] for r in rs),
            "p99": max(r["p99"] for r in rs),
            "n": sum(r["n"] for r in rs),
            "errors": sum(r["errors"] for r in rs),
        }

    op, ce = merged("open"), merged("ceiling")
    for label, r in (("open a case (POST /api/cases/)", op), ("ceiling (one INSERT)", ce)):
        print(
            f"{label:34} {r['rps']:7.1f} req/s  p50={ms(r['p50'])}  p99={ms(r['p99'])}  "
            f"requests={r['n']}  errors={r['errors']}"
        )
    print(
        f"open / ceiling throughput: {op['rps'] / ce['rps'] * 100:.0f} %  "
        "(the peer comparison is bench_peer_helpdesk.py)"
    )


def main() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # apps added since gen_cases.py ran
    total = Case.objects.count()
    print(f"database {args.db}: {total:,} cases")
    if not args.only_console:
        if not args.only_sweep:
            bench_queue()
        bench_sweep()
        if args.only_sweep:
            return
    bench_console()
    if args.only_console:
        return
    if not args.skip_http:
        bench_http()


if __name__ == "__main__":
    main()
