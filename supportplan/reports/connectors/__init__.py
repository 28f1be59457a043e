"""Data connectors: each collects ONE tenant's month in memory and returns `CloudData`.

Nothing is written on the way: the builder renders the report from what a connector
returns and only the finished report is stored (SPEC §2). A part a connector cannot
collect becomes an `Incomplete` entry (the section says so); a connector that cannot
collect anything raises `CollectionFailed` (the month gets a "not generated" record).
"""

from .base import Connector, connector_for

__all__ = ["Connector", "connector_for"]
