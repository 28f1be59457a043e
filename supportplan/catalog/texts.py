"""Catalog names as people read them, rendered in the reader's language when the message
is shown (lazily), not when it is raised.

`plan_list` is the one way a refusal names plans: the provider first, each plan once, and a
plan nobody can buy (the free default plan) says how to get it instead ("granted by
registering a Tencent Cloud account"), so no refusal sends a customer to buy it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import get_language, gettext

from .domain import Catalog, Plan, Text


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _pick(text: Text) -> str:
    return text.get(get_language())


lazy_text: Any = lazy(_pick, str)


def _plan_label(catalog: Catalog, plan: Plan) -> str:
    name = _pick(plan.name)
    if plan.purchasable or not plan.default or not plan.granted_by_clouds:
        return name
    clouds = (gettext(" or ")).join(
        _pick(catalog.provider.cloud_name(c) or Text(c, c)) for c in plan.granted_by_clouds
    )
    return gettext("%(plan)s — granted by registering a %(clouds)s account") % {
        "plan": name,
        "clouds": clouds,
    }


def _plan_list(catalog: Catalog, plans: tuple[Plan, ...]) -> str:
    seen: set[str] = set()
    labels = []
    for plan in plans:
        if plan.code not in seen:
            seen.add(plan.code)
            labels.append(_plan_label(catalog, plan))
    if not labels:
        return gettext("none (%(provider)s)") % {"provider": _pick(catalog.provider.name)}
    return gettext("%(plans)s (%(provider)s)") % {
        "provider": _pick(catalog.provider.name),
        "plans": ("、" if _zh() else ", ").join(labels),
    }


_lazy_plan_list = lazy(_plan_list, str)


def plan_list(catalog: Catalog, plans: Iterable[Plan]) -> Any:
    """ "S4 Basic — granted by registering a Tencent Cloud account, S3 Business (Tencent
    Cloud)" / "S4 基础版——注册腾讯云账号即可获得、S3 商业版（腾讯云）", in the reader's
    language; each plan once, in the order given."""
    return _lazy_plan_list(catalog, tuple(plans))


def _plan_lists(groups: tuple[tuple[Catalog, tuple[Plan, ...]], ...]) -> str:
    return ("；" if _zh() else "; ").join(_plan_list(c, plans) for c, plans in groups if plans)


_lazy_plan_lists = lazy(_plan_lists, str)


def plan_lists(groups: Iterable[tuple[Catalog, Iterable[Plan]]]) -> Any:
    """`plan_list` for plans of several providers: one list per provider, "; " between."""
    return _lazy_plan_lists(tuple((c, tuple(p)) for c, p in groups))
