"""Alertmanager notifications become cases, with every entitlement rule of the plan.

A firing alert group opens one case (its groupKey and the alerts' fingerprints deduplicate:
a repeat adds nothing, a new alert in the group adds a reply); resolved alerts add a reply
and, if the tenant chose so, mark the case resolved by monitoring for the customer to
confirm. A flood is bounded: past `max_cases` cases in `window_minutes`, further groups join
the newest open case instead of opening one each."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from supportplan.accounts.models import RegisteredSystem, Role, Tenant, User
from supportplan.cases import services as case_services
from supportplan.cases import upstream
from supportplan.cases.models import ACTIVE_STATE_VALUES, Case
from supportplan.catalog.domain import Catalog, Plan
from supportplan.core.audit import audit_log
from supportplan.core.errors import DomainError, PermissionDenied

from .models import AlertGroup, AlertReceiver

CHANNEL = "ticket"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewReceiver:
    receiver: AlertReceiver
    token: str  # shown once


def _entitled(tenant: Tenant, provider: str, now: datetime) -> tuple[str, Catalog, Plan]:
    try:
        found = upstream.sole_plan(tenant, now, provider)
    except upstream.NoPlanInForce:
        raise DomainError(
            "alerts.no_plan", _("The organisation has no support plan in force."), field="provider"
        ) from None
    except upstream.SeveralPlansInForce:
        raise DomainError(
            "alerts.provider_required",
            _("Choose the provider whose plan alert cases are filed under."),
            field="provider",
        ) from None
    return found.provider, found.catalog, found.plan


@transaction.atomic
def alert_receiver_create(
    *,
    actor: User,
    tenant: Tenant,
    name: str,
    default_severity: str,
    now: datetime,
    rules: list[dict[str, str]] | None = None,
    system: RegisteredSystem | None = None,
    provider: str = "",
    resolve_on_recovery: bool = False,
    max_cases: int = 5,
    window_minutes: int = 60,
) -> NewReceiver:
    """A tenant admin's receiver; alert cases are opened on the admin's behalf."""
    if actor.tenant_id != tenant.pk or actor.role != Role.CUSTOMER_ADMIN:
        raise PermissionDenied(
            "alerts.admin_required",
            _("Only an administrator of your organisation can set up alert receivers."),
        )
    if system is not None and system.tenant_id != tenant.pk:
        raise DomainError("alerts.system_unknown", _("Choose one of your registered systems."))
    _provider, catalog, _plan = _entitled(tenant, provider, now)
    known = {s.code for s in catalog.severities}
    for code in [default_severity, *(r.get("severity", "") for r in rules or [])]:
        if code not in known:
            raise DomainError(
                "alerts.severity_unknown",
                _("Unknown severity %(severity)s. Choose one of: %(known)s."),
                field="default_severity",
                severity=code,
                known=", ".join(sorted(known)),
            )
    for rule in rules or []:
        if not rule.get("label") or "value" not in rule:
            raise DomainError(
                "alerts.rule_invalid",
                _("Each rule needs a label, a value and a severity, e.g. severity=critical."),
                field="rules",
            )
    if not (1 <= max_cases <= 1000 and 1 <= window_minutes <= 1440):
        raise DomainError(
            "alerts.burst_invalid",
            _("Allow 1 to 1000 cases per window of 1 to 1440 minutes."),
            field="max_cases",
        )
    token = secrets.token_urlsafe(32)
    receiver = AlertReceiver.objects.create(
        tenant=tenant, name=name[:100], token_hash=token_digest(token), token_hint=token[-4:],
        system=system, provider=provider, rules=rules or [], default_severity=default_severity,
        resolve_on_recovery=resolve_on_recovery, max_cases=max_cases,
        window_minutes=window_minutes, created_by=actor, created_at=now,
    )  # fmt: skip
    audit_log(
        action="alerts.receiver_created", actor=actor, tenant=tenant, target=receiver,
        data={"name": receiver.name}, at=now,
    )  # fmt: skip
    return NewReceiver(receiver, token)


@transaction.atomic
def alert_receiver_deactivate(*, actor: User, receiver: AlertReceiver, now: datetime) -> None:
    if actor.tenant_id != receiver.tenant_id or actor.role != Role.CUSTOMER_ADMIN:
        raise PermissionDenied(
            "alerts.admin_required",
            _("Only an administrator of your organisation can set up alert receivers."),
        )
    AlertReceiver.objects.filter(pk=receiver.pk).update(active=False)
    audit_log(
        action="alerts.receiver_deactivated", actor=actor, tenant=receiver.tenant,
        target=receiver, data={"name": receiver.name}, at=now,
    )  # fmt: skip


def webhook_snippet(url: str, token: str) -> str:
    """The receiver to paste into alertmanager.yml (docs/integrations.md)."""
    return (
        "receivers:\n"
        "  - name: supportplan\n"
        "    webhook_configs:\n"
        f"      - url: {url}\n"
        "        send_resolved: true\n"
        "        http_config:\n"
        "          authorization:\n"
        "            type: Bearer\n"
        f"            credentials: {token}\n"
    )


def receiver_for_token(receiver_id: int, token: str) -> AlertReceiver | None:
    receiver = (
        AlertReceiver.objects.select_related("tenant", "created_by", "system")
        .filter(pk=receiver_id, active=True)
        .first()
    )
    if receiver is None or not token:
        return None
    if not secrets.compare_digest(receiver.token_hash, token_digest(token)):
        return None
    return receiver


# --------------------------------------------------------------------------- notifications


def _severity(receiver: AlertReceiver, labels: dict[str, str]) -> str:
    for rule in receiver.rules:
        if str(labels.get(rule["label"], "")) == str(rule["value"]):
            return rule["severity"]
    return receiver.default_severity


def _allowed(catalog: Catalog, plan: Plan, wanted: str, system_class: str | None) -> str:
    """`wanted` if the plan includes it for this system, else the most severe one it does."""

    def fits(code: str) -> bool:
        sev = catalog.severity(code)
        if system_class is None:
            return set(sev.system_classes) == {"core_production", "production", "non_production"}
        return sev.fits(system_class)

    if plan.includes_severity(wanted) and fits(wanted):
        return wanted
    for st in plan.severity_targets:  # most severe first
        if fits(st.severity.code):
            return st.severity.code
    return wanted  # nothing fits: case_open refuses with its own message


def _alert_line(alert: dict[str, Any]) -> str:
    labels = alert.get("labels") or {}
    annotations = alert.get("annotations") or {}
    name = labels.get("alertname", "alert")
    where = labels.get("instance") or labels.get("job") or ""
    text = annotations.get("summary") or annotations.get("description") or ""
    parts = [f"{name}{f' @ {where}' if where else ''}", text, f"({alert.get('startsAt', '')})"]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Outcome:
    action: str  # opened | joined | noted | resolved | ignored
    case_id: int | None


_process_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def alert_notification_receive(
    *, receiver: AlertReceiver, payload: dict[str, Any], now: datetime
) -> Outcome:
    """One Alertmanager webhook delivery (idempotent: repeats change nothing). Deliveries of
    one receiver are handled one at a time: the receiver row is locked (PostgreSQL, across
    app servers) and, for SQLite, a lock in this process as well."""
    with _locks_guard:
        lock = _process_locks.setdefault(receiver.pk, threading.Lock())
    with lock, transaction.atomic():
        return _receive(receiver, payload, now)


def _receive(receiver: AlertReceiver, payload: dict[str, Any], now: datetime) -> Outcome:
    receiver = (
        AlertReceiver.objects.select_for_update(of=("self",))
        .select_related("tenant", "created_by", "system")
        .get(pk=receiver.pk)
    )  # one delivery at a time per receiver: bursts are counted exactly
    group_key = str(payload.get("groupKey") or "")
    alerts = [a for a in payload.get("alerts") or [] if isinstance(a, dict)]
    firing = {str(a.get("fingerprint")): a for a in alerts if a.get("status") == "firing"}
    recovered = {str(a.get("fingerprint")): a for a in alerts if a.get("status") == "resolved"}
    actor = receiver.created_by
    with translation.override(receiver.tenant.language or "zh-hans"):
        group = (
            AlertGroup.objects.filter(
                receiver=receiver, group_key=group_key, case__state__in=ACTIVE_STATE_VALUES
            )
            .select_related("case")
            .order_by("-pk")
            .first()
        )
        if group is None:
            if not firing:
                return Outcome("ignored", None)
            return _open_or_join(receiver, group_key, payload, firing, now)
        group.deliveries += 1
        lines: list[str] = []
        new = [f for f in firing if f not in group.fingerprints]
        if new:
            lines.append(_("New alerts in this group:"))
            lines += [f"- {_alert_line(firing[f])}" for f in new]
            group.fingerprints = [*group.fingerprints, *new]
        done = [f for f in recovered if f in group.fingerprints and f not in group.resolved]
        if done:
            lines.append(_("Recovered:"))
            lines += [f"- {_alert_line(recovered[f])}" for f in done]
            group.resolved = [*group.resolved, *done]
        group.updated_at = now
        group.save(update_fields=["deliveries", "fingerprints", "resolved", "updated_at"])
        if not lines:
            return Outcome("ignored", group.case_id)
        case = group.case
        case_services.case_customer_reply(actor=actor, case=case, body="\n".join(lines), now=now)
        all_recovered = set(group.fingerprints) <= set(group.resolved)
        if all_recovered and receiver.resolve_on_recovery and group.opened_case:
            case.refresh_from_db()
            if case.state in ACTIVE_STATE_VALUES:
                case_services.case_resolve(
                    actor=actor, case=case, now=now,
                    summary=_("Resolved by monitoring: every alert recovered. Confirm, or reply to reopen."),
                )  # fmt: skip
                return Outcome("resolved", case.pk)
        return Outcome("noted", case.pk)


def _open_or_join(
    receiver: AlertReceiver,
    group_key: str,
    payload: dict[str, Any],
    firing: dict[str, dict[str, Any]],
    now: datetime,
) -> Outcome:
    actor = receiver.created_by
    since = now - timedelta(minutes=receiver.window_minutes)
    recent = AlertGroup.objects.filter(receiver=receiver, opened_case=True, created_at__gte=since)
    common = payload.get("commonLabels") or {}
    lines = [f"- {_alert_line(a)}" for a in firing.values()]
    if recent.count() >= receiver.max_cases:
        target = (
            Case.objects.filter(pk__in=recent.values("case_id"), state__in=ACTIVE_STATE_VALUES)
            .order_by("-created_at", "-pk")
            .first()
        )
        if target is not None:
            body = "\n".join(
                [
                    _(
                        "More alerts while %(n)s cases were opened in %(minutes)s minutes; grouped here:"
                    )
                    % {"n": receiver.max_cases, "minutes": receiver.window_minutes},
                    *lines,
                ]
            )
            case_services.case_customer_reply(actor=actor, case=target, body=body, now=now)
            AlertGroup.objects.create(
                receiver=receiver, group_key=group_key, case=target, opened_case=False,
                fingerprints=list(firing), created_at=now, updated_at=now, deliveries=1,
            )  # fmt: skip
            return Outcome("joined", target.pk)
    provider, catalog, plan = _entitled(receiver.tenant, receiver.provider, now)
    system = receiver.system
    wanted = _severity(receiver, common)
    severity = _allowed(catalog, plan, wanted, system.classification if system else None)
    name = common.get("alertname") or next(iter(firing.values())).get("labels", {}).get(
        "alertname", ""
    )
    summary = (payload.get("commonAnnotations") or {}).get("summary", "")
    subject = _("Monitoring alert: %(name)s") % {"name": name or group_key}
    if summary:
        subject = f"{subject} — {summary}"
    description = [_("Alertmanager reported these alerts firing:"), *lines]
    if severity != wanted:
        description.append(
            _(
                "The alert asked for the severity “%(wanted)s”, which the %(plan)s plan does not "
                "include for this system; the case is opened at “%(severity)s”, the most severe "
                "it does."
            )
            % {
                "wanted": catalog.severity(wanted).name.get(translation.get_language()),
                "plan": plan.name.get(translation.get_language()),
                "severity": catalog.severity(severity).name.get(translation.get_language()),
            }
        )
    if payload.get("externalURL"):
        description.append(_("Alertmanager: %(url)s") % {"url": payload["externalURL"]})
    case = case_services.case_open(
        actor=actor, tenant=receiver.tenant, provider=provider, channel=CHANNEL,
        severity=severity, subject=subject[:200], description="\n".join(description),
        system=system, now=now,
    )  # fmt: skip
    AlertGroup.objects.create(
        receiver=receiver, group_key=group_key, case=case, opened_case=True,
        fingerprints=list(firing), created_at=now, updated_at=now, deliveries=1,
    )  # fmt: skip
    audit_log(
        action="alerts.case_opened", actor=actor, tenant=receiver.tenant, target=case,
        data={"receiver_id": receiver.pk, "group_key": group_key[:200], "severity": severity,
              "asked": wanted},
        at=now,
    )  # fmt: skip
    return Outcome("opened", case.pk)
