"""Huawei Cloud attack protection: Anti-DDoS, Advanced Anti-DDoS (AAD) and WAF.

- Anti-DDoS `ListDDosStatus` (GET /v1/{project_id}/antiddos, offset/limit, `total`) for the
  protected EIPs; `ListWeeklyReports` (GET /v1/{project_id}/antiddos/weekly, the last four
  weeks) -> one `SecurityEvent(kind="ddos", count=ddos_intercept_times)` per week that
  overlaps the month, at the week's start clipped to the month; `ListDailyLog` (GET
  /v1/{project_id}/antiddos/{floating_ip_id}/logs, offset/limit, events kept 24 hours) for
  cleaning (1) and black-hole (2) events that start in the month outside every week (inside
  one they are already counted). The part of the month no week covers is named in a note;
- Advanced Anti-DDoS (huaweicloudsdkaad, global credentials, only with `domain_id`): v1
  `ListInstance` (GET /v1/aad/instances), then per instance v2 `ListDDoSAttackEvent` (POST
  /v2/aad/instances/{id}/ddos-info/attack/events, month in milliseconds, offset/limit) ->
  one DDoS event per attack at its own start time;
- WAF `ListHost` (cloud mode) and `ListPremiumHost` (dedicated mode), page/pagesize: WAF is
  on when any protected domain has protect_status 1; `ListEvent` (GET
  /v1/{project_id}/waf/event?from=&to=, milliseconds, page/pagesize) for the month's attack
  events (blocked = action "block").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from django.utils.translation import gettext_lazy as _

from ...data import BUSINESS_TZ, Incomplete, Month, SecurityEvent
from .client import PAGE, HuaweiBase, _dec, _ms, _msg

DDOS_STATUS = {1: "cleaning", 2: "black hole"}  # ListDailyLog status


class ProtectionMixin(HuaweiBase):
    # -- Anti-DDoS

    def _ddos_events(self, month: Month, incomplete: list[Incomplete]) -> list[SecurityEvent]:
        from huaweicloudsdkantiddos.v1 import ListDailyLogRequest, ListDDosStatusRequest
        from huaweicloudsdkcore.exceptions import exceptions

        client = self._client("antiddos")
        events: list[SecurityEvent] = []
        try:
            eips = self._paged(
                lambda offset: client.list_d_dos_status_invoker(
                    ListDDosStatusRequest(offset=str(offset), limit=str(PAGE))
                ),
                "ddos_status",
            )
        except exceptions.SdkException as exc:
            incomplete.append(Incomplete("security", "huawei:antiddos", _msg(exc)))
            return []
        if not eips:
            return []  # no protected EIP: nothing basic Anti-DDoS could have scrubbed
        weekly, covered = self._ddos_weeks(month, incomplete)
        failed: list[str] = []
        for eip in eips:
            try:
                logs = self._paged(
                    lambda offset, eip=eip: client.list_daily_log_invoker(
                        ListDailyLogRequest(
                            floating_ip_id=eip.floating_ip_id,
                            sort_dir="asc",
                            offset=str(offset),
                            limit=str(PAGE),
                        )
                    ),
                    "logs",
                )
            except exceptions.SdkException as exc:
                failed.append(f"{eip.floating_ip_address or eip.floating_ip_id}: {_msg(exc)}")
                continue
            for log in logs:
                at = _ms(log.start_time)
                if at is None or not month.start <= at < month.end:
                    continue
                if any(lo <= at < hi for lo, hi in covered or ()):
                    continue  # already counted in that week's statistics
                events.append(
                    SecurityEvent(
                        kind="ddos",
                        at=at,
                        target=eip.floating_ip_address or eip.floating_ip_id,
                        detail=DDOS_STATUS.get(log.status, str(log.status)),
                        blocked=True,
                    )
                )
        if failed:
            incomplete.append(Incomplete("security", "huawei:antiddos", "; ".join(failed)))
        if covered is not None:
            missing = _uncovered(month, covered)
            if missing:
                incomplete.append(
                    Incomplete(
                        "security",
                        "huawei:antiddos",
                        _note(
                            _(
                                "Anti-DDoS weekly statistics reach back four weeks only, so for "
                                "{dates} only the Anti-DDoS events of the last 24 hours are "
                                "counted."
                            ),
                            dates="; ".join(_span_text(a, b) for a, b in missing),
                        ),
                    )
                )
        return weekly + events

    def _ddos_weeks(
        self, month: Month, incomplete: list[Incomplete]
    ) -> tuple[list[SecurityEvent], list[tuple[datetime, datetime]] | None]:
        """Anti-DDoS weekly statistics (`ListWeeklyReports`, every EIP of the project): one
        event per week that overlaps the month, at the week's start clipped to the month,
        count = the week's interceptions (scrubbing and black holes). Also returns the
        parts of the month the weeks cover (None when the API fails)."""
        from huaweicloudsdkantiddos.v1 import ListWeeklyReportsRequest
        from huaweicloudsdkcore.exceptions import exceptions

        try:
            resp = self._call(
                self._client("antiddos").list_weekly_reports_invoker(ListWeeklyReportsRequest())
            )
        except exceptions.SdkException as exc:
            incomplete.append(Incomplete("security", "huawei:antiddos", _msg(exc)))
            return [], None
        events: list[SecurityEvent] = []
        covered: list[tuple[datetime, datetime]] = []
        for week in resp.weekdata or []:
            start = _ms(week.period_start_date)
            if start is None:
                continue
            end = start + timedelta(days=7)
            lo, hi = max(start, month.start), min(end, month.end)
            if lo >= hi:
                continue
            covered.append((lo, hi))
            n = int(week.ddos_intercept_times or 0)
            if n < 1:
                continue
            detail = f"week {_local_day(start)} – {_local_day(end - timedelta(seconds=1))}"
            if week.ddos_blackhole_times:
                detail += f", {week.ddos_blackhole_times} black hole"
            events.append(
                SecurityEvent(kind="ddos", at=lo, target="Anti-DDoS", detail=detail, count=n)
            )
        return events, covered

    # -- Advanced Anti-DDoS (AAD)

    def _aad_events(self, month: Month, incomplete: list[Incomplete]) -> list[SecurityEvent]:
        """Attack events of every AAD instance (v1 `ListInstance`, then v2
        `ListDDoSAttackEvent` per instance for the month, offset/limit), with their own
        start times: AAD keeps them, unlike basic Anti-DDoS. AAD is a global service asked
        with the account (domain) credentials: without `domain_id` it is not asked."""
        from huaweicloudsdkaad.v1 import ListInstanceRequest
        from huaweicloudsdkaad.v2 import (
            ListDDoSAttackEventRequest,
            ListDDoSAttackEventRequestBody,
        )
        from huaweicloudsdkcore.exceptions import exceptions

        if not self.domain_id:
            return []
        try:
            resp = self._call(self._client("aad1").list_instance_invoker(ListInstanceRequest()))
        except exceptions.SdkException as exc:
            incomplete.append(Incomplete("security", "huawei:aad", _msg(exc)))
            return []
        client = self._client("aad2")
        start, end = int(month.start.timestamp() * 1000), int(month.end.timestamp() * 1000) - 1
        out: list[SecurityEvent] = []
        failed: list[str] = []
        for ins in resp.items or []:
            try:
                rows = self._paged(
                    lambda offset, ins=ins: client.list_d_do_s_attack_event_invoker(
                        ListDDoSAttackEventRequest(
                            instance_id=ins.instance_id,
                            body=ListDDoSAttackEventRequestBody(
                                start_time=str(start), end_time=str(end), offset=offset,
                                limit=PAGE,
                            ),
                        )
                    ),
                    "data",
                )  # fmt: skip
            except exceptions.SdkException as exc:
                failed.append(f"{ins.instance_name or ins.instance_id}: {_msg(exc)}")
                continue
            for e in rows:
                at = _ms(e.start_time)
                if at is None or not month.start <= at < month.end:
                    continue
                peak = f"{_dec(e.max_drop_kbps) / 1000:g} Mbit/s" if e.max_drop_kbps else ""
                out.append(
                    SecurityEvent(
                        kind="ddos",
                        at=at,
                        target=e.zone_ip or ins.instance_name or ins.instance_id,
                        detail=", ".join(x for x in (e.attack_types or "", peak) if x),
                        blocked=True,
                    )
                )
        if failed:
            incomplete.append(Incomplete("security", "huawei:aad", "; ".join(failed)))
        return out

    # -- WAF

    def _waf_enabled(self, incomplete: list[Incomplete]) -> bool | None:
        from huaweicloudsdkcore.exceptions import exceptions
        from huaweicloudsdkwaf.v1 import ListHostRequest, ListPremiumHostRequest

        client = self._client("waf")
        kinds: list[tuple[str, Any]] = [
            ("cloud", lambda page: client.list_host_invoker(
                ListHostRequest(page=page, pagesize=PAGE)
            )),
            ("dedicated", lambda page: client.list_premium_host_invoker(
                ListPremiumHostRequest(page=str(page), pagesize=str(PAGE))
            )),
        ]  # fmt: skip
        errors: list[str] = []
        for label, invoker in kinds:
            try:
                hosts = self._paged(invoker, "items", pages=True)
            except exceptions.SdkException as exc:
                errors.append(f"{label}: {_msg(exc)}")
                continue
            if any(h.protect_status == 1 for h in hosts):
                return True
        if errors:
            incomplete.append(Incomplete("security", "huawei:waf", "; ".join(errors)))
            return None
        return False

    def _waf_events(self, month: Month, incomplete: list[Incomplete]) -> list[SecurityEvent]:
        from huaweicloudsdkcore.exceptions import exceptions
        from huaweicloudsdkwaf.v1 import ListEventRequest

        client = self._client("waf")
        start, end = int(month.start.timestamp() * 1000), int(month.end.timestamp() * 1000)
        try:
            rows = self._paged(
                lambda page: client.list_event_invoker(
                    ListEventRequest(_from=start, to=end - 1, page=page, pagesize=PAGE)
                ),
                "items",
                pages=True,
            )
        except exceptions.SdkException as exc:
            incomplete.append(Incomplete("security", "huawei:waf:events", _msg(exc)))
            return []
        out = []
        for r in rows:
            at = _ms(r.time)
            if at is None or not month.start <= at < month.end:
                continue
            out.append(
                SecurityEvent(
                    kind="waf",
                    at=at,
                    target=r.host or "",
                    detail=" ".join(x for x in (r.attack, r.url) if x),
                    blocked=r.action == "block",
                )
            )
        return out


def _note(text: Any, **params: Any) -> str:
    """A note for the reader, translated when the report is rendered in its language."""
    from django.utils.text import format_lazy

    return cast(str, format_lazy(text, **params))


def _local_day(at: datetime) -> str:
    return at.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d")


def _uncovered(
    month: Month, covered: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The parts of the month no interval in `covered` reaches, in order."""
    out: list[tuple[datetime, datetime]] = []
    at = month.start
    for lo, hi in sorted(covered):
        if lo > at:
            out.append((at, lo))
        at = max(at, hi)
    if at < month.end:
        out.append((at, month.end))
    return out


def _span_text(lo: datetime, hi: datetime) -> str:
    """[lo, hi) in Beijing time: whole days as dates ("2026-10-26 – 2026-10-31"), other
    bounds to the minute."""
    a, b = lo.astimezone(BUSINESS_TZ), hi.astimezone(BUSINESS_TZ)
    if a.time() == b.time() == datetime.min.time():
        last = (b - timedelta(days=1)).strftime("%Y-%m-%d")
        first = a.strftime("%Y-%m-%d")
        return first if first == last else f"{first} – {last}"
    return f"{a:%Y-%m-%d %H:%M} – {b:%Y-%m-%d %H:%M}"
