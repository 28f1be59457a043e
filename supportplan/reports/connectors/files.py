"""File connector: a month's cloud data as JSON (one file) or CSV (a folder), for clouds
without an API connector. Schema in docs/reports.md ("File connector").

`path` may contain `{month}` (e.g. ``/srv/exports/acme/{month}.json``). Every problem is
reported with the file, row and field and how to fix it; a missing or unreadable file
fails the collection ("not generated, because ...").
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np

from ..data import (
    BUSINESS_TZ,
    METRICS,
    CloudData,
    CollectionFailed,
    MetricSeries,
    Month,
    Resource,
    SecurityData,
    SecurityEvent,
    SecurityGroup,
    SpendLine,
)
from ..ports import PortSpecError, parse_port_spec
from .base import Connector, register

STATUSES = ("running", "stopped", "other")


class FileProblem(ValueError):
    pass


@register("file")
@dataclass
class FileConnector(Connector):
    path: str = ""
    cloud: str = "other"
    label: str = ""

    def collect(self, month: Month) -> CloudData:
        if not self.path:
            raise CollectionFailed("file", "no path is configured")
        path = Path(self.path.replace("{month}", month.label))
        if not path.exists():
            raise CollectionFailed(
                "file", f"{path} does not exist (expected the export for {month.label})"
            )
        try:
            raw = _read_json(path) if path.is_file() else _read_csv_dir(path)
            return parse(raw, self.cloud, source=self.label or f"file {path.name}")
        except FileProblem as exc:
            raise CollectionFailed("file", str(exc)) from None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise FileProblem(f"{path.name}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise FileProblem(
            f"{path.name}: not valid JSON at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise FileProblem(
            f"{path.name}: the top level must be an object with resources, metrics, security, spend"
        )
    return data


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _read_csv_dir(path: Path) -> dict[str, Any]:
    """resources.csv, metrics.csv (resource_id,metric,timestamp,value), spend.csv,
    security_groups.csv (id,name,open_to_world with ';' between ports, optional region),
    security.json."""
    metrics: dict[tuple[str, str], list[list[Any]]] = defaultdict(list)
    for i, row in enumerate(_rows(path / "metrics.csv"), start=2):
        key = (row.get("resource_id", ""), row.get("metric", ""))
        metrics[key].append(
            [row.get("timestamp", ""), row.get("value", ""), f"metrics.csv row {i}"]
        )
    security: dict[str, Any] = {}
    if (path / "security.json").exists():
        security = _read_json(path / "security.json")
    groups = [
        {
            "id": r.get("id", ""),
            "name": r.get("name", ""),
            "open_to_world": [p for p in (r.get("open_to_world") or "").split(";") if p],
            "region": r.get("region") or "",
        }
        for r in _rows(path / "security_groups.csv")
    ]
    if groups:
        security["security_groups"] = groups
    return {
        "resources": _rows(path / "resources.csv"),
        "metrics": [{"resource_id": k[0], "metric": k[1], "points": v} for k, v in metrics.items()],
        "security": security,
        "spend": _rows(path / "spend.csv"),
    }


def parse(raw: dict[str, Any], cloud: str, *, source: str = "file") -> CloudData:
    problems: list[str] = []
    resources = []
    for i, r in enumerate(raw.get("resources") or [], start=1):
        where = f"resources[{i}]"
        rid = str(r.get("id") or "").strip()
        if not rid:
            problems.append(f"{where}: id is missing")
            continue
        status = str(r.get("status") or "running").lower()
        if status not in STATUSES:
            problems.append(
                f"{where} ({rid}): status {status!r} must be one of {', '.join(STATUSES)}"
            )
            continue
        resources.append(
            Resource(
                cloud=str(r.get("cloud") or cloud),
                product=str(r.get("product") or "VM"),
                id=rid,
                name=str(r.get("name") or rid),
                status=status,
                spec=str(r.get("spec") or ""),
                region=str(r.get("region") or ""),
                zone=str(r.get("zone") or ""),
                created_at=_when(r.get("created_at"), f"{where}.created_at", problems)
                if r.get("created_at")
                else None,
                ip=str(r.get("ip") or ""),
                ha_group=str(r.get("ha_group") or ""),
                system=str(r.get("system") or ""),
            )
        )
    series = []
    for i, m in enumerate(raw.get("metrics") or [], start=1):
        where = f"metrics[{i}]"
        metric = str(m.get("metric") or "")
        if metric not in METRICS:
            problems.append(
                f"{where}: metric {metric!r} is unknown; use one of {', '.join(METRICS)}"
            )
            continue
        ts, vals = [], []
        for j, point in enumerate(m.get("points") or [], start=1):
            at = point[2] if len(point) > 2 else f"{where}.points[{j}]"
            when = _when(point[0], at, problems)
            try:
                value = float(point[1])
            except (TypeError, ValueError, IndexError):
                problems.append(
                    f"{at}: value {point[1] if len(point) > 1 else None!r} is not a number"
                )
                continue
            if when is not None:
                ts.append(int(when.timestamp()))
                vals.append(value)
        series.append(
            MetricSeries(
                str(m.get("resource_id") or ""),
                metric,
                np.asarray(ts, np.int64),
                np.asarray(vals, np.float64),
            )
        )
    sec = raw.get("security") or {}
    events = []
    for i, e in enumerate(sec.get("events") or [], start=1):
        kind = str(e.get("kind") or "")
        if kind not in ("ddos", "waf"):
            problems.append(f"security.events[{i}]: kind must be ddos or waf")
            continue
        when = _when(e.get("at"), f"security.events[{i}].at", problems)
        count = _count(e.get("count", 1), f"security.events[{i}].count", problems)
        if when is not None and count is not None:
            events.append(
                SecurityEvent(
                    kind,
                    when,
                    str(e.get("target") or ""),
                    str(e.get("detail") or ""),
                    bool(e.get("blocked", True)),
                    count,
                )
            )
    groups = []
    for i, g in enumerate(sec.get("security_groups") or [], start=1):
        ports = _port_specs(g.get("open_to_world"), f"security.security_groups[{i}]", problems)
        groups.append(
            SecurityGroup(
                str(g.get("id")),
                str(g.get("name") or g.get("id")),
                ports,
                str(g.get("region") or ""),
            )
        )
    spend = []
    for i, s in enumerate(raw.get("spend") or [], start=1):
        try:
            amount = Decimal(str(s.get("amount")))
        except (InvalidOperation, TypeError):
            problems.append(f"spend[{i}]: amount {s.get('amount')!r} is not a number")
            continue
        month = str(s.get("month") or "")
        if len(month) != 7 or month[4] != "-":
            problems.append(f"spend[{i}]: month {month!r} must be written YYYY-MM")
            continue
        spend.append(SpendLine(month, str(s.get("product") or "?"), amount))
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise FileProblem("; ".join(problems[:10]) + more)
    return CloudData(
        resources=tuple(resources),
        metrics=tuple(series),
        security=SecurityData(
            iam_users=_int(sec.get("iam_users")),
            iam_users_without_mfa=_int(sec.get("iam_users_without_mfa")),
            security_groups=tuple(groups),
            audit_logging_enabled=sec.get("audit_logging_enabled"),
            public_buckets=tuple(sec.get("public_buckets") or ()),
            waf_enabled=sec.get("waf_enabled"),
            events=tuple(events),
        ),
        spend=tuple(spend),
        sources=(source,),
    )


def _when(value: Any, where: str, problems: list[str]) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value.strip().isdigit():  # epoch seconds (CSV)
        return datetime.fromtimestamp(int(value), UTC)
    try:
        d = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        problems.append(
            f"{where}: {value!r} is not a date-time (use ISO 8601, e.g. 2026-10-01T08:00:00+08:00, or epoch seconds)"
        )
        return None
    return (d if d.tzinfo else d.replace(tzinfo=BUSINESS_TZ)).astimezone(UTC)


def _count(value: Any, where: str, problems: list[str]) -> int | None:
    """How many attacks one event entry stands for: a whole number >= 1 (JSON number or
    digits); absent = 1."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append(
            f"{where}: {value!r} is not a whole number of at least 1 (how many attacks this "
            "entry stands for; leave it out for one)"
        )
        return None
    return value


def _port_specs(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    """open_to_world: a list of port specs (or one string with ';' between them), each
    checked against the grammar in ports.py so a typo is reported, not silently ignored."""
    if value is None or value == "":
        return ()
    items = value.split(";") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        problems.append(f'{where}.open_to_world: must be a list such as ["tcp/22", "all"]')
        return ()
    out = []
    for j, item in enumerate(items, start=1):
        if not isinstance(item, str):
            problems.append(f'{where}.open_to_world[{j}]: {item!r} must be text like "tcp/22"')
            continue
        try:
            out.append(parse_port_spec(item).text)
        except PortSpecError as exc:
            problems.append(f"{where}.open_to_world[{j}]: {exc}")
    return tuple(out)


def _int(v: Any) -> int | None:
    return None if v is None or v == "" else int(v)
