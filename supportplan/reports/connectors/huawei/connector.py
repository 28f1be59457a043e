"""The Huawei Cloud connector: collects one tenant's month from the parts in resources.py,
security.py and protection.py. What fails marks its section incomplete; an authentication
failure on the server list fails the collection."""

from __future__ import annotations

from dataclasses import dataclass

from ...data import CloudData, CollectionFailed, Incomplete, Month, SecurityData, SecurityGroup
from ..base import register
from .client import _msg
from .protection import ProtectionMixin
from .resources import ResourcesMixin, _resource
from .security import SecurityMixin


@register("huawei")
@dataclass
class HuaweiConnector(ResourcesMixin, SecurityMixin, ProtectionMixin):
    def collect(self, month: Month) -> CloudData:
        from huaweicloudsdkcore.exceptions import exceptions

        if not self.ak or not self.sk or not self.project_id:
            raise CollectionFailed("huawei", "AK, SK and project id are not all set")
        incomplete: list[Incomplete] = []
        try:
            servers = self._servers()
        except exceptions.ServiceResponseException as exc:
            if exc.status_code in (401, 403):
                raise CollectionFailed("huawei:ecs", _msg(exc)) from None
            servers = []
            incomplete.append(Incomplete("resources", "huawei:ecs", _msg(exc)))
        except exceptions.SdkException as exc:
            raise CollectionFailed("huawei:ecs", str(exc)) from None
        resources = [_resource(s, self.region) for s in servers]
        groups: dict[str, SecurityGroup] = {}
        if self.with_security_groups:
            try:
                self._groups(servers, groups)
            except exceptions.SdkException as exc:
                incomplete.append(Incomplete("security", "huawei:vpc", _msg(exc)))
        metrics = self._metrics(
            [r.id for r in resources if r.status == "running"], month, incomplete
        )
        spend = self._spend(month, incomplete)
        users = self._iam_users(incomplete)
        without_mfa = self._iam_users_without_mfa(users, incomplete)
        audit = self._audit_switch(incomplete)
        buckets = self._public_buckets(incomplete)
        waf_enabled = self._waf_enabled(incomplete)
        events = (
            self._ddos_events(month, incomplete)
            + self._aad_events(month, incomplete)
            + self._waf_events(month, incomplete)
        )
        return CloudData(
            resources=tuple(resources),
            metrics=tuple(metrics),
            security=SecurityData(
                iam_users=len(users) if users is not None else None,
                iam_users_without_mfa=without_mfa,
                security_groups=tuple(groups.values()),
                audit_logging_enabled=audit,
                public_buckets=tuple(buckets),
                waf_enabled=waf_enabled,
                events=tuple(sorted(events, key=lambda e: (e.at, e.kind, e.target))),
            ),
            spend=tuple(spend),
            incomplete=tuple(incomplete),
            sources=(f"Huawei Cloud {self.account}".strip(),),
        )
