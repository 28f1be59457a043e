"""Monthly report figures (issues 7 and 16). Prints numbers; asserts nothing about speed.

1. one tenant with 500 cases and 200 instances x 12 metrics (hourly points, a 31-day
   month: 200 x 12 x 744 = 1.79 M data points), per language: CPU seconds (the process's
   own, `time.process_time`, not wall time: the machine is shared) of
   - HTML: data gen + build (figures) + charts + the page's template,
   - PDF: the print template + WeasyPrint,
   best and median of `--runs`. Targets (issue 16): HTML <= 0.5 s, PDF <= 1.5 s.
2. batches of N such tenants (`--batch 20,50,200`), each in a fresh process, one tenant
   after the other the way a report worker does it (collect in memory -> build -> HTML ->
   PDF -> drop): CPU per tenant and peak RSS (`ru_maxrss`), so a flat peak across sizes
   shows that memory does not grow with the number of tenants.

After its first report a child freezes its long-lived objects, as a report worker does
(`core.heap.settle`, where the code under test has it).

`--compare DIR` runs the same measurements, in the same run and side by side (both at the
same time, so under the same load), against the code in DIR (a checkout of main, e.g.
`git worktree add /tmp/main main`) and prints before/after figures.
The code under test is imported from `--root` (default: this repository). Code without
`render_charts` (before issue 16) is driven the old way: charts drawn for the page, then
again for the PDF.

Run: .venv/bin/python benchmarks/bench_reports.py [--runs 3] [--batch 20,50,200] [--compare DIR]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Current resident set size (Linux /proc), MiB like `peak_mb`."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# --------------------------------------------------------------------------- child side


def _setup(root: str) -> Any:
    sys.path.insert(0, root)
    os.chdir(root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportplan.config.settings.test")
    import django

    django.setup()
    from datetime import UTC, date, datetime

    from supportplan.reports import render
    from supportplan.reports.builder import build_report
    from supportplan.reports.connectors.demo import demo_report_data
    from supportplan.reports.data import Month

    month = Month(2026, 10)
    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    deadline = date(2026, 11, 10)
    draw_once = hasattr(render, "render_charts")

    def one(seed: str, lang: str) -> dict[str, float]:
        """CPU seconds of the HTML and the PDF of one tenant's report, and the PDF's size."""
        c0 = time.process_time()
        data = demo_report_data(
            seed, month, instances=200, tickets=500, tenant_name=f"Tenant {seed}"
        )
        content = build_report(data)
        options: dict[str, Any] = {}
        if draw_once:
            options["charts"] = render.render_charts(content, language=lang)
        render.render_html(content, language=lang, generated_at=now, deadline=deadline, **options)
        c1 = time.process_time()
        printed = render.render_html(
            content, language=lang, generated_at=now, deadline=deadline, for_pdf=True, **options
        )
        pdf = render.render_pdf(printed.html)
        c2 = time.process_time()
        return {"html": c1 - c0, "pdf": c2 - c1, "bytes": len(pdf)}

    return one


def _settle() -> None:
    """What a report worker does after its first report (`reports.tasks.generate_report`),
    where the code under test has it."""
    try:
        from supportplan.core import heap
    except ImportError:
        return
    heap.settle()


def child_single(root: str, runs: int) -> None:
    one = _setup(root)
    one("warmup", "zh-hans")  # fonts, templates, matplotlib caches
    _settle()
    for lang in ("zh-hans", "en"):
        rows = [one(f"t{i}", lang) for i in range(runs)]
        print(json.dumps({"lang": lang, "rows": rows}), flush=True)


def child_batch(root: str, n: int) -> None:
    one = _setup(root)
    gc.collect()
    start = rss_mb()
    cpu = []
    samples = []
    for i in range(n):
        row = one(f"batch-{i}", "zh-hans" if i % 2 else "en")
        if i == 0:
            _settle()
        cpu.append(row["html"] + row["pdf"])
        if (i + 1) % 10 == 0 or i == n - 1:
            samples.append((i + 1, round(rss_mb()), round(peak_mb())))
            print(
                f"after {i + 1} tenants: RSS, peak {samples[-1][1:]} MB",
                file=sys.stderr,
                flush=True,
            )
    print(
        json.dumps({"n": n, "start": start, "peak": peak_mb(), "samples": samples, "cpu": cpu}),
        flush=True,
    )


# --------------------------------------------------------------------------- parent side


def run_children(*jobs: tuple[str, ...]) -> list[list[dict[str, Any]]]:
    """Run children (root, args...) side by side, so that compared trees are measured under
    the same load (the machine is shared), and return each one's JSON lines."""
    procs = []
    for root, *args in jobs:
        cmd = [sys.executable, str(HERE), "--root", root, *args]
        procs.append((cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)))
    results = []
    for cmd, proc in procs:
        out, _ = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed")
        results.append([json.loads(line) for line in out.splitlines() if line.startswith("{")])
    return results


