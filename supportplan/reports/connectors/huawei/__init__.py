"""Huawei Cloud connector, on the official SDK modules (huaweicloudsdk*).

- client.py: settings, one SDK client per service (endpoint overrides), `_call` with
  retry, paging loops and small helpers;
- resources.py: ECS servers, CES metrics, BSS spend;
- security.py: VPC security groups, IAM users and MFA, CTS audit logging, OBS buckets;
- protection.py: Anti-DDoS, Advanced Anti-DDoS (AAD), WAF;
- connector.py: `HuaweiConnector`, composed from those parts, and its `collect`.

The constants below are re-exported for readers; a test that changes one patches the module
that reads it (e.g. `protection.PAGE`), since each part imported its own binding.
"""

from .client import PAGE, RETRY_STATUS
from .connector import HuaweiConnector
from .protection import DDOS_STATUS
from .resources import CES_BATCH, METRICS, STATUS
from .security import EVERYONE, IP_PROTOCOLS, SG_IDS_PER_CALL, WORLD

__all__ = [
    "CES_BATCH",
    "DDOS_STATUS",
    "EVERYONE",
    "IP_PROTOCOLS",
    "METRICS",
    "PAGE",
    "RETRY_STATUS",
    "SG_IDS_PER_CALL",
    "STATUS",
    "WORLD",
    "HuaweiConnector",
]
