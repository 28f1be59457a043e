"""Optimisation advice derived by rules from the month's data. Pure.

Each piece of advice names its evidence (the figures and the resources or cases it
rests on), so a reader can check it. Thresholds are module constants, documented in
docs/reports.md; change them here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .data import ReportData, SecurityGroup, Ticket
from .ports import PortSpecError, parse_port_spec

if TYPE_CHECKING:
    from .builder import ResourceStats

IDLE_CPU_AVG = 5.0  # % average CPU over the month ...
IDLE_CPU_PEAK = 20.0  # ... and never above this: the instance could be smaller or stopped
SATURATED_CPU_P95 = 85.0  # 95th percentile CPU above this: too small for its load
SATURATED_MEM_P95 = 90.0
DISK_FULL_PEAK = 90.0  # disk use above this at any point
PACKET_LOSS_AVG = 1.0  # % average packet loss
PROD_DOWN_CASES = 3  # "production down" cases on one system in a month
# Reachable from the whole Internet, these invite brute force and data theft: SSH, RDP,
# MySQL, SQL Server, Redis, PostgreSQL, MongoDB. A rule is flagged when its port or range
# covers one of them ("tcp/20-30" covers 22); "all" covers every one (ports.py).
SENSITIVE_PORTS: tuple[tuple[str, int], ...] = (
    ("tcp", 22),
    ("tcp", 3389),
    ("tcp", 3306),
    ("tcp", 1433),
    ("tcp", 6379),
    ("tcp", 5432),
    ("tcp", 27017),
)
LEVELS = ("high", "medium", "low")


@dataclass(frozen=True)
class Advice:
    code: str
    level: str  # high | medium | low
    subject: str  # the resource, group, system... it is about
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(TEXTS[self.code][0] % self.params)

    @property
    def recommendation(self) -> str:
        return str(TEXTS[self.code][1] % self.params)

    @property
    def evidence_text(self) -> str:
        params = self.params
        sentences = [str(TEXTS[self.code][2] % params)]
        sentences += [str(text % params) for key, text in EXTRA_EVIDENCE if self.evidence.get(key)]
        # Chinese sentences end in a full-width stop and are not separated by spaces
        return ("" if (get_language() or "").startswith("zh") else " ").join(sentences)

    @property
    def params(self) -> dict[str, Any]:
        return {"subject": self.subject, **{k: _fmt(v) for k, v in self.evidence.items()}}


def _fmt(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    return v


TEXTS: dict[str, tuple[Any, Any, Any]] = {
    "idle_instance": (
        _("Idle instance %(subject)s"),
        _("Downsize it, stop it outside business hours, or release it if no longer needed."),
        _("CPU averaged %(cpu_avg)s %% and peaked at %(cpu_peak)s %% over the month."),
    ),
    "saturated_instance": (
        _("Instance %(subject)s is running at capacity"),
        _("Move it to a larger specification or spread the load across more instances."),
        _("95th percentile: CPU %(cpu_p95)s %%, memory %(mem_p95)s %%."),
    ),
    "disk_nearly_full": (
        _("Disk nearly full on %(subject)s"),
        _("Expand the disk or clean up old data and logs before writes start failing."),
        _("Disk use peaked at %(disk_peak)s %%."),
    ),
    "packet_loss": (
        _("Packet loss on %(subject)s"),
        _("Check the bandwidth limit and the network path; open a ticket if it persists."),
        _("Average packet loss %(loss_avg)s %%."),
    ),
    "single_instance_system": (
        _("No high availability for %(subject)s"),
        _(
            "Run the system on at least two instances in different availability zones behind "
            "a load balancer."
        ),
        _("Only one running instance serves it: %(instances)s."),
    ),
    "open_security_group": (
        _("Security group %(subject)s is open to the whole Internet"),
        _("Restrict these ports to known address ranges or reach them through a bastion host."),
        _("Reachable from 0.0.0.0/0: %(ports)s."),
    ),
    "security_group_unchecked": (
        _("Security group %(subject)s has Internet-open rules this report could not check"),
        _(
            "Check which ports these rules open to 0.0.0.0/0; restrict sensitive ones to known "
            "address ranges."
        ),
        _("Rules open to 0.0.0.0/0 whose ports are not known here."),
    ),
    "audit_logging_off": (
        _("Audit logging is switched off"),
        _("Switch on the cloud audit trail so that every console and API operation is recorded."),
        _("The account's audit-log switch is off."),
    ),
    "public_bucket": (
        _("Object storage bucket %(subject)s is public"),
        _("Make the bucket private and share objects through signed URLs."),
        _("Its access policy allows anonymous reads."),
    ),
    "iam_without_mfa": (
        _("IAM users without multi-factor authentication"),
        _("Require MFA for every user who can sign in to the console."),
        _("%(users)s of %(total)s IAM users have no MFA."),
    ),
    "waf_off": (
        _("Web application firewall not enabled"),
        _("Enable WAF protection for the Internet-facing domains."),
        _("%(attacks)s web attacks were recorded without WAF blocking."),
    ),
    # From the plan advisor (supportplan.insights): its texts arrive in the tenant's language.
    "plan_advice": (
        _("Plan review: %(subject)s"),
        "%(headline)s",
        "%(reason)s",
    ),
    "repeated_production_down": (
        _("Repeated production outages on %(subject)s"),
        _(
            "Ask your technical account manager for a root-cause review and an availability "
            "check of this system."
        ),
        _("%(count)s production-down cases this month: %(cases)s."),
    ),
}


# Further evidence sentences, appended (in this order) when the advice carries the key.
EXTRA_EVIDENCE: tuple[tuple[str, Any], ...] = (
    ("region", _("Region: %(region)s.")),
    ("templates", _("Not checked (port template): %(templates)s.")),
    ("unrecognised", _("Not checked (not a port specification): %(unrecognised)s.")),
)


def derive_advice(
    data: ReportData,
    stats: Mapping[str, ResourceStats],
    missed: tuple[Ticket, ...] = (),
) -> tuple[Advice, ...]:
    out: list[Advice] = []
    res = {r.id: r for r in data.cloud.resources}
    for rid, st in sorted(stats.items()):
        r = res.get(rid)
        if r is None or r.status != "running":
            continue
        label = f"{r.name} ({r.id})" if r.name and r.name != r.id else r.id
        cpu_avg, cpu_peak = st.average.get("cpu_util"), st.peak.get("cpu_util")
        if (
            cpu_avg is not None
            and cpu_peak is not None
            and cpu_avg < IDLE_CPU_AVG
            and cpu_peak < IDLE_CPU_PEAK
        ):
            out.append(
                Advice("idle_instance", "low", label, {"cpu_avg": cpu_avg, "cpu_peak": cpu_peak})
            )
        cpu_p95, mem_p95 = st.p95.get("cpu_util"), st.p95.get("mem_util")
        if (cpu_p95 or 0) > SATURATED_CPU_P95 or (mem_p95 or 0) > SATURATED_MEM_P95:
            out.append(
                Advice(
                    "saturated_instance",
                    "high",
                    label,
                    {"cpu_p95": _dash(cpu_p95), "mem_p95": _dash(mem_p95)},
                )
            )
        disk_peak = st.peak.get("disk_util")
        if disk_peak is not None and disk_peak > DISK_FULL_PEAK:
            out.append(Advice("disk_nearly_full", "high", label, {"disk_peak": disk_peak}))
        loss = st.average.get("packet_loss")
        if loss is not None and loss > PACKET_LOSS_AVG:
            out.append(Advice("packet_loss", "medium", label, {"loss_avg": loss}))
    # high availability: a named system served by exactly one running instance
    by_system: dict[str, list[str]] = defaultdict(list)
    for r in data.cloud.resources:
        if r.system and r.status == "running":
            by_system[r.system].append(r.id)
    for system, ids in sorted(by_system.items()):
        if len(ids) == 1:
            out.append(Advice("single_instance_system", "medium", system, {"instances": ids}))
    sec = data.cloud.security
    for g in sec.security_groups:
        advice = group_advice(g)
        if advice is not None:
            out.append(advice)
    if sec.audit_logging_enabled is False:
        out.append(Advice("audit_logging_off", "high", "", {}))
    for bucket in sec.public_buckets:
        out.append(Advice("public_bucket", "high", bucket, {}))
    if sec.iam_users_without_mfa:
        out.append(
            Advice(
                "iam_without_mfa",
                "medium",
                "",
                {"users": sec.iam_users_without_mfa, "total": sec.iam_users or 0},
            )
        )
    waf_attacks = sum(e.count for e in sec.events if e.kind == "waf")
    if sec.waf_enabled is False and waf_attacks:
        out.append(Advice("waf_off", "medium", "", {"attacks": waf_attacks}))
    downs: dict[str, list[str]] = defaultdict(list)
    prod_down = set(data.platform.production_down_severities)
    for t in data.platform.tickets:
        if t.severity in prod_down and t.system:
            downs[t.system].append(t.id)
    for system, ids in sorted(downs.items()):
        if len(ids) >= PROD_DOWN_CASES:
            out.append(
                Advice(
                    "repeated_production_down",
                    "high",
                    system,
                    {"count": len(ids), "cases": sorted(ids)},
                )
            )
    pa = data.platform.plan_advice
    if pa:
        out.append(
            Advice(
                "plan_advice",
                "medium",
                pa["plan_name"],
                {"verdict": pa["verdict"], "headline": pa["headline"], "reason": pa["reason"]},
            )
        )
    rank = {lvl: i for i, lvl in enumerate(LEVELS)}
    return tuple(sorted(out, key=lambda a: (rank[a.level], a.code, a.subject)))


def group_advice(group: SecurityGroup) -> Advice | None:
    """A group whose Internet-open rules reach a sensitive port (high), or only rules whose
    ports cannot be known here (low). Evidence: each risky rule as the source wrote it,
    with the sensitive ports a range covers ("tcp/20-30 (22)"); the region when known; port
    templates and unreadable specs as "not checked"."""
    risky: list[str] = []
    templates: list[str] = []
    unrecognised: list[str] = []
    for text in group.open_to_world:
        try:
            spec = parse_port_spec(text)
        except PortSpecError:
            unrecognised.append(str(text).strip())
            continue
        if spec.kind == "template":
            templates.append(spec.text)
            continue
        covered = sorted({port for proto, port in SENSITIVE_PORTS if spec.covers(proto, port)})
        if not covered:
            continue
        if spec.kind == "all" or (spec.single_port is not None and covered == [spec.single_port]):
            risky.append(spec.text)  # "all" / "tcp/22": the spec itself names the port
        else:
            risky.append(f"{spec.text} ({', '.join(str(p) for p in covered)})")
    if not (risky or templates or unrecognised):
        return None
    evidence: dict[str, Any] = {"ports": risky} if risky else {}
    if group.region:
        evidence["region"] = group.region
    if templates:
        evidence["templates"] = templates
    if unrecognised:
        evidence["unrecognised"] = unrecognised
    subject = f"{group.name} ({group.id})" if group.name and group.name != group.id else group.id
    if risky:
        return Advice("open_security_group", "high", subject, evidence)
    return Advice("security_group_unchecked", "low", subject, evidence)


def _dash(v: float | None) -> float | str:
    return "-" if v is None else v
