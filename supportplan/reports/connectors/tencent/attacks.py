"""Tencent Cloud attacks, for the security section:

- Anti-DDoS `DescribeOverviewDDoSEventList` (2020-03-09, Offset/Limit, Beijing-time
  window of the month) -> `SecurityEvent(kind="ddos")`;
- WAF `DescribeDomains` (2018-01-25, Offset/Limit): WAF is on when any domain's Status is
  1; `GetAttackTotalCount` (Domain "all", one call per Beijing day) -> the exact number of
  attacks per day; `SearchAttackLog` (Domain "all", Page from 0, 100 per page, at most
  `max_waf_events`) only splits each day into blocked and observed (blocked unless the
  entry's action is an observe/log action) and names domains and attack types ->
  `SecurityEvent(kind="waf", count=N)` per day and outcome; attacks the listing did not
  reach count as blocked, with a note saying how many.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from django.utils.translation import gettext_lazy as _

from ...data import BUSINESS_TZ, Incomplete, Month, SecurityEvent
from .client import PAGE, TencentClient, _msg

WAF_PAGE = 100  # SearchAttackLog: at most 100 entries per page
OBSERVED = ("observe", "observed", "log", "monitor", "pass", "观察", "放行")  # logged, not blocked


class TencentAttacks(TencentClient):
    """Anti-DDoS events and WAF; mixed into `TencentConnector`."""

    def _ddos_events(self, month: Month, incomplete: list[Incomplete]) -> list[SecurityEvent]:
        from tencentcloud.antiddos.v20200309 import antiddos_client, models
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        client = antiddos_client.AntiddosClient(self._cred(), "", self._profile())
        out: list[SecurityEvent] = []
        try:
            while True:
                req = models.DescribeOverviewDDoSEventListRequest()
                req.StartTime, req.EndTime = _window(month)
                req.Offset = len(out)
                req.Limit = PAGE
                resp = client.DescribeOverviewDDoSEventList(req)
                for e in resp.EventList or []:
                    detail = ", ".join(
                        x for x in (e.AttackType or "", f"{e.Mbps} Mbps" if e.Mbps else "") if x
                    )
                    out.append(
                        SecurityEvent(
                            kind="ddos",
                            at=_instant(e.StartTime) or month.start,
                            target=e.Vip or e.InstanceId or "",
                            detail=detail,
                        )
                    )
                if not resp.EventList or len(out) >= (resp.Total or 0):
                    return out
        except TencentCloudSDKException as exc:
            incomplete.append(Incomplete("security", "tencent:antiddos", _msg(exc)))
            return []

    def _waf(
        self, month: Month, incomplete: list[Incomplete]
    ) -> tuple[bool | None, list[SecurityEvent]]:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.waf.v20180125 import models, waf_client

        client = waf_client.WafClient(self._cred(), "", self._profile())
        enabled: bool | None = False
        try:
            seen = 0
            while True:
                req = models.DescribeDomainsRequest()
                req.Offset = seen
                req.Limit = PAGE
                resp = client.DescribeDomains(req)
                domains = resp.Domains or []
                if any(d.Status == 1 for d in domains):
                    enabled = True
                    break
                seen += len(domains)
                if not domains or seen >= (resp.Total or 0):
                    break
        except TencentCloudSDKException as exc:
            incomplete.append(Incomplete("security", "tencent:waf", _msg(exc)))
            enabled = None
        totals = self._waf_day_totals(client, month, incomplete)
        listed, capped = self._waf_log(client, month, incomplete)
        if totals is None:  # no exact counts: the listed entries, one attack each
            if capped:
                incomplete.append(
                    Incomplete(
                        "security",
                        "tencent:waf",
                        f"more than {self.max_waf_events} WAF attack log entries in "
                        f"{month.label}; the report counts the first {len(listed)}",
                    )
                )
            return enabled, listed
        events, unlisted = _waf_day_events(totals, listed)
        if unlisted:
            incomplete.append(
                Incomplete(
                    "security",
                    "tencent:waf",
                    _note(
                        _(
                            "{unlisted} of the {total} WAF attacks in {month} are not in the "
                            "attack log listing, so whether they were blocked or only observed "
                            "is unknown; they are counted as blocked."
                        ),
                        unlisted=unlisted,
                        total=sum(totals.values()),
                        month=month.label,
                    ),
                )
            )
        return enabled, events

    def _waf_day_totals(
        self, client: Any, month: Month, incomplete: list[Incomplete]
    ) -> dict[date, int] | None:
        """Attacks per Beijing day of the month (GetAttackTotalCount, every domain): exact
        counts however many there are, unlike the capped log listing. None when the API
        fails (the note names the error)."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.waf.v20180125 import models

        out: dict[date, int] = {}
        for day in _days(month):
            req = models.GetAttackTotalCountRequest()
            req.StartTime, req.EndTime = _day_window(day)
            req.Domain = "all"
            req.QueryString = ""
            try:
                out[day] = int(client.GetAttackTotalCount(req).TotalCount or 0)
            except TencentCloudSDKException as exc:
                incomplete.append(Incomplete("security", "tencent:waf", _msg(exc)))
                return None
        return out

    def _waf_log(
        self, client: Any, month: Month, incomplete: list[Incomplete]
    ) -> tuple[list[SecurityEvent], bool]:
        """The month's attack log entries (SearchAttackLog, Page from 0), at most
        `max_waf_events`: what was attacked, how, and whether it was blocked. Returns the
        entries and whether the listing stopped at the cap."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.waf.v20180125 import models

        events: list[SecurityEvent] = []
        try:
            page = 0
            while True:
                sreq = models.SearchAttackLogRequest()
                sreq.Domain = "all"
                sreq.StartTime, sreq.EndTime = _window(month)
                sreq.Context = ""  # paging is by Page now; the API wants it empty
                sreq.QueryString = ""
                sreq.Count = WAF_PAGE
                sreq.Sort = "asc"
                sreq.Page = page
                sresp = client.SearchAttackLog(sreq)
                rows = sresp.Data or []
                events += [_waf_event(r, month) for r in rows]
                if len(rows) < WAF_PAGE or sresp.ListOver:
                    return events, False
                if len(events) >= self.max_waf_events:
                    return events, True
                page += 1
        except TencentCloudSDKException as exc:
            incomplete.append(Incomplete("security", "tencent:waf", _msg(exc)))
            return [], False


def _window(month: Month) -> tuple[str, str]:
    """The month as the security APIs take it: Beijing time, both ends inclusive."""
    fmt = "%Y-%m-%d %H:%M:%S"
    last = month.end - timedelta(seconds=1)
    return month.start.astimezone(BUSINESS_TZ).strftime(fmt), last.astimezone(BUSINESS_TZ).strftime(
        fmt
    )


def _instant(value: Any) -> datetime | None:
    """Epoch seconds or milliseconds, or an ISO-like text (no zone = Beijing time)."""
    text = str(value or "").strip()
    if not text:
        return None
    if text.isdigit():
        n = int(text)
        return datetime.fromtimestamp(n / 1000 if n > 10**11 else n, UTC)
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=BUSINESS_TZ)
    return at.astimezone(UTC)


def _waf_event(row: Any, month: Month) -> SecurityEvent:
    try:
        content = json.loads(row.Content or "{}")
    except ValueError:
        content = {}
    if not isinstance(content, dict):
        content = {}
    at = _instant(row.TimeStamp) or _instant(content.get("timestamp")) or month.start
    action = str(content.get("action", "")).strip().lower()
    return SecurityEvent(
        kind="waf",
        at=at,
        target=str(content.get("domain") or content.get("host") or ""),
        detail=str(content.get("attack_type") or content.get("rule_name") or ""),
        blocked=action not in OBSERVED,
    )


def _note(text: Any, **params: Any) -> str:
    """A note for the reader, translated when the report is rendered in its language."""
    from django.utils.text import format_lazy

    return cast(str, format_lazy(text, **params))


def _days(month: Month) -> list[date]:
    first = month.start.date()
    return [first + timedelta(days=i) for i in range((month.end.date() - first).days)]


def _day_window(day: date) -> tuple[str, str]:
    """One Beijing day as GetAttackTotalCount takes it: ISO 8601, both ends inclusive."""
    start = datetime(day.year, day.month, day.day, tzinfo=BUSINESS_TZ)
    return start.isoformat(), (start + timedelta(days=1, seconds=-1)).isoformat()


def _waf_day_events(
    totals: dict[date, int], listed: list[SecurityEvent]
) -> tuple[list[SecurityEvent], int]:
    """One event per day and outcome whose count is the day's exact total: the listed
    entries split it into observed (logged only) and blocked and name the domains and
    attack types; attacks the listing did not reach count as blocked. Returns the events
    and how many attacks were not listed."""
    by_day: dict[date, list[SecurityEvent]] = {}
    for e in listed:
        by_day.setdefault(e.at.astimezone(BUSINESS_TZ).date(), []).append(e)
    out: list[SecurityEvent] = []
    unlisted = 0
    for day, total in sorted(totals.items()):
        if total <= 0:
            continue
        rows = by_day.get(day, [])
        observed = [e for e in rows if not e.blocked]
        n_observed = min(len(observed), total)
        unlisted += max(0, total - len(rows))
        at = datetime(day.year, day.month, day.day, tzinfo=BUSINESS_TZ).astimezone(UTC)
        for blocked, part, n in (
            (True, [e for e in rows if e.blocked], total - n_observed),
            (False, observed, n_observed),
        ):
            if n > 0:
                out.append(
                    SecurityEvent(
                        kind="waf",
                        at=at,
                        target=", ".join(sorted({e.target for e in part if e.target})),
                        detail=_most_first(e.detail for e in part),
                        blocked=blocked,
                        count=n,
                    )
                )
    return out, unlisted


def _most_first(values: Any) -> str:
    counts = Counter(v for v in values if v)
    return ", ".join(v for v, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
