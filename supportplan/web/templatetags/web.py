"""Template helpers of the portal and console: catalog texts in the reader's language,
durations, SLA badges with live countdowns, money."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language, gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

register = template.Library()


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


@register.filter
def tr(value: Any) -> str:
    """A catalog text ({zh-hans, en} pair, `Text`, or plain string) in the current language."""
    if value is None or value == "":
        return ""
    if hasattr(value, "get") and hasattr(value, "zh_hans"):
        return str(value.get(get_language()))
    if isinstance(value, dict):
        if _zh():
            return str(value.get("zh-hans") or value.get("zh_hans") or value.get("en") or "")
        return str(value.get("en") or value.get("zh-hans") or "")
    return str(value)


@register.filter
def duration(value: timedelta | None) -> str:
    """`timedelta(minutes=10)` -> "10 min" / "10 分钟"; hours and days likewise."""
    if value is None:
        return "—"
    total = int(value.total_seconds())
    if total % 86400 == 0 and total >= 86400:
        n = total // 86400
        return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
    if total % 3600 == 0 and total >= 3600:
        n = total // 3600
        return ngettext("%(n)s hour", "%(n)s hours", n) % {"n": n}
    if total >= 3600:
        h, rest = divmod(total, 3600)
        return gettext("%(h)s h %(m)s min") % {"h": h, "m": rest // 60}
    n = max(total // 60, 0)
    return ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": n}


def remaining_text(seconds: int) -> str:
    """The countdown text the page shows before (and without) JavaScript."""
    late = seconds < 0
    s = abs(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        body = gettext("%(d)sd %(h)sh %(m)sm") % {"d": d, "h": h, "m": m}
    elif h:
        body = gettext("%(h)sh %(m)sm") % {"h": h, "m": m}
    else:
        body = gettext("%(m)sm %(s)ss") % {"m": m, "s": s}
    if late:
        # beside the "Breached" label: "Breached 15m 48s ago" / "已超时 15分48秒"
        return pgettext("sla countdown", "%(t)s ago") % {"t": body}
    return gettext("%(t)s left") % {"t": body}


SLA_LABELS = {
    "running": pgettext_lazy("web", "Running"),
    "warning": _("Warning"),
    "breached": _("Breached"),
    "met": pgettext_lazy("web", "Met"),
    "paused": _("Paused"),
    "stopped": _("Stopped"),
    "none": _("No target"),
}


def sla_status(case: Any, now: datetime) -> str:
    """running | warning | breached | met | paused | stopped | none, as of `now`."""
    state = getattr(case, "sla_state", "") or ""
    if state in ("met", "paused", "stopped"):
        return state
    if state == "breached" or getattr(case, "sla_breached", False):
        return "breached"
    due = getattr(case, "first_response_due", None)
    if due is None:
        return "none"
    if now >= due:
        return "breached"
    warn = getattr(case, "warn_at", None)
    if getattr(case, "sla_warned", False) or (warn is not None and now >= warn):
        return "warning"
    return "running"


@register.simple_tag(takes_context=True)
def sla_badge(context: template.Context, case: Any) -> str:
    """The SLA state as a coloured badge and, while the clock runs, a live countdown.

    The countdown is rendered on the server (correct without JavaScript) and ticked by
    app.js from the due instant; `data-warn` lets the badge turn amber on time.
    """
    now = context.get("now") or timezone.now()
    status = sla_status(case, now)
    label = SLA_LABELS.get(status, status)
    due = getattr(case, "first_response_due", None)
    if status in ("running", "warning", "breached") and due is not None and status != "met":
        warn = getattr(case, "warn_at", None)
        seconds = int((due - now).total_seconds())
        return format_html(
            '<span class="sla sla-{}" data-sla>'
            '<span class="sla-label" data-sla-label>{}</span> '
            '<time class="countdown" datetime="{}" data-due="{}" data-warn="{}" '
            'role="timer" aria-live="off">{}</time></span>',
            status,
            label,
            due.isoformat(),
            due.isoformat(),
            warn.isoformat() if warn else "",
            remaining_text(seconds),
        )
    return format_html('<span class="sla sla-{}">{}</span>', status, label)


@register.filter
def money(value: Decimal | int | float | None, currency: str = "CNY") -> str:
    if value is None:
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"))
    text = f"{amount:,.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€"}.get(currency, currency + " ")
    return f"{symbol}{text}"


@register.filter
def money_exact(value: Decimal | int | float | str | None, currency: str = "CNY") -> str:
    """The amount to pay, to the cent (a transfer must match it exactly): ¥26,000.00."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"))
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€"}.get(currency, currency + " ")
    return f"{symbol}{amount:,.2f}"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.simple_tag(takes_context=True)
