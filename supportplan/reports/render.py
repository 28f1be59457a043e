"""Render a built report: one Django template for the portal page and the PDF.

The PDF is WeasyPrint on the same HTML (print CSS: A4, running header, page numbers,
Noto CJK fonts from the system). Both are rendered in the tenant's language.

Per report the charts are drawn once (`render_charts`) and the same images go into the
page and the PDF; the stylesheet is the same for every report, so WeasyPrint parses it once
per process (`_print_css`) instead of once per PDF.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supportplan.core.clock import BUSINESS_TZ

from . import charts
from .builder import ReportContent
from .data import METRIC_UNITS, Texts

# The stored report is a self-contained document (its own <style>, charts as data: images,
# bar widths inline): served with this policy instead of the web UI's, with nothing else allowed.
STORED_REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)

# WeasyPrint logs every SVG presentation attribute it maps itself as "ignored", and its
# progress steps at INFO: neither is news to an operator.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("weasyprint.progress").setLevel(logging.ERROR)


def metric_names() -> dict[str, str]:
    return {
        "cpu_util": _("CPU use"),
        "mem_util": _("Memory use"),
        "disk_util": _("Disk use"),
        "disk_read": _("Disk read rate"),
        "disk_write": _("Disk write rate"),
        "bandwidth_in": _("Inbound bandwidth"),
        "bandwidth_out": _("Outbound bandwidth"),
        "connections": _("Concurrent connections"),
        "new_connections": _("New connections"),
        "latency": _("Network latency"),
        "packet_loss": _("Packet loss"),
        "disk_iops": _("Disk IOPS"),
    }


def status_names() -> dict[str, str]:
    return {
        "running": _("Running"),
        "stopped": _("Stopped"),
        "other": _("Other"),
        "open": _("Open"),
        "in_progress": _("In progress"),
        "waiting_on_customer": _("Waiting on customer"),
        "resolved": _("Resolved"),
        "closed": _("Closed"),
    }


def advisory_severities() -> dict[str, str]:
    return {
        "critical": _("Critical"),
        "high": _("High"),
        "medium": _("Medium"),
        "low": _("Low"),
        "info": _("Information"),
    }


def level_names() -> dict[str, str]:
    return {"high": _("High"), "medium": _("Medium"), "low": _("Low")}


def cloud_names() -> dict[str, str]:
    return {
        "huawei": _("Huawei Cloud"),
        "tencent": _("Tencent Cloud"),
        "alibaba": _("Alibaba Cloud"),
        "other": _("Other cloud"),
    }


def section_titles() -> dict[str, str]:
    return {
        "summary": _("Summary"),
        "service": _("Service summary"),
        "resources": _("Resource overview"),
        "tickets": _("Service tickets"),
        "security": _("Security protection"),
        "spend": _("Spend trend"),
        "advice": _("Optimisation advice"),
    }


def pick(texts: Texts | None, lang: str, fallback: str = "") -> str:
    if not texts:
        return fallback
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), fallback)


@dataclass(frozen=True)
class Rendered:
    html: str
    context: dict[str, Any]


def render_html(
    content: ReportContent,
    *,
    language: str,
    generated_at: datetime,
    deadline: Any = None,
    for_pdf: bool = False,
    charts: dict[str, str] | None = None,
) -> Rendered:
    """The report as HTML: the page (self-contained, its stylesheet inline) or, `for_pdf`,
    the input of `render_pdf` (print layout; the stylesheet is added by `render_pdf`).
    `charts` (from `render_charts`) lets the page and the PDF share one drawing."""
    with translation.override(language), timezone.override(BUSINESS_TZ):
        if charts is None:
            charts = _charts(content, language)
        ctx = build_context(content, language, generated_at, deadline, charts, for_pdf)
        ctx["for_pdf"] = for_pdf
        html = render_to_string("reports/report.html", ctx)
    return Rendered(html, ctx)


def render_charts(content: ReportContent, *, language: str) -> dict[str, str]:
    """The report's charts in `language`, drawn once for both `render_html` calls."""
    with translation.override(language):
        return _charts(content, language)


def _charts(content: ReportContent, lang: str) -> dict[str, str]:
    sev_name = {k: pick(v, lang, k) for k, v in content.data.platform.severity_names.items()}
    return make_charts(content, sev_name, metric_names())


@lru_cache(maxsize=1)
def _print_css() -> Any:
    """The report's stylesheet, parsed once per process (it names nothing per report: the
    footer takes the tenant's name from the title with `string()`)."""
    from weasyprint import CSS

    return CSS(string=render_to_string("reports/report.css"))


_fetchers = threading.local()


def _data_urls_only() -> Any:
    """This thread's WeasyPrint URL fetcher, which opens `data:` URLs (the charts) and
    refuses every other scheme: a report never reaches the network or the disk. Kept, as
    WeasyPrint's default is made anew for each document with a new TLS context (about
    30 ms of loading the system's CA certificates, for a PDF that fetches nothing)."""
    fetcher = getattr(_fetchers, "fetcher", None)
    if fetcher is None:
        from weasyprint.urls import URLFetcher

        fetcher = _fetchers.fetcher = URLFetcher(allowed_protocols={"data"})
    return fetcher


def render_pdf(html: str) -> bytes:
    """The PDF of `render_html(..., for_pdf=True)`: one WeasyPrint document."""
    from weasyprint import HTML

    pdf = HTML(string=html, url_fetcher=_data_urls_only()).write_pdf(stylesheets=[_print_css()])
    return pdf  # type: ignore[no-any-return]


