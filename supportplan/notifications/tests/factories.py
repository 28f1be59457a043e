"""Tenants on real plans (through the subscriptions services), robots through the service,
and audit entries shaped like the ones each context writes."""

from datetime import datetime
from typing import Any

from supportplan.accounts.models import Role, Tenant, User
from supportplan.core.audit import audit_log
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0, make_tenant, make_user
from supportplan.notifications import services
from supportplan.notifications.models import Robot, Team


def tenant_on(provider: str, plan: str, *, language: str = "zh-hans", **fields: Any) -> Tenant:
    from supportplan.subscriptions.tests.factories import buy

    tenant = make_tenant(language=language, **fields)
    buy(tenant, provider, plan, term="annual")
    run_dispatch(T0)  # the purchase's events committed and were dispatched before what follows
    return tenant


def platform_admin() -> User:
    return User.objects.filter(role=Role.PLATFORM_ADMIN).first() or make_user(Role.PLATFORM_ADMIN)


def tenant_robot(
    tenant: Tenant, platform: str, url: str, secret: str = "", name: str = "Ops group"
) -> Robot:
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=tenant)
    return services.robot_add(
        actor=admin,
        tenant=tenant,
        platform=platform,
        name=name,
        webhook_url=url,
        secret=secret,
        now=T0,
    )


def team_robot(
    queues: list[str], platform: str, url: str, secret: str = "", language: str = "zh-hans"
) -> Robot:
    team = Team.objects.create(
        code=f"team-{Team.objects.count() + 1}", name="Experts", queues=queues, language=language
    )
    return services.robot_add(
        actor=platform_admin(),
        team=team,
        platform=platform,
        name="Experts group",
        webhook_url=url,
        secret=secret,
        now=T0,
    )


def case_entry(
    action: str,
    tenant: Tenant,
    *,
    at: datetime = T0,
    case_id: int = 101,
    notify: list[int] | None = None,
    actor: Any = None,
    dispatched: bool = True,
    **data: Any,
) -> AuditEntry:
    """An audit entry with the data supportplan.cases writes (_base_data + extras).

    `dispatched` (default): the event committed and the dispatch task ran (it runs after
    commit, which a test inside a transaction never reaches), so its messages exist."""
    body = {
        "case_id": case_id,
        "tenant_id": tenant.pk,
        "subject": "Database connection refused",
        "severity": "production_down",
        "provider": "partner",
        "plan": "vip",
        "queue": "senior_expert",
        "state": "open",
        "assignee_id": None,
        "tam_id": tenant.tam_id,
        "requester_id": None,
        "notify": notify or [],
        **data,
    }
    entry = audit_log(action=action, at=at, actor=actor, tenant=tenant, data=body)
    if dispatched:
        run_dispatch(at)
    return entry


def run_dispatch(now: datetime = T0) -> int:
    """What the dispatch task does after the events commit: recipients, rendering, outbox rows
    and in-app notices for every event up to `now` (tests run inside one transaction, so the
    on-commit task never fires by itself)."""
    return services.dispatch_pending(now=now)
