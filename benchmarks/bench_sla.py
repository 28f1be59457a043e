"""SLA due-time figures (issue 3). Prints numbers; asserts nothing about speed.

1. bulk: 1,000,000 first-response due times over every plan x severity x channel of both
   seed catalogs (7x24 and 5x8 with 2026 holidays), opened at random instants of 2026,
   on one core (numpy searchsorted per calendar);
2. single: median time of one `first_response_due` call (timeit);
3. businesstimedelta on the inputs it can express (5x8 weekends + holidays, no adjusted
   working days) against our engine on the same calendar, with the ratio;
4. how many of our results differ from the minute-by-minute reference on a sample.

Run: .venv/bin/python benchmarks/bench_sla.py [--rows N] [--sample N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import timeit
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportplan.config.settings.test")
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from supportplan.calendars.builtins import builtin_5x8, builtin_7x24  # noqa: E402
from supportplan.calendars.domain import (  # noqa: E402
    WorkCalendar,
    add_business_time,
    make_weekly,
    windows,
)
from supportplan.calendars.tests.reference import ref_add  # noqa: E402
from supportplan.catalog.files import read_catalog_file  # noqa: E402
from supportplan.sla.domain import (  # noqa: E402
    PolicyContext,
    bulk_due,
    first_response_due,
    resolve_policy,
)

SH_2026 = int(datetime(2025, 12, 31, 16, tzinfo=UTC).timestamp())  # 2026-01-01 00:00 +08
SH_2027 = int(datetime(2026, 12, 31, 16, tzinfo=UTC).timestamp())


def pin_one_core() -> str:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return f"pinned to CPU {min(os.sched_getaffinity(0))}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def combinations() -> list[tuple[str, str, str, str, str, int]]:
    """(provider, plan, severity, channel, calendar code, target seconds) for every
    severity and channel each plan includes."""
    out = []
    for name in ("partner.yaml", "tencent.yaml"):
        catalog = read_catalog_file(ROOT / "catalogs" / name)[1]
        for plan in catalog.plans:
            for st in plan.severity_targets:
                for pc in plan.channels:
                    out.append(
                        (
                            catalog.provider.code,
                            plan.code,
                            st.severity.code,
                            pc.code,
                            pc.channel.calendar,
                            int(st.targets.first_response.total_seconds()),
                        )
                    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=1_000, help="rows checked by the reference")
    parser.add_argument("--btd-rows", type=int, default=20_000)
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {pin_one_core()}")
    cal5, cal24 = builtin_5x8(), builtin_7x24()
    calendars = [cal24, cal5]
    combos = combinations()
    n_5x8 = sum(1 for c in combos if c[4] == "5x8")
    print(f"{len(combos)} plan x severity x channel combinations ({n_5x8} on 5x8)")

    rng = np.random.default_rng(20261123)
    pick = rng.integers(0, len(combos), args.rows)
    opened = rng.integers(SH_2026, SH_2027, args.rows, dtype=np.int64)
    cal_of = np.array([0 if c[4] == "7x24" else 1 for c in combos], dtype=np.int8)
    target_of = np.array([c[5] for c in combos], dtype=np.int64)
    cal_idx = cal_of[pick]
    targets = target_of[pick]

    # -- 1. bulk
    bulk_due(calendars, cal_idx[:1000], opened[:1000], targets[:1000])  # compile the calendars
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = bulk_due(calendars, cal_idx, opened, targets)
        runs.append(time.perf_counter() - t0)
    share = float((cal_idx == 1).mean())
    print(
        f"bulk: {args.rows:,} first-response due times in {min(runs):.3f} s "
        f"(best of 3; runs {', '.join(f'{r:.3f}' for r in runs)} s; {share:.0%} on 5x8; "
        f"{int(result.missing.sum()):,} rows flagged holiday data missing for {result.missing_years})"
    )

    all5 = np.ones_like(cal_idx)
    t0 = time.perf_counter()
    bulk_due(calendars, all5, opened, targets)
    print(f"bulk, every row on 5x8 (worst case): {args.rows:,} in {time.perf_counter() - t0:.3f} s")

    # -- 2. single
    single_inputs = []
    for k in range(200):
        provider, plan, sev, ch, code, secs = combos[int(pick[k])]
        ctx = PolicyContext(
            provider, plan, sev, False, ch, datetime.fromtimestamp(int(opened[k]), UTC)
        )
        policy = resolve_policy(
            ctx,
            first_response=timedelta(seconds=secs),
            channel_calendar=cal24 if code == "7x24" else cal5,
        )
        single_inputs.append((policy, ctx.opened_at))
    per_call = []
    for policy, at in single_inputs:
        timer = timeit.Timer(lambda p=policy, a=at: first_response_due(p, a))
        n = 2000
        per_call.append(min(timer.repeat(repeat=3, number=n)) / n)
    all_calls = [t * 1e6 for t in per_call]
    print(
        f"single: median {statistics.median(all_calls):.2f} µs per due time "
        f"(over 200 inputs, each best of 3 x 2000 calls; p90 {np.percentile(all_calls, 90):.2f} µs)"
    )

    # -- 3. businesstimedelta on what it can express
    compare_btd(cal5, rng, args.btd_rows)

    # -- 4. reference check on a sample
    sample = rng.choice(args.rows, size=min(args.sample, args.rows), replace=False)
    # make sure the awkward rows are in: holiday blocks, window edges, into 2027
    edge = [
        datetime(2026, 9, 30, 17, 59, 59, tzinfo=UTC) - timedelta(hours=8),
        datetime(2026, 2, 13, 17, 0, tzinfo=UTC) - timedelta(hours=8),
        datetime(2026, 12, 31, 17, 30, tzinfo=UTC) - timedelta(hours=8),
    ]
    differ = 0
    checked = 0
    for k in sample:
        cal = calendars[int(cal_idx[k])]
        start = datetime.fromtimestamp(int(opened[k]), UTC)
        expected = ref_add(cal, start, timedelta(seconds=int(targets[k])))
        got = datetime.fromtimestamp(int(result.due[k]), UTC)
        differ += got != expected
        checked += 1
    for start in edge:
        for secs in sorted(set(target_of)):
            expected = ref_add(cal5, start, timedelta(seconds=int(secs)))
            differ += add_business_time(cal5, start, timedelta(seconds=int(secs))).value != expected
            checked += 1
    print(f"reference: {differ} of {checked} results differ from the minute-by-minute reference")


def compare_btd(cal5: WorkCalendar, rng: np.random.Generator, rows: int) -> None:
    import businesstimedelta as btd
    import pytz

    tz = pytz.timezone("Asia/Shanghai")
    holidays = sorted(d for d in cal5.holidays if d.year == 2026)
    # Our calendar restricted to what businesstimedelta can say: no adjusted working days.
    ours = make_weekly(
        "5x8-no-adjusted",
        "Asia/Shanghai",
        windows("09:00-18:00"),
        holidays=holidays,
        known_years={2026},
    )
    rule = btd.Rules(
        [
            btd.WorkDayRule(
                start_time=datetime.min.time().replace(hour=9),
                end_time=datetime.min.time().replace(hour=18),
                working_days=[0, 1, 2, 3, 4],
                tz=tz,
            ),
            # It crashes when no holiday follows within five years; a sentinel far
            # outside 2026 keeps it running without changing any 2026 answer.
            btd.HolidayRule(set(holidays) | {date(2030, 1, 1)}, tz=tz),
        ]
    )
    # Opened before 2026-12-01 with targets <= 16 h so every answer stays inside 2026,
    # the only year we give it data for.
    hi = int(datetime(2026, 11, 30, 16, tzinfo=UTC).timestamp())
    starts = [datetime.fromtimestamp(int(s), UTC) for s in rng.integers(SH_2026, hi, rows)]
    durs = [
        timedelta(seconds=int(s))
        for s in rng.choice([600, 1800, 3600, 3 * 3600, 8 * 3600, 16 * 3600], rows)
    ]
    deltas = [btd.BusinessTimeDelta(rule, timedelta=d) for d in durs]

    t0 = time.perf_counter()
    theirs = [s + d for s, d in zip(starts, deltas, strict=True)]
    t_btd = time.perf_counter() - t0
    add_business_time(ours, starts[0], durs[0])
    t0 = time.perf_counter()
    mine = [add_business_time(ours, s, d).value for s, d in zip(starts, durs, strict=True)]
    t_ours = time.perf_counter() - t0
    agree = sum(1 for a, b in zip(mine, theirs, strict=True) if a == b)
    print(
        f"businesstimedelta: {rows:,} due times (5x8 + 2026 holidays, no adjusted days) "
        f"{t_btd / rows * 1e6:.1f} µs each vs ours {t_ours / rows * 1e6:.2f} µs each: "
        f"ours {t_btd / t_ours:.0f}x faster; same answer on {agree:,} of {rows:,}"
    )


if __name__ == "__main__":
    main()
