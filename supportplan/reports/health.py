"""Readiness: the monthly reports can draw Chinese (django-health-check 4.8 plugin).

Listed in `/readyz` by its dotted path, `supportplan.reports.health.CjkFonts`
(`ReportsConfig.ready()` adds it to `SUPPORTPLAN_READY_CHECKS`).
"""

from __future__ import annotations

import dataclasses

from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from . import fonts


@dataclasses.dataclass
class CjkFonts(HealthCheck):
    """The CJK font resolves in matplotlib (charts) and in WeasyPrint (PDF)."""

    def run(self) -> None:  # type: ignore[override]
        problem = fonts.cjk_fonts_problem()
        if problem:
            raise ServiceUnavailable(problem)