def build_context(
    content: ReportContent,
    lang: str,
    generated_at: datetime,
    deadline: Any,
    charts: dict[str, str],
    for_pdf: bool = False,
) -> dict[str, Any]:
    data = content.data
    p = data.platform
    sev_name = {k: pick(v, lang, k) for k, v in p.severity_names.items()}
    chan_name = {k: pick(v, lang, k) for k, v in p.channel_names.items()}
    mnames = metric_names()
    statuses = status_names()
    clouds = cloud_names()
    t = content.tickets
    r = content.resources
    max_sev = max([c.count for c in t.by_severity] + [1])
    max_chan = max([c.count for c in t.by_channel] + [1])
    advice_groups: dict[str, list[Any]] = {}
    for a in content.advice:
        advice_groups.setdefault(a.code, []).append(a)
    return {
        "lang": lang,
        "c": content,
        "d": data,
        "p": p,
        "generated_at": generated_at,
        "deadline": deadline,
        "titles": section_titles(),
        "plan_name": pick(p.plan_name, lang, p.plan_code),
        "entitlements": [
            {
                "name": pick(e.name, lang),
                "used": e.used,
                "total": e.total,
                "unit": pick(e.unit, lang),
                "ratio": min(100, round(100 * e.used / e.total)) if e.total else None,
            }
            for e in p.entitlements
        ],
        "services": [
            {"name": pick(s.name, lang), "starts_on": s.starts_on, "ends_on": s.ends_on}
            for s in p.services
        ],
        "advisories": [
            {
                "title": pick(a.title, lang) if isinstance(a.title, dict) else a.title,
                "at": a.notified_at or a.published_at,
                "severity": advisory_severities().get(a.severity, a.severity),
                "level": a.severity,
            }
            for a in p.advisories
        ],
        "resource_rows": [
            {
                "cloud": clouds.get(row.cloud, row.cloud),
                "product": row.product,
                "status": statuses.get(row.status, row.status),
                "status_code": row.status,
                "count": row.count,
            }
            for row in r.rows
        ],
        "by_cloud": [(clouds.get(x.key, x.key), x.count) for x in r.by_cloud],
        "metrics": [
            {
                "name": mnames[m.metric],
                "unit": METRIC_UNITS[m.metric],
                "m": m,
                "top": m.top[:3],
            }
            for m in r.metrics
        ],
        "missing_metrics": [mnames[m] for m in r.missing_metrics],
        "by_severity": [
            {"name": sev_name.get(x.key, x.key), "count": x.count, "w": 100 * x.count / max_sev}
            for x in t.by_severity
        ],
        "by_channel": [
            {"name": chan_name.get(x.key, x.key), "count": x.count, "w": 100 * x.count / max_chan}
            for x in t.by_channel
        ],
        "by_status": [(statuses.get(x.key, x.key), x.count) for x in t.by_status],
        "sla_rows": [{"name": sev_name.get(s.severity, s.severity), "s": s} for s in t.sla],
        "missed": [
            {"t": m, "severity": sev_name.get(m.severity, m.severity), "late": _late(m)}
            for m in t.missed
        ],
        "advice_groups": [
            {"code": code, "level": items[0].level, "items": items, "first": items[0]}
            for code, items in advice_groups.items()
        ],
        "levels": level_names(),
        "sec_ok": _security_checks(content),
        "incomplete": content.incomplete,
        "charts": charts,
        "spend_max": max([float(a) for _, a in content.spend.months] + [1.0]),
    }


def _security_checks(content: ReportContent) -> dict[str, bool | None]:
    s = content.security
    return {
        "iam": None if s.iam_users is None else not s.iam_users_without_mfa,
        "groups": not s.groups_open if s.groups_total else None,
        "audit": s.audit_logging_enabled,
        "buckets": not s.public_buckets,
        "waf": s.waf_enabled,
    }


def _late(ticket: Any) -> str:
    if ticket.first_response_due is None or ticket.first_responded_at is None:
        return "-"
    minutes = (ticket.first_responded_at - ticket.first_response_due).total_seconds() / 60
    if minutes < 90:
        return f"+{minutes:.0f} min"
    return f"+{minutes / 60:.1f} h"


def make_charts(
    content: ReportContent, sev_name: dict[str, str], mnames: dict[str, str], fmt: str = "png"
) -> dict[str, str]:
    out: dict[str, str] = {}
    r = content.resources
    if r.metrics:
        panels = [
            (
                f"{mnames[m.metric]}" + (f" ({unit})" if (unit := METRIC_UNITS[m.metric]) else ""),
                m.days,
                [_nan0(v) for v in m.daily_average],
                [_nan0(v) for v in m.daily_peak],
            )
            for m in r.metrics
        ]
        out["metrics"] = charts.metrics_grid(panels, fmt)
    t = content.tickets
    if any(n for _m, n in t.trend):  # an all-zero chart says nothing
        months = [m for m, _n in t.trend_by_severity]
        codes = list(content.data.platform.severity_order) or sorted(
            {k for _m, c in t.trend_by_severity for k in c}
        )
        series = [
            (sev_name.get(code, code), [float(c.get(code, 0)) for _m, c in t.trend_by_severity])
            for code in codes
        ]
        out["tickets"] = charts.stacked_bars(months, series, ylabel=_("Cases"), height=2.2, fmt=fmt)
    s = content.spend
    if s.months:
        out["spend"] = charts.stacked_bars(
            [m for m, _a in s.months],
            [(_("Spend"), [float(a) for _m, a in s.months])],
            ylabel=_("CNY"),
            height=2.0,
            fmt=fmt,
        )
    sec = content.security
    if sec.events_by_day:
        days, events = charts.security_series(
            sec.events_by_day, str(_("DDoS events")), str(_("Web attacks"))
        )
        out["security"] = charts.stacked_bars(
            days,
            events,
            height=1.9,
            totals=False,
            fmt=fmt,
        )
    return out


def _nan0(v: float) -> float:
    return 0.0 if math.isnan(v) else v
