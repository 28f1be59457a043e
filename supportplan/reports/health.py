"""Readiness: the monthly reports can draw Chinese (a /readyz check, django-health-check)."""

from __future__ import annotations

import dataclasses

from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from supportplan.core.health import OnRequestThread, register

from . import fonts


@register
@dataclasses.dataclass
class CjkFonts(OnRequestThread, HealthCheck):
    """The CJK font resolves in matplotlib (charts) and in WeasyPrint (PDF)."""

    def probe(self) -> None:
        problem = fonts.cjk_fonts_problem()
        if problem:
            raise ServiceUnavailable(problem)
