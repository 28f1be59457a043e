"""Trusted Advisor answers from the monthly report's optimisation advice.

Each advice rule of the report (supportplan/reports/advice.py) is one check; its flagged
resources are what the newest delivered report found for the organisation's cloud accounts.
Checks are refreshed by the monthly report, not on demand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from supportplan.reports.advice import TEXTS, Advice
from supportplan.reports.models import Report, ReportStatus

# check id (= advice code) → (name, AWS category, what it looks for)
CHECKS: dict[str, tuple[Any, str, Any]] = {
    "idle_instance": (
        _("Low utilisation instances"), "cost_optimizing",
        _("Instances whose CPU stayed low all month: candidates to downsize or stop."),
    ),
    "saturated_instance": (
        _("Instances at capacity"), "performance",
        _("Instances whose CPU or memory ran near their limit."),
    ),
    "disk_nearly_full": (
        _("Disks nearly full"), "performance", _("Disks more than 90 percent full."),
    ),
    "packet_loss": (
        _("Packet loss"), "performance", _("Instances with sustained packet loss."),
    ),
    "single_instance_system": (
        _("Systems without high availability"), "fault_tolerance",
        _("Registered systems served by a single instance."),
    ),
    "plan_advice": (
        _("Support plan fit"), "cost_optimizing",
        _("The support plan advisor's replay of the last 90 days of cases: a plan that fits "
          "better."),
    ),
    "repeated_production_down": (
        _("Repeated production outages"), "fault_tolerance",
        _("Systems with several production-down cases in the month."),
    ),
    "open_security_group": (
        _("Security groups open to the Internet"), "security",
        _("Security groups that open sensitive ports (SSH, RDP, databases) to 0.0.0.0/0."),
    ),
    "security_group_unchecked": (
        _("Security group rules that could not be checked"), "security",
        _("Internet-open rules whose ports are templates or not port specifications."),
    ),
    "audit_logging_off": (
        _("Audit logging"), "security", _("Whether the cloud audit trail is switched on."),
    ),
    "public_bucket": (
        _("Public object storage buckets"), "security",
        _("Buckets whose access policy allows anonymous reads."),
    ),
    "iam_without_mfa": (
        _("IAM users without MFA"), "security",
        _("Console users without multi-factor authentication."),
    ),
    "waf_off": (
        _("Web application firewall"), "security",
        _("Internet-facing domains attacked without WAF protection."),
    ),
}  # fmt: skip
assert set(CHECKS) == set(TEXTS), "every advice rule of the report is a check"

STATUS = {"high": "error", "medium": "warning", "low": "warning"}


def latest_report(tenant: Any) -> Report | None:
    return (
        Report.objects.filter(tenant=tenant)
        .exclude(status=ReportStatus.NOT_GENERATED)
        .order_by("-year", "-month")
        .first()
    )


def flagged(report: Report | None, check_id: str) -> list[Advice]:
    if report is None:
        return []
    return [
        Advice(i["code"], i["level"], i.get("subject", ""), i.get("evidence") or {})
        for i in (report.headline or {}).get("advice_items", [])
        if i.get("code") == check_id
    ]


def checked_at(report: Report | None, fallback: datetime) -> datetime:
    return (report.generated_at if report and report.generated_at else None) or fallback
