"""Tencent Cloud connector, on the official SDK modules (tencentcloud-sdk-python-*).

- client.py: settings, SDK profile/credentials, the retryer, the COS client, shared helpers;
- resources.py: CVM instances, Cloud Monitor metrics, billing;
- security.py: CAM, VPC security groups, CloudAudit, COS public buckets;
- attacks.py: Anti-DDoS events, WAF;
- connector.py: `TencentConnector`, composed from the above, and `collect`.

Tests that shrink a page size patch it on the module that pages (e.g. `security.PAGE`):
a patch on this package would not reach the code.
"""

from .connector import TencentConnector

__all__ = ["TencentConnector"]