def qs_replace(context: template.Context, **kwargs: Any) -> str:
    """The current query string with some keys replaced (filters, tabs)."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else {}
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)  # type: ignore[union-attr]
        else:
            params[key] = value  # type: ignore[index]
    encoded = params.urlencode() if hasattr(params, "urlencode") else ""
    return "?" + encoded if encoded else "?"


@register.simple_tag
def js_strings() -> str:
    """Translated strings app.js needs (countdowns, the scope preview), as a JSON island."""
    import json

    from django.utils.safestring import mark_safe

    strings = {
        "left": gettext("%(t)s left"),
        "overdue": pgettext("sla countdown", "%(t)s ago"),
        "dhm": gettext("%(d)sd %(h)sh %(m)sm"),
        "hm": gettext("%(h)sh %(m)sm"),
        "ms": gettext("%(m)sm %(s)ss"),
        "running": str(SLA_LABELS["running"]),
        "warning": str(SLA_LABELS["warning"]),
        "breached": str(SLA_LABELS["breached"]),
        "checking": gettext("Checking…"),
        "in_scope": gettext("In scope"),
        "out_of_scope": gettext("Out of scope"),
        "needs_detail": gettext("Needs detail"),
        "where_to_go": gettext("Where to go instead:"),
        "chars": gettext("%(n)s of %(max)s characters"),
        "too_many": gettext("%(n)s of %(max)s characters: shorten the text by %(over)s."),
        "file_too_large": gettext(
            "The file is %(size)s MB; attachments may be at most %(limit)s MB."
        ),
    }
    payload = json.dumps(strings, ensure_ascii=False).replace("</", "<\\/")
    return mark_safe(f'<script type="application/json" id="i18n-js">{payload}</script>')


TIER_LABELS = {
    "engineer": _("Technical engineer"),
    "expert": _("Technical expert"),
    "senior_expert": _("Senior technical expert"),
}


@register.simple_tag
def colon() -> str:
    """The separator after a label: ": " in English, a full-width "：" in Chinese."""
    return pgettext("label separator", ": ")


@register.simple_tag
def tier_label(tier: str) -> str:
    return str(TIER_LABELS.get(tier, tier))


@register.simple_tag
def unit_amount(n: int | None, unit: str) -> str:
    if n is None:
        return "—"
    if unit == "natural_days":
        return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
    return ngettext("%(n)s time", "%(n)s times", n) % {"n": n}


def _case_catalog(case: Any) -> Any:
    from supportplan.catalog.selectors import CatalogNotLoaded, catalog_for_version

    try:
        return catalog_for_version(case.catalog_version_id)
    except CatalogNotLoaded:
        return None


@register.simple_tag
def severity_tag(case: Any) -> str:
    """The case's severity as a coloured label in the reader's language."""
    catalog = _case_catalog(case)
    try:
        sev = catalog.severity(case.severity) if catalog else None
    except LookupError:
        sev = None
    if sev is None:
        return format_html('<span class="sev">{}</span>', case.severity)
    return format_html(
        '<span class="sev sev-{}">{}</span>', min(sev.order, 5), sev.name.get(get_language())
    )


@register.simple_tag
def note_text(case: Any, entry: Any) -> str:
    """A thread entry's text: system notes ("Waiting on customer", "Resolved. …") in the
    reader's language, with the case's severity names; what people wrote as written."""
    from supportplan.cases.texts import case_note_text

    return case_note_text(case, entry.kind, entry.body, entry.data)


@register.filter
def cloud_name(code: str) -> str:
    """A cloud's name in the reader's language (huawei → 华为云), never its code."""
    from supportplan.catalog.selectors import cloud_name as name_of

    return str(name_of(code)) if code else ""


@register.filter
def platform_name(code: str) -> str:
    """A third-party software platform's name (linux → Linux), never its code."""
    from supportplan.web.forms import PLATFORM_CHOICES

    return str(dict(PLATFORM_CHOICES).get(code, code)) if code else ""


@register.simple_tag
def channel_name(case: Any) -> str:
    catalog = _case_catalog(case)
    try:
        return catalog.channel(case.channel).name.get(get_language()) if catalog else case.channel
    except LookupError:
        return str(case.channel)


@register.simple_tag
def plan_name(case: Any) -> str:
    catalog = _case_catalog(case)
    try:
        plan = catalog.plan(case.plan_code) if catalog else None
    except LookupError:
        plan = None
    if plan is None:
        return str(case.plan_code)
    return f"{catalog.provider.name.get(get_language())} · {plan.name.get(get_language())}"


@register.simple_tag
def page_links(page: Any) -> list[Any]:
    """Page numbers around the current one, with the paginator's ellipsis between runs."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, page: Any, number: int) -> str:
    """The current URL's query string with this pager's page parameter set (filters kept)."""
    param = getattr(page, "param", "page")
    return qs_replace(context, **{param: None if number == 1 else number})


@register.simple_tag(takes_context=True)
def unread_badge(context: template.Context) -> str:
    """The top bar's count of the reader's unread notices (one indexed count per page); empty
    when there are none. The number is for the eye, the label for screen readers."""
    from supportplan.notifications.selectors import unread_count

    user = context["request"].user
    n = unread_count(user) if user.is_authenticated else 0
    if not n:
        return ""
    label = ngettext("%(n)s unread notification", "%(n)s unread notifications", n) % {"n": n}
    return format_html(
        '<span class="unread-badge" title="{}"><span aria-hidden="true">{}</span>'
        '<span class="sr-only">{}</span></span>',
        label,
        n if n < 100 else "99+",
        label,
    )


@register.simple_tag
def main_nav(user: Any) -> list[Any]:
    """The navigation links this person may use (supportplan.web.navigation)."""
    from supportplan.web.navigation import nav_items

    return nav_items(user)
