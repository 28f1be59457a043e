"""What changes between two versions of a provider's catalog, and which plans it touches.

Pure. Both catalogs are flattened to ``path -> value`` maps (one per plan, one for the
catalog-wide definitions) and compared; a catalog-wide change (a channel's hours, a
service's lead time, a software version range) is attributed to every plan that includes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .domain import Catalog, Plan, Text

Flat = dict[str, str]


def format_duration(value: timedelta | None) -> str:
    if value is None:
        return "-"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days and not rest:
        return f"{days}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes // 60}h{mins}m" if minutes >= 60 else f"{mins}m"


def _t(text: Text | None) -> str:
    return "-" if text is None else f"{text.zh_hans} / {text.en}"


def _plan_flat(plan: Plan) -> Flat:
    flat: Flat = {
        "name": _t(plan.name),
        "rank": str(plan.rank),
        "monthly_price": str(plan.monthly_price),
        "purchasable": str(plan.purchasable).lower(),
        "default": str(plan.default).lower(),
        "billing_terms": ", ".join(plan.billing_terms) or "-",
        "requires_technical_contact": str(plan.requires_technical_contact).lower(),
        "handler_tier": plan.handler_tier,
        "response_note": _t(plan.response_note),
    }
    for pc in plan.channels:
        flat[f"channels.{pc.code}"] = "dedicated" if pc.dedicated else "included"
    for st in plan.severity_targets:
        base = f"severities.{st.severity.code}"
        flat[f"{base}.first_response"] = format_duration(st.targets.first_response)
        if st.targets.resolution:
            flat[f"{base}.resolution"] = format_duration(st.targets.resolution)
        if st.targets.next_response:
            flat[f"{base}.next_response"] = format_duration(st.targets.next_response)
    for feature in plan.features:
        flat[f"features.{feature.code}"] = "included"
    for grant in plan.services:
        flat[f"services.{grant.code}"] = (
            f"quota={grant.quota if grant.quota is not None else '-'} "
            f"max_requests={grant.max_requests if grant.max_requests is not None else '-'} "
            f"paid={str(grant.paid).lower()} terms={','.join(grant.terms)}"
        )
    return flat


def _catalog_flat(catalog: Catalog) -> Flat:
    flat: Flat = {
        "provider.name": _t(catalog.provider.name),
        "provider.currency": catalog.provider.currency,
    }
    for s in catalog.severities:
        base = f"severities.{s.code}"
        flat.update(
            {
                f"{base}.name": _t(s.name),
                f"{base}.definition": _t(s.definition),
                f"{base}.order": str(s.order),
                f"{base}.urgent": str(s.urgent).lower(),
                f"{base}.system_classes": ", ".join(s.system_classes),
            }
        )
    for c in catalog.channels:
        base = f"channels.{c.code}"
        flat.update(
            {
                f"{base}.name": _t(c.name),
                f"{base}.calendar": c.calendar,
                f"{base}.contact": _t(c.contact),
                f"{base}.staff_logged": str(c.staff_logged).lower(),
                f"{base}.platforms": ", ".join(p.code for p in c.platforms) or "-",
            }
        )
    for f in catalog.features:
        base = f"features.{f.code}"
        flat.update(
            {
                f"{base}.name": _t(f.name),
                f"{base}.calendar": f.calendar or "-",
                f"{base}.staff_role": f.staff_role or "-",
            }
        )
    for sv in catalog.services:
        base = f"services.{sv.code}"
        lead = sv.lead_time
        flat.update(
            {
                f"{base}.name": _t(sv.name),
                f"{base}.unit": sv.unit,
                f"{base}.whole_days": str(sv.whole_days).lower(),
                f"{base}.lead_time": f"{lead.working_days} working days, {lead.enforcement}"
                if lead
                else "-",
                f"{base}.locks_order": str(sv.locks_order).lower(),
                f"{base}.price": str(sv.price) if sv.price is not None else "-",
                f"{base}.urgent_first_response": format_duration(sv.urgent_first_response),
            }
        )
    for sw in catalog.software:
        base = f"software.{sw.code}"
        for pv in sw.versions:
            flat[f"{base}.versions.{pv.platform}"] = pv.text
        flat[f"{base}.scope"] = _t(sw.scope)
    for o in catalog.out_of_scope:
        flat[f"out_of_scope.{o.code}.where_to_go"] = _t(o.where_to_go)
        flat[f"out_of_scope.{o.code}.description"] = _t(o.description)
    return flat


@dataclass(frozen=True)
class Change:
    """One difference. `plans` are the plan codes whose customers it affects."""

    subject: str  # "plans.vip.monthly_price", "channels.im_group.calendar", …
    old: str | None  # None: added
    new: str | None  # None: removed
    plans: tuple[str, ...]

    @property
    def area(self) -> str:
        parts = self.subject.split(".")
        return parts[2] if parts[0] == "plans" and len(parts) > 2 else parts[0]

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed"

    def __str__(self) -> str:
        if self.old is None:
            return f"+ {self.subject} = {self.new}"
        if self.new is None:
            return f"- {self.subject} (was {self.old})"
        return f"~ {self.subject}: {self.old} -> {self.new}"


def _compare(
    old: Flat, new: Flat, prefix: str, plans_for: dict[str, tuple[str, ...]]
) -> list[Change]:
    changes = []
    for key in list(old) + [k for k in new if k not in old]:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        subject = f"{prefix}{key}"
        changes.append(Change(subject, before, after, plans_for.get(key, ())))
    return changes


def _users_of(catalog: Catalog | None, section: str, code: str) -> set[str]:
    if catalog is None:
        return set()
    finder = {
        "severities": catalog.plans_including_severity,
        "channels": catalog.plans_including_channel,
        "features": catalog.plans_including_feature,
        "services": catalog.plans_including_service,
    }.get(section)
    if finder is None:  # provider, software, out-of-scope: every plan
        return {p.code for p in catalog.plans}
    return {p.code for p in finder(code)}


def diff_catalogs(old: Catalog | None, new: Catalog) -> list[Change]:
    """Every difference from `old` (None: nothing loaded yet) to `new`."""
    changes: list[Change] = []
    old_plans = {p.code: p for p in old.plans} if old else {}
    order = [p.code for p in new.plans] + [
        c for c in old_plans if c not in {p.code for p in new.plans}
    ]
    new_plans = {p.code: p for p in new.plans}
    for code in order:
        before = _plan_flat(old_plans[code]) if code in old_plans else {}
        after = _plan_flat(new_plans[code]) if code in new_plans else {}
        if not before or not after:
            state = "added" if not before else "removed"
            changes.append(
                Change(
                    f"plans.{code}",
                    None if state == "added" else _t(old_plans[code].name),
                    None if state == "removed" else _t(new_plans[code].name),
                    (code,),
                )
            )
            continue
        changes.extend(
            _compare(before, after, f"plans.{code}.", {k: (code,) for k in after | before})
        )

    old_flat = _catalog_flat(old) if old else {}
    new_flat = _catalog_flat(new)
    plans_for: dict[str, tuple[str, ...]] = {}
    rank = {p.code: i for i, p in enumerate([*new.plans, *(old.plans if old else ())])}
    for key in old_flat.keys() | new_flat.keys():
        section, _, rest = key.partition(".")
        code = rest.split(".")[0]
        users = _users_of(old, section, code) | _users_of(new, section, code)
        plans_for[key] = tuple(sorted(users, key=lambda c: rank.get(c, 99)))
    changes.extend(_compare(old_flat, new_flat, "", plans_for))
    return changes
