from datetime import timedelta
from typing import Any

from supportplan.accounts import services as accounts
from supportplan.accounts.models import Role, Tenant
from supportplan.advisories import services
from supportplan.advisories.models import Advisory
from supportplan.core.testing import T0, make_tenant, make_user


def customer(
    provider: str, plan: str, *, tam: Any = None, clouds: Any = (), language: str = "zh-hans"
) -> Tenant:
    from supportplan.subscriptions.tests.factories import buy

    tenant = make_tenant(language=language, tam=tam)
    for n, (cloud, regions) in enumerate(clouds):
        accounts.cloud_account_add(
            tenant=tenant,
            cloud=cloud,
            account_id=f"{tenant.slug}-{n}",
            regions=list(regions),
            now=T0,
        )
    buy(tenant, provider, plan, term="annual")
    dispatched(T0)  # the purchase's notifications go out before the test's people exist
    return tenant


def dispatched(now: Any) -> None:
    """The notification dispatch task after the events up to `now` committed (it runs on
    commit, which a test inside a transaction never reaches)."""
    from supportplan.notifications.services import dispatch_pending

    dispatch_pending(now=now)


def draft(author: Any, **fields: Any) -> Advisory:
    values = {
        "kind": "security_vulnerability",
        "severity": "critical",
        "title": {"zh-hans": "OpenSSH 远程代码执行漏洞", "en": "OpenSSH remote code execution"},
        "body": {
            "zh-hans": "regreSSHion 漏洞影响 OpenSSH 9.8 之前的版本。",
            "en": "regreSSHion affects OpenSSH before 9.8.",
        },
        "actions": {"zh-hans": "升级到 9.8 或更高版本。", "en": "Upgrade to 9.8 or later."},
        "clouds": ["huawei"],
        "now": T0,
        "contact_within": timedelta(hours=2),
    }
    values.update(fields)
    return services.advisory_create(actor=author, **values)


def staff(role: str = Role.SUPPORT_MANAGER, **kw: Any):
    return make_user(role, **kw)
