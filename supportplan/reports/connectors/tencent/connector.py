"""The Tencent Cloud connector: collects one tenant's month from the client mixins."""

from __future__ import annotations

from dataclasses import dataclass

from ...data import (
    CloudData,
    Incomplete,
    MetricSeries,
    Month,
    Resource,
    SecurityData,
    SecurityGroup,
)
from ..base import register
from .attacks import TencentAttacks
from .client import AUTH_ERRORS, _msg
from .resources import TencentResources
from .security import TencentSecurity


@register("tencent")
@dataclass
class TencentConnector(TencentResources, TencentSecurity, TencentAttacks):
    def collect(self, month: Month) -> CloudData:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        from ...data import CollectionFailed

        if not self.secret_id or not self.secret_key:
            raise CollectionFailed("tencent", "SecretId/SecretKey are not set")
        incomplete: list[Incomplete] = []
        resources: list[Resource] = []
        for region in self.regions:
            try:
                resources += self._instances(region)
            except TencentCloudSDKException as exc:
                if exc.get_code().startswith(AUTH_ERRORS):
                    raise CollectionFailed(
                        "tencent:cvm", f"{exc.get_code()}: {exc.get_message()}"
                    ) from None
                incomplete.append(Incomplete("resources", f"tencent:cvm:{region}", _msg(exc)))
        metrics: list[MetricSeries] = []
        for region in self.regions:
            ids = [r.id for r in resources if r.region == region and r.status == "running"]
            metrics += self._metrics(region, ids, month, incomplete)
        spend = self._spend(month, incomplete)
        security = self._security(month, incomplete)
        return CloudData(
            resources=tuple(resources),
            metrics=tuple(metrics),
            security=security,
            spend=tuple(spend),
            incomplete=tuple(incomplete),
            sources=(f"Tencent Cloud {self.account}".strip(),),
        )

    # -- Security: CAM, VPC, CloudAudit, COS (security.py), Anti-DDoS, WAF (attacks.py)

    def _security(self, month: Month, incomplete: list[Incomplete]) -> SecurityData:
        users, without_mfa = self._cam(incomplete)
        groups: list[SecurityGroup] = []
        for region in self.regions:
            groups += self._security_groups(region, incomplete)
        waf_enabled, waf_events = self._waf(month, incomplete)
        return SecurityData(
            iam_users=users,
            iam_users_without_mfa=without_mfa,
            security_groups=tuple(groups),
            audit_logging_enabled=self._audit(incomplete),
            public_buckets=tuple(self._public_buckets(incomplete)),
            waf_enabled=waf_enabled,
            events=tuple(self._ddos_events(month, incomplete) + waf_events),
        )
