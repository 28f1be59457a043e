"""The benchmark scripts still run against the product as it is now, at a tiny size.

They measure, they do not assert speed (no figure is checked here); but a script broken by a
change to a service it calls makes `make bench` fail for whoever wants the figures, and
nothing else would notice (an agreement version and a sweep signature each broke one).
What the scripts themselves check is asserted: the sweep fires each warning and breach
exactly once, the console page answers 200 for each person.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]


def _host() -> str:
    db = settings.DATABASES["default"]
    return f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"


def _run(*argv: str) -> str:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / argv[0]), *argv[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_gen_cases_then_the_sweep_and_console_benchmarks_run(worker_id):
    source, copy = f"bench_smoke_{worker_id}", f"bench_smoke_sweep_{worker_id}"
    host = _host()
    made = _run(
        "gen_cases.py", "--reset", "--db", source, "--rows", "3000", "--tenants", "4",
        "--host", host,
    )  # fmt: skip
    assert re.search(r"^active cases: [1-9][\d,]*$", made, re.M), made

    swept = _run(
        "bench_sweep.py", "--source", source, "--copy", copy, "--workers", "1", "2",
        "--host", host,
    )  # fmt: skip
    assert swept.count("exactly once: fired twice 0, still due 0") == 2, swept
    assert not re.search(r"\b0 events \(", swept), swept  # the backlog was there to drain

    console = _run("bench_cases.py", "--db", source, "--host", host, "--runs", "20", "--skip-http")
    assert "== console queue page" in console and "sweep claim" in console, console
