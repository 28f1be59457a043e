"""Where the time of opening a case goes, in one process (issue 4). Prints figures only.

Drives the WSGI handler in-process (no server, no network) with the production settings
against the database gen_cases.py made: CPU time and SQL statements per request for
POST /api/cases/ and for the ceiling endpoint (one INSERT), then a cProfile of the opens,
so a change to the open path can be measured before the HTTP benchmark.

With --floor it also prints the floor: the SQL one opening sends, replayed on the raw psycopg
connection (no ORM, no DRF) in the same transaction, beside the ceiling's own SQL and the
serializer work every opening needs. However lean the Python around them, an opening costs
at least that, which bounds the open/ceiling ratio from above.

Run: .venv/bin/python benchmarks/profile_open.py [--db bench_cases] [--n 400] [--top 30]
     [--floor]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--db", default="bench_cases")
parser.add_argument("--host", default="127.0.0.1:5432")
parser.add_argument("--n", type=int, default=400)
parser.add_argument("--top", type=int, default=30)
parser.add_argument("--sql", action="store_true", help="print the statements of one opening")
parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
parser.add_argument("--floor", action="store_true", help="also replay the SQL alone")
args = parser.parse_args()

from http_load import prod_env  # noqa: E402

os.environ.update(
    prod_env(f"postgres://postgres@{args.host}/{args.db}", SUPPORTPLAN_BENCH_CEILING="1")
)

import django  # noqa: E402

django.setup()

from bench_people import openers  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402


def people() -> list[tuple[str, bytes]]:
    return [(key, json.dumps(body).encode()) for key, body in openers()]


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.n += 1
        return execute(sql, params, many, context)


def run(client: Client, path: str, who: list[tuple[str, bytes]], n: int) -> None:
    for i in range(n):
        key, body = who[i % len(who)]
        res = client.post(
            path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
        )
        if res.status_code != 201:
            raise SystemExit(f"{path}: {res.status_code} {res.content[:300]!r}")


def backend_cpu() -> float:
    """CPU seconds the PostgreSQL backend serving this process has used (same machine)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(client: Client, path: str, who: list[tuple[str, bytes]]) -> tuple[float, ...]:
    """Per request: this process's CPU, its database backend's CPU, wall time, statements."""
    run(client, path, who, 30)  # warm up (and let psycopg prepare the repeated statements)
    counter = Counter()
    pg = backend_cpu()
    with connection.execute_wrapper(counter):
        cpu, wall = time.process_time(), time.perf_counter()
        run(client, path, who, args.n)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    pg = backend_cpu() - pg
    return cpu / args.n, pg / args.n, wall / args.n, counter.n / args.n


def captured(client: Client, path: str, who: list[tuple[str, bytes]]) -> list[tuple[str, Any]]:
    """The statements (SQL and parameters) one request to `path` sends."""
    out: list[tuple[str, Any]] = []

    def keep(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        out.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        run(client, path, who, 1)
    return out


def replay(statements: list[tuple[str, Any]]) -> tuple[float, float]:
    """CPU per run of this process and of its database backend: `statements` sent on the raw
    psycopg connection in one transaction, the way Django sends them but without the ORM
    (new ids where a unique key needs one, the audit entry's id where a row refers to it)."""
    raw = connection.connection
    n = args.n
    pg, cpu = backend_cpu(), time.process_time()
    for _ in range(n):
        with raw.transaction():
            cur, entry = raw.cursor(), None
            for sql, params in statements:
                values = list(params or ())
                if "django_tasks_database_dbtaskresult" in sql:
                    values[0] = uuid.uuid4()  # the job's primary key
                if sql.startswith('INSERT INTO "notifications_dispatch"') and entry:
                    values[0] = entry  # one dispatch per audit entry
                cur.execute(sql, values)
                if sql.startswith('INSERT INTO "core_auditentry"'):
                    entry = cur.fetchone()[0]
    return (time.process_time() - cpu) / n, (backend_cpu() - pg) / n


def serializer_work(who: list[tuple[str, bytes]]) -> float:
    """CPU per opening of reading the body with OpenCaseSerializer and answering with
    CaseSerializer, the DRF work the ceiling does not do."""
    from supportplan.api.cases import CaseSerializer, OpenCaseSerializer
    from supportplan.cases.models import Case

    body = json.loads(who[0][1])
    case = Case.objects.select_related("tenant", "assignee", "system").order_by("-pk").first()
    cpu = time.process_time()
    for _ in range(args.n):
        form = OpenCaseSerializer(data=body)
        form.is_valid(raise_exception=True)
        CaseSerializer(case, context={}).data  # noqa: B018
    return (time.process_time() - cpu) / args.n


def floor(client: Client, who: list[tuple[str, bytes]], ceiling: tuple[float, ...]) -> None:
    opening = captured(client, "/api/cases/", who)
    bare = captured(client, "/api/bench/ceiling/", who)
    replay(opening), replay(bare)  # warm up (prepared statements)
    o_cpu, o_pg = replay(opening)
    c_cpu, c_pg = replay(bare)
    drf = serializer_work(who)
    print(f"floor: the SQL alone, raw psycopg, {args.n} runs each")
    for label, (cpu, pg), sql in (
        ("open a case", (o_cpu, o_pg), opening),
        ("ceiling", (c_cpu, c_pg), bare),
    ):
        print(
            f"{label:12} Python {cpu * 1000:6.2f} ms + PostgreSQL {pg * 1000:5.2f} ms CPU"
            f"/request, {len(sql)} statements"
        )
    print(f"serializers (read the body, answer the case): {drf * 1000:.2f} ms CPU")
    # The ceiling's request, with its SQL swapped for the opening's and the serializers added:
    # what an opening would cost if nothing else in it cost anything.
    whole = ceiling[0] + ceiling[1]
    best = whole - (c_cpu + c_pg) + (o_cpu + o_pg) + drf
    print(
        f"best possible opening in-process: {best * 1000:.2f} ms CPU against the ceiling's "
        f"{whole * 1000:.2f} ms: ceiling / open at most {whole / best * 100:.0f} % in-process "
        "(over HTTP the server and the clients add about the same to both)"
    )


def main() -> None:
    who = people()
    client = Client(HTTP_HOST="127.0.0.1")
    results = {
        "open a case": measure(client, "/api/cases/", who),
        "ceiling": measure(client, "/api/bench/ceiling/", who),
    }
    print(f"{args.n} requests each, in-process, production settings, database {args.db}")
    for label, (cpu, pg, wall, sql) in results.items():
        print(
            f"{label:12} Python {cpu * 1000:6.2f} ms + PostgreSQL {pg * 1000:5.2f} ms CPU"
            f"/request, {wall * 1000:6.2f} ms wall, {sql:4.1f} statements"
        )
    (o_cpu, o_pg, *_), (c_cpu, c_pg, *_) = results.values()
    print(f"ceiling / open, CPU of both processes: {(c_cpu + c_pg) / (o_cpu + o_pg) * 100:.0f} %")
    if args.sql:
        for sql, _params in captured(client, "/api/cases/", who):
            print("  ", sql[:160])
    if args.floor:
        floor(client, who, results["ceiling"])
    if args.top == 0:
        return
    profile = cProfile.Profile(time.process_time)  # CPU, not waiting on the database
    profile.enable()
    run(client, "/api/cases/", who, args.n)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
