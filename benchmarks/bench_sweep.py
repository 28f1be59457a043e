"""The SLA sweep draining a backlog (issue 16): how many warning / breach events a second
the real sweep (`cases.sweep.case_sla_sweep`) fires after workers were stopped for a while,
on one worker and on two at once, and that each fired exactly once.

A fresh copy of the gen_cases.py database (CREATE DATABASE … TEMPLATE, default from
`bench_cases`) is the backlog: its open cases were opened over the last three hours, so
every warning and breach due by now is waiting (~35k events at 1M cases). Each run gets its
own copy, so the source database is never changed. Prints events, seconds, events/s, and
the exactly-once check (one audit entry per case and kind).

Run: .venv/bin/python benchmarks/bench_sweep.py [--source bench_cases] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--source", default="bench_cases", help="database made by gen_cases.py")
parser.add_argument("--copy", default="bench_sweep", help="scratch copy (dropped and remade)")
parser.add_argument("--host", default="127.0.0.1:5432")
parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
parser.add_argument("--batch", type=int, default=200)
parser.add_argument("--as-of", help="internal: one worker's sweep instant (ISO)")
parser.add_argument(
    "--profile", type=int, metavar="N", help="one worker under cProfile; print its top N lines"
)
args = parser.parse_args()

ADMIN_URL = f"postgres://postgres@{args.host}/postgres"


def worker() -> None:
    """One sweep worker in its own process (as a task worker would run it)."""
    os.environ["DATABASE_URL"] = f"postgres://postgres@{args.host}/{args.copy}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportplan.config.settings.dev")
    os.environ.setdefault("SUPPORTPLAN_LOG_LEVEL", "WARNING")
    # As a production worker runs: with DEBUG on, Django renders every query's SQL with its
    # parameters for connection.queries (a third of the worker's CPU at 400-row INSERTs).
    os.environ.setdefault("SUPPORTPLAN_DEBUG", "0")
    import django

    django.setup()
    from django.db import connection

    from supportplan.cases.sweep import case_sla_sweep

    assert args.as_of
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    t, c, b = time.perf_counter(), time.process_time(), backend_cpu(backend)
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        result = prof.runcall(
            case_sla_sweep, as_of=datetime.fromisoformat(args.as_of), batch=args.batch
        )
        stats = pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime")
        stats.print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile)
    else:
        result = case_sla_sweep(as_of=datetime.fromisoformat(args.as_of), batch=args.batch)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(
        f"{len(result.warned)} {len(result.breached)} {wall:.3f} {cpu:.3f} {backend_cpu(backend) - b:.3f}"
    )


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) the PostgreSQL backend process has used so far: the
    server runs on this machine, so its /proc entry is readable."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fresh_copy() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.copy}" WITH (FORCE)')
        # A template must have no other sessions; end only those on the source database.
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [args.source],
        )
        admin.execute(f'CREATE DATABASE "{args.copy}" TEMPLATE "{args.source}"')


def check(url: str, as_of: datetime) -> tuple[int, int, int, int]:
    """(warnings, breaches, cases fired twice, cases still due) in the copy."""
    import psycopg

    with psycopg.connect(url) as db:
        counts = dict(
            db.execute(
                "SELECT action, count(*) FROM core_auditentry "
                "WHERE action IN ('case.sla.warning', 'case.sla.breached') GROUP BY action"
            ).fetchall()
        )
        twice = db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM core_auditentry WHERE action IN "
            "('case.sla.warning', 'case.sla.breached') GROUP BY action, target_id "
            "HAVING count(*) > 1) t"
        ).fetchone()[0]
        left = db.execute(
            "SELECT count(*) FROM cases_case WHERE sla_state = 'running' AND "
            "((NOT sla_warned AND warn_at <= %s) OR (NOT sla_breached AND "
            "first_response_due <= %s))",
            [as_of, as_of],
        ).fetchone()[0]
    return counts.get("case.sla.warning", 0), counts.get("case.sla.breached", 0), twice, left


def run(workers: int) -> None:
    fresh_copy()
    url = f"postgres://postgres@{args.host}/{args.copy}"
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("VACUUM ANALYZE cases_case")
    as_of = datetime.now(UTC)
    cmd = [sys.executable, __file__, "--copy", args.copy, "--host", args.host]
    cmd += ["--batch", str(args.batch), "--as-of", as_of.isoformat()]
    if args.profile:
        cmd += ["--profile", str(args.profile)]
    t = time.perf_counter()
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(workers)
    ]
    outs = [p.communicate()[0].split() for p in procs]
    elapsed = time.perf_counter() - t
    warned, breached, twice, left = check(url, as_of)
    events = warned + breached
    per_worker = ", ".join(f"{int(o[0]) + int(o[1]):,} in {float(o[2]):.1f} s" for o in outs)
    python_cpu = sum(float(o[3]) for o in outs)
    pg_cpu = sum(float(o[4]) for o in outs)
    print(
        f"{workers} worker(s): {events:,} events (warnings {warned:,}, breaches {breached:,}) "
        f"in {elapsed:.1f} s = {events / elapsed:,.0f} events/s  [{per_worker}]"
    )
    # CPU a event, the workers' Python and their PostgreSQL backends: what the wall-clock
    # figure would be on an idle core, whatever the load on this shared machine.
    print(
        f"   CPU an event: python {python_cpu / events * 1e6:,.0f} us + postgres backend "
        f"{pg_cpu / events * 1e6:,.0f} us = {(python_cpu + pg_cpu) / events * 1e6:,.0f} us "
        f"(= {events / (python_cpu + pg_cpu):,.0f} events per CPU-second)"
    )
    print(f"   exactly once: fired twice {twice}, still due {left}")


def main() -> None:
    if args.as_of:
        worker()
        return
    print(f"== SLA sweep draining a backlog: copies of {args.source}, batch {args.batch}")
    for n in args.workers:
        run(n)


if __name__ == "__main__":
    main()
