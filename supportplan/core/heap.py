"""A long-running process's start-up objects and CPython's cyclic garbage collector.

A worker keeps, for its whole life, a few hundred thousand objects that it made at start
and on its first piece of work: modules, Django's, matplotlib's and WeasyPrint's caches,
fonts. Every full collection walks all of them again, and one monthly report sets off one
or two full collections (its layout makes many objects that outlive the young
generations): 0.3-0.5 s CPU of a report's 2 s (measured, benchmarks/README.md).

`settle()` collects, then freezes what is still alive (`gc.freeze`: moved to the permanent
generation, which the collector no longer walks; reference counting still frees it), once
per process, after its first report has warmed those caches. The CPython documentation
gives this use. What it costs: an object alive at that moment that later becomes part of
unreachable cycles is never collected; that is at most what was alive then, once, so
memory stays bounded (the 200-tenant batch in benchmarks/bench_reports.py shows it flat).
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_settled = False


def settle() -> bool:
    """Freeze this process's long-lived objects, the first time only; True if it did."""
    global _settled
    with _lock:
        if _settled:
            return False
        gc.collect()
        gc.freeze()
        _settled = True
        return True