def show_single(label: str, results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    medians = {}
    for r in results:
        html = sorted(x["html"] for x in r["rows"])
        pdf = sorted(x["pdf"] for x in r["rows"])
        medians[r["lang"]] = {"html": statistics.median(html), "pdf": statistics.median(pdf)}
        print(
            f"  {label:6s} {r['lang']:7s} CPU per tenant: HTML best {html[0]:.2f} s,"
            f" median {statistics.median(html):.2f} s (target <= 0.5 s) | PDF best {pdf[0]:.2f} s,"
            f" median {statistics.median(pdf):.2f} s (target <= 1.5 s)"
            f" | PDF {r['rows'][-1]['bytes'] / 1024:.0f} KB"
        )
    return medians


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", default="20,50,200", help="batch sizes, comma-separated ('' none)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--compare", help="another checkout (e.g. main) measured in the same run")
    ap.add_argument("--compare-batch", type=int, default=20, help="its batch size (0: none)")
    ap.add_argument("--root", default=str(ROOT))
    ap.add_argument("--child", choices=["single", "batch"])
    ap.add_argument("--n", type=int, default=0)
    args = ap.parse_args()

    if args.child == "single":
        return child_single(args.root, args.runs)
    if args.child == "batch":
        return child_batch(args.root, args.n)

    points = 200 * 12 * 24 * 31
    print(f"one tenant: 500 cases, 200 instances x 12 metrics ({points:,} data points)")
    print(
        f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; CPU seconds of"
        " the process, not wall time: they are what the work itself costs)"
    )
    trees = [("this", args.root)] + ([("before", args.compare)] if args.compare else [])
    if args.compare:
        print("  (this tree and the one before measured side by side, at the same time)")
    singles = run_children(
        *((root, "--child", "single", "--runs", str(args.runs)) for _l, root in trees)
    )
    medians = {
        label: show_single(label, r) for (label, _root), r in zip(trees, singles, strict=True)
    }
    if args.compare:
        for lang in ("zh-hans", "en"):
            b, a = medians["before"][lang], medians["this"][lang]
            print(
                f"  {lang:7s} before -> this (medians): HTML {b['html']:.2f} -> {a['html']:.2f} s"
                f" ({b['html'] / a['html']:.1f}x), PDF {b['pdf']:.2f} -> {a['pdf']:.2f} s"
                f" ({b['pdf'] / a['pdf']:.1f}x), both {b['html'] + b['pdf']:.2f} ->"
                f" {a['html'] + a['pdf']:.2f} s"
            )

    sizes = [int(s) for s in args.batch.split(",") if s.strip()]
    if sizes:
        print("\nbatches: N tenants one after the other in a fresh process (HTML + PDF each)")
    for k, n in enumerate(sizes):
        jobs = [("this", args.root, n)]
        if args.compare and args.compare_batch and k == 0:  # the first size side by side
            jobs.append(("before", args.compare, min(n, args.compare_batch)))
        t0 = time.perf_counter()
        results = run_children(*((root, "--child", "batch", "--n", str(m)) for _l, root, m in jobs))
        wall = time.perf_counter() - t0
        for (label, _root, m), (r,) in zip(jobs, results, strict=True):
            along = ", ".join(f"{i}: {rss} MB" for i, rss, _peak in r["samples"])
            print(
                f"  {label:6s} {m:4d} tenants: CPU {statistics.mean(r['cpu']):.2f} s per tenant"
                f" (median {statistics.median(r['cpu']):.2f}); RSS at start {r['start']:.0f} MB,"
                f" peak {r['peak']:.0f} MB; {wall:.0f} s wall"
            )
            print(f"         RSS along the batch: {along}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
