"""Monthly report figures (issue 7). Prints numbers; asserts nothing about speed.

1. one tenant with 500 cases and 200 instances x 12 metrics (hourly points, a 31-day
   month: 200 x 12 x 744 = 1.79 M data points): build (figures), HTML (charts + template)
   and PDF (WeasyPrint) times, best and median of a few runs. Targets: HTML <= 1 s, PDF <= 3 s.
2. a batch of N such tenants (default 200) generated one after the other the way the
   monthly job does it (collect in memory -> build -> HTML -> PDF -> drop): total time and
   peak RSS, sampled along the way to show that memory stays bounded.

Run: .venv/bin/python benchmarks/bench_reports.py [--batch 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportplan.config.settings.test")

import django  # noqa: E402

django.setup()

from supportplan.reports.builder import build_report  # noqa: E402
from supportplan.reports.connectors.demo import demo_report_data  # noqa: E402
from supportplan.reports.data import Month  # noqa: E402
from supportplan.reports.render import render_html, render_pdf  # noqa: E402

MONTH = Month(2026, 10)
NOW = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def rss_mb() -> float:
    """Current resident set size (Linux /proc), MB."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CPU: dict[str, list[float]] = {"html": [], "pdf": []}


def one(seed: str, lang: str) -> tuple[float, float, float, float, int]:
    """Wall times (gen, build, html, pdf) and the PDF size; CPU seconds go to CPU."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    data = demo_report_data(seed, MONTH, instances=200, tickets=500, tenant_name=f"Tenant {seed}")
    t1 = time.perf_counter()
    content = build_report(data)
    t2 = time.perf_counter()
    render_html(content, language=lang, generated_at=NOW, deadline=date(2026, 11, 10))
    t3 = time.perf_counter()
    c3 = time.process_time()
    printed = render_html(
        content,
        language=lang,
        generated_at=NOW,
        deadline=date(2026, 11, 10),
        for_pdf=True,
    )
    pdf = render_pdf(printed.html)
    t4 = time.perf_counter()
    CPU["html"].append(c3 - c0)
    CPU["pdf"].append(time.process_time() - c3)
    return t1 - t0, t2 - t1, t3 - t2, t4 - t3, len(pdf)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    points = 200 * 12 * 24 * 31
    print(f"one tenant: 500 cases, 200 instances x 12 metrics ({points:,} data points)")
    one("warmup", "zh-hans")  # fonts, templates, matplotlib caches
    print(f"  (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall times")
    print("   include waiting for a CPU; CPU seconds are what the work itself costs)")
    for lang in ("zh-hans", "en"):
        CPU["html"].clear()
        CPU["pdf"].clear()
        rows = [one(f"t{i}", lang) for i in range(args.runs)]
        gen, build, html, pdf = (sorted(r[k] for r in rows) for k in range(4))
        size = rows[-1][4]
        print(
            f"  {lang:7s} data gen {statistics.median(gen):.2f} s | build {statistics.median(build):.3f} s"
            f" | HTML (build + charts + template) best {build[0] + html[0]:.2f} s,"
            f" median {statistics.median(build) + statistics.median(html):.2f} s (target <= 1 s)"
            f" | PDF best {pdf[0]:.2f} s, median {statistics.median(pdf):.2f} s (target <= 3 s)"
            f" | PDF {size / 1024:.0f} KB"
        )
        print(
            f"          CPU seconds: HTML incl. data gen median {statistics.median(CPU['html']):.2f} s,"
            f" PDF median {statistics.median(CPU['pdf']):.2f} s"
        )

    print(
        f"\nbatch: {args.batch} such tenants, one after the other (HTML + PDF each, as the monthly job does)"
    )
    gc.collect()
    start_rss = rss_mb()
    samples = []
    t0 = time.perf_counter()
    for i in range(args.batch):
        one(f"batch-{i}", "zh-hans" if i % 2 else "en")
        if i % 20 == 19 or i == args.batch - 1:
            gc.collect()
            samples.append((i + 1, rss_mb()))
            print(
                f"  after {i + 1:4d} tenants: RSS {samples[-1][1]:.0f} MB, peak {peak_mb():.0f} MB, {time.perf_counter() - t0:.0f} s"
            )
            sys.stdout.flush()
    total = time.perf_counter() - t0
    print(
        f"  total {total:.0f} s ({total / args.batch:.2f} s per tenant); RSS at start {start_rss:.0f} MB,"
        f" at end {samples[-1][1]:.0f} MB; peak RSS {peak_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
