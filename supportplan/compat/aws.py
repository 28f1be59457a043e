"""The AWS Support API (2013-04-15, JSON 1.1) served at /compat/aws-support/.

`boto3.client("support", endpoint_url="https://HOST/compat/aws-support")` and
`aws support … --endpoint-url …` work unchanged. Each operation translates its input to the
same case services the web and the REST API call, with every entitlement rule of the plan;
refusals come back in AWS's error shape (`__type`, `message`) in the key owner's language.
What maps to what: docs/compat.md.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from supportplan.calendars.selectors import calendar_for
from supportplan.cases import selectors as case_selectors
from supportplan.cases import services as case_services
from supportplan.cases import upstream
from supportplan.cases.models import Case, CaseState
from supportplan.catalog.domain import Catalog
from supportplan.core import clock
from supportplan.core.errors import DomainError

from . import advisor, common, sigv4
from .models import AccessKey

TARGET_PREFIX = "AWSSupport_20130415."
SERVICE = "support"
MAX_BODY = 25 * 1024 * 1024
CHANNEL = "ticket"  # the API is the provider's ticket channel
API_CODES = ("low", "normal", "high", "urgent", "critical")  # least severe first, as AWS


class AwsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _answer(body: dict[str, Any], status: int = 200) -> HttpResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/x-amz-json-1.1"
    return response


def _error(code: str, message: str, status: int = 400) -> HttpResponse:
    response = _answer({"__type": code, "message": message}, status)
    response["x-amzn-ErrorType"] = code
    return response


@csrf_exempt
def endpoint(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _error("UnknownOperationException", "The AWS Support API takes POST requests.")
    target = request.headers.get("X-Amz-Target", "")
    operation = (
        OPERATIONS.get(target.removeprefix(TARGET_PREFIX))
        if target.startswith(TARGET_PREFIX)
        else None
    )
    if operation is None:
        return _error("UnknownOperationException", f"Unknown operation {target or '(none)'}.")
    now = clock.now()
    body = read_body(request)
    if body is None:
        return _error("RequestEntityTooLarge", "The request body is larger than 25 MB.", 413)
    try:
        key = sigv4.verify(
            request, body, service=SERVICE, now=now, once=operation.__name__ in WRITES
        )
    except sigv4.Refused as refused:
        return _error(refused.code, refused.message, refused.status)
    try:
        params = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        return _error("SerializationException", "The request body is not JSON.")
    if not isinstance(params, dict):
        return _error("SerializationException", "The request body must be a JSON object.")
    with translation.override(key.user.language or "zh-hans"):
        try:
            return _answer(operation(Call(key, params, now)))
        except AwsError as exc:
            return _error(exc.code, exc.message, exc.status)
        except common.EdgeError as exc:
            return _error(_ERRORS.get(exc.kind, "InvalidParameterValueException"), exc.message)
        except DomainError as exc:
            return _error(_domain_code(exc), exc.message, 400)


def read_body(request: HttpRequest) -> bytes | None:
    """The raw body, up to what three 5 MB attachments take in base64 (Django's own 2.5 MB
    cap for form bodies does not fit AddAttachmentsToSet); None when larger."""
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return None
    return request.read(MAX_BODY + 1)


def _domain_code(exc: DomainError) -> str:
    if exc.status == 404:
        return "CaseIdNotFound"
    return "InvalidParameterValueException"


class Call:
    """One signed call: the key's person, the JSON input, the instant."""

    def __init__(self, key: AccessKey, params: dict[str, Any], now: datetime) -> None:
        self.key, self.user, self.params, self.now = key, key.user, params, now

    def text(self, name: str, default: str = "") -> str:
        value = self.params.get(name, default)
        if value is None:
            return default
        if not isinstance(value, str):
            raise AwsError("ValidationException", f"{name} must be a string.")
        return value

    def language(self) -> str:
        lang = self.text("language") or self.user.language or "zh-hans"
        return "zh" if lang.lower().startswith("zh") else "en"


# --------------------------------------------------------------------------- mapping


def severity_codes(catalog: Catalog) -> dict[str, str]:
    """AWS severity code → the catalog's severity code, as the catalog says (api_code)."""
    return {s.api_code: s.code for s in catalog.severities if s.api_code}


def api_code_of(catalog: Catalog, severity: str) -> str:
    return next((s.api_code or "" for s in catalog.severities if s.code == severity), "")


_STATUS = {
    CaseState.OPEN: "opened",
    CaseState.IN_PROGRESS: "work-in-progress",
    CaseState.WAITING_ON_CUSTOMER: "pending-customer-action",
    CaseState.RESOLVED: "resolved",
    CaseState.CLOSED: "resolved",
}
_ERRORS = {
    "case_not_found": "CaseIdNotFound",
    "set_not_found": "AttachmentSetIdNotFound",
    "set_expired": "AttachmentSetExpired",
    "too_many_files": "AttachmentLimitExceeded",
    "file_too_large": "AttachmentSetSizeLimitExceeded",
    "attachment_not_found": "AttachmentIdNotFound",
    "no_plan": "SubscriptionRequiredException",
}


def _time(value: datetime) -> str:
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def _communication(case: Case, entry: common.Entry) -> dict[str, Any]:
    author = entry.author
    return {
        "caseId": common.case_id(case),
        "body": entry.body,
        "submittedBy": (author.email or author.get_username()) if author else "supportplan",
        "timeCreated": _time(entry.at),
        "attachmentSet": [{"attachmentId": i, "fileName": n} for i, n in entry.files],
    }


def _case_details(call: Call, case: Case, with_comms: bool) -> dict[str, Any]:
    catalog = upstream.catalog_for_version(case.catalog_version_id)
    details: dict[str, Any] = {
        "caseId": common.case_id(case),
        "displayId": str(case.pk),
        "subject": case.subject,
        "status": _STATUS.get(CaseState(case.state), "opened"),
        "serviceCode": f"system-{case.system_id}" if case.system_id else common.GENERAL,
        "categoryCode": "general",
        "severityCode": api_code_of(catalog, case.severity),
        "submittedBy": case.requester.email or case.requester.get_username(),
        "timeCreated": _time(case.created_at),
        "ccEmailAddresses": [],
        "language": call.language(),
    }
    if with_comms:
        details["recentCommunications"] = {
            "communications": [_communication(case, e) for e in common.thread(call.user, case)[:5]]
        }
    return details


# --------------------------------------------------------------------------- operations


def describe_severity_levels(call: Call) -> dict[str, Any]:
    entitled = common.entitlement(call.key, call.now)
    lang = call.language()
    levels = [
        {"code": s.api_code, "name": s.name.get(lang)}
        for s in sorted(entitled.catalog.severities, key=lambda s: -s.order)
        if s.api_code and entitled.plan.includes_severity(s.code)
    ]
    return {"severityLevels": levels}


def describe_services(call: Call) -> dict[str, Any]:
    wanted = call.params.get("serviceCodeList") or []
    general = [{"code": "general", "name": _("General")}]
    services = [
        {"code": code, "name": name, "categories": general}
        for code, name in common.services_of(call.user)
        if not wanted or code in wanted
    ]
    return {"services": services}


def describe_supported_languages(call: Call) -> dict[str, Any]:
    return {
        "supportedLanguages": [
            {"code": "zh", "language": "Chinese", "display": "中文"},
            {"code": "en", "language": "English", "display": "English"},
        ]
    }


# How AWS names a way to reach support, for each kind of channel.
CHANNEL_TYPES = {"ticket": "web", "im_group": "chat", "hotline": "call", "phone_line": "call"}
NO_SUPPORT_HORIZON = 60  # days of datesWithoutSupport listed ahead


def describe_create_case_options(call: Call) -> dict[str, Any]:
    """Each way the plan offers, with its hours and the days it is closed (holidays and
    weekends, 调休 working days open), from the business calendars, in Asia/Shanghai time."""
    entitled = common.entitlement(call.key, call.now)
    by_type: dict[str, str] = {}
    for pc in entitled.plan.channels:
        kind = CHANNEL_TYPES.get(pc.code)
        if kind and by_type.get(kind) != "7x24":
            by_type[kind] = pc.channel.calendar
    today = clock.to_business(call.now).date()
    options = []
    for kind, code in by_type.items():
        calendar = calendar_for(code)
        day = today
        while not calendar.day_windows(day):  # the hours of the next open day
            day += timedelta(days=1)
        hours = [
            {
                "startTime": w.start_time.strftime("%H:%M:%S"),
                "endTime": w.end_time.strftime("%H:%M:%S") if w.end_time else "23:59:59",
            }
            for w in calendar.day_windows(day)
        ]
        closed: list[dict[str, str]] = []
        for offset in range(NO_SUPPORT_HORIZON):
            day = today + timedelta(days=offset)
            if calendar.day_windows(day):
                continue
            start = datetime.combine(day, time.min, tzinfo=clock.BUSINESS_TZ)
            end = start + timedelta(days=1)
            if closed and closed[-1]["endDateTime"] == start.isoformat():
                closed[-1]["endDateTime"] = end.isoformat()
            else:
                closed.append({"startDateTime": start.isoformat(), "endDateTime": end.isoformat()})
        options.append({"type": kind, "supportedHours": hours, "datesWithoutSupport": closed})
    return {"languageAvailability": "available", "communicationTypes": options}


def create_case(call: Call) -> dict[str, Any]:
    entitled = common.entitlement(call.key, call.now)
    codes = severity_codes(entitled.catalog)
    requested = call.text("severityCode")
    if requested:
        if requested not in codes:
            raise AwsError(
                "InvalidParameterValueException",
                _("Unknown severity code %(code)s. Use one of: %(known)s.")
                % {"code": requested, "known": ", ".join(c for c in API_CODES if c in codes)},
            )
        severity = codes[requested]
    else:  # AWS files a case without a severity as "low": the least severe of the plan
        severity = max(
            (st.severity for st in entitled.plan.severity_targets), key=lambda s: s.order
        ).code
    files = common.staged_files(call.user, [call.text("attachmentSetId")], call.now)
    with transaction.atomic():
        case = case_services.case_open(
            actor=call.user,
            tenant=common.tenant_of(call.user),
            provider=entitled.provider,
            channel=CHANNEL,
            severity=severity,
            subject=call.text("subject"),
            description=call.text("communicationBody"),
            system=common.system_for(call.user, call.text("serviceCode")),
            now=call.now,
        )
        common.attach_all(call.user, case, files, call.now)
    return {"caseId": common.case_id(case)}


def describe_cases(call: Call) -> dict[str, Any]:
    rows = case_selectors.cases_visible_to(call.user).select_related("requester")
    ids = call.params.get("caseIdList") or []
    if ids:
        rows = rows.filter(pk__in=common.case_pks(ids))
    display = call.text("displayId")
    if display:
        rows = rows.filter(pk=int(display)) if display.isdigit() else rows.none()
    if not call.params.get("includeResolvedCases"):
        rows = rows.exclude(state__in=[CaseState.RESOLVED, CaseState.CLOSED])
    for name, op in (("afterTime", "gte"), ("beforeTime", "lte")):
        if call.text(name):
            rows = rows.filter(**{f"created_at__{op}": _parse_time(call.text(name), name)})
    limit = _max_results(call, 10, 100)
    offset = _offset(call)
    page = list(rows.order_by("-created_at", "-pk")[offset : offset + limit + 1])
    with_comms = call.params.get("includeCommunications", True) is not False
    body: dict[str, Any] = {"cases": [_case_details(call, c, with_comms) for c in page[:limit]]}
    if ids and not body["cases"]:
        raise AwsError("CaseIdNotFound", _("Case %(case)s was not found.") % {"case": ids[0]})
    if len(page) > limit:
        body["nextToken"] = str(offset + limit)
    return body


def describe_communications(call: Call) -> dict[str, Any]:
    case = common.find_case(call.user, call.text("caseId"))
    rows = common.thread(call.user, case)
    if call.text("afterTime"):
        after = _parse_time(call.text("afterTime"), "afterTime")
        rows = [r for r in rows if r.at >= after]
    if call.text("beforeTime"):
        before = _parse_time(call.text("beforeTime"), "beforeTime")
        rows = [r for r in rows if r.at <= before]
    limit = _max_results(call, 10, 100)
    offset = _offset(call)
    body: dict[str, Any] = {
        "communications": [_communication(case, r) for r in rows[offset : offset + limit]]
    }
    if len(rows) > offset + limit:
        body["nextToken"] = str(offset + limit)
    return body


def add_communication_to_case(call: Call) -> dict[str, Any]:
    case = common.find_case(call.user, call.text("caseId"))
    files = common.staged_files(call.user, [call.text("attachmentSetId")], call.now)
    with transaction.atomic():
        reply = case_services.case_reply(
            actor=call.user, case=case, body=call.text("communicationBody"), now=call.now
        )
        common.attach_all(call.user, case, files, call.now, communication=reply)
    return {"result": True}


def resolve_case(call: Call) -> dict[str, Any]:
    case = common.find_case(call.user, call.text("caseId"))
    initial = _STATUS.get(CaseState(case.state), "opened")
    if case.state in (CaseState.RESOLVED, CaseState.CLOSED):
        return {"initialCaseStatus": initial, "finalCaseStatus": initial}
    case = case_services.case_resolve(actor=call.user, case=case, now=call.now)
    return {"initialCaseStatus": initial, "finalCaseStatus": _STATUS[CaseState(case.state)]}


def add_attachments_to_set(call: Call) -> dict[str, Any]:
    items = call.params.get("attachments")
    if not isinstance(items, list) or not items:
        raise AwsError("ValidationException", _("Give at least one attachment."))
    files = []
    for item in items:
        if not isinstance(item, dict):
            raise AwsError("ValidationException", _("Each attachment has a fileName and data."))
        try:
            data = base64.b64decode(item.get("data") or "", validate=True)
        except (ValueError, TypeError):
            raise AwsError("ValidationException", _("Attachment data must be base64.")) from None
        files.append((str(item.get("fileName") or "file"), data))
    staged = common.stage_files(call.user, files, call.now, call.text("attachmentSetId"))
    return {"attachmentSetId": staged.set_id, "expiryTime": _time(staged.expires_at)}


def describe_attachment(call: Call) -> dict[str, Any]:
    attachment = common.attachment_for(call.user, call.text("attachmentId"))
    with attachment.file.open("rb") as handle:
        data = handle.read()
    return {"attachment": {"fileName": attachment.name, "data": base64.b64encode(data).decode()}}


def _parse_time(value: str, name: str) -> datetime:
    parsed = parse_datetime(value.replace("Z", "+00:00")) if value else None
    if parsed is None:
        raise AwsError("ValidationException", f"{name} must be an ISO 8601 date and time.")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _max_results(call: Call, low: int, high: int) -> int:
    value = call.params.get("maxResults", high)
    if not isinstance(value, int) or not low <= value <= high:
        raise AwsError("ValidationException", f"maxResults must be between {low} and {high}.")
    return value


def _offset(call: Call) -> int:
    token = call.text("nextToken")
    if not token:
        return 0
    if not token.isdigit():
        raise AwsError("ValidationException", "nextToken is not one this API gave.")
    return int(token)


# --------------------------------------------------------------------------- Trusted Advisor


def _check_id(call: Call) -> str:
    check_id = call.text("checkId")
    if check_id not in advisor.CHECKS:
        raise AwsError(
            "InvalidParameterValueException",
            _("Unknown check %(id)s: DescribeTrustedAdvisorChecks lists them.") % {"id": check_id},
        )
    return check_id


def describe_trusted_advisor_checks(call: Call) -> dict[str, Any]:
    with translation.override(call.language()):
        checks = [
            {
                "id": code,
                "name": str(name),
                "description": str(text),
                "category": category,
                "metadata": ["Status", "Resource", "Finding", "Recommendation"],
            }
            for code, (name, category, text) in advisor.CHECKS.items()
        ]
    return {"checks": checks}


def _summary(call: Call, check_id: str, report: Any) -> dict[str, Any]:
    found = advisor.flagged(report, check_id)
    status = "not_available" if report is None else "ok"
    if found:
        status = "error" if any(a.level == "high" for a in found) else "warning"
    return {
        "checkId": check_id,
        "timestamp": _time(advisor.checked_at(report, call.now)),
        "status": status,
        "hasFlaggedResources": bool(found),
        "resourcesSummary": {
            "resourcesProcessed": len(found),
            "resourcesFlagged": len(found),
            "resourcesIgnored": 0,
            "resourcesSuppressed": 0,
        },
        "categorySpecificSummary": {
            "costOptimizing": {
                "estimatedMonthlySavings": 0.0,
                "estimatedPercentMonthlySavings": 0.0,
            }
        },
    }


def describe_trusted_advisor_check_result(call: Call) -> dict[str, Any]:
    check_id = _check_id(call)
    report = advisor.latest_report(common.tenant_of(call.user))
    result = _summary(call, check_id, report)
    result.pop("hasFlaggedResources")
    with translation.override(call.language()):
        result["flaggedResources"] = [
            {
                "status": advisor.STATUS.get(a.level, "warning"),
                "resourceId": a.subject or check_id,
                "isSuppressed": False,
                "metadata": [
                    advisor.STATUS.get(a.level, "warning"), a.subject, a.evidence_text,
                    a.recommendation,
                ],
            }
            for a in advisor.flagged(report, check_id)
        ]  # fmt: skip
    return {"result": result}


def describe_trusted_advisor_check_summaries(call: Call) -> dict[str, Any]:
    ids = call.params.get("checkIds") or []
    unknown = [i for i in ids if i not in advisor.CHECKS]
    if unknown:
        raise AwsError(
            "InvalidParameterValueException",
            _("Unknown check %(id)s: DescribeTrustedAdvisorChecks lists them.")
            % {"id": unknown[0]},
        )
    report = advisor.latest_report(common.tenant_of(call.user))
    return {"summaries": [_summary(call, i, report) for i in ids]}


def refresh_trusted_advisor_check(call: Call) -> dict[str, Any]:
    """The checks are refreshed by each monthly report: nothing is queued on demand."""
    check_id = _check_id(call)
    return {"status": {"checkId": check_id, "status": "none", "millisUntilNextRefreshable": 0}}


# A replayed write would do it twice: its signature is accepted once. Reads may repeat (a
# script polling DescribeCases twice in one second signs the same request twice).
WRITES = {"create_case", "add_communication_to_case", "resolve_case", "add_attachments_to_set"}

OPERATIONS: dict[str, Callable[[Call], dict[str, Any]]] = {
    "DescribeSeverityLevels": describe_severity_levels,
    "DescribeServices": describe_services,
    "DescribeSupportedLanguages": describe_supported_languages,
    "DescribeCreateCaseOptions": describe_create_case_options,
    "CreateCase": create_case,
    "DescribeCases": describe_cases,
    "DescribeCommunications": describe_communications,
    "AddCommunicationToCase": add_communication_to_case,
    "ResolveCase": resolve_case,
    "AddAttachmentsToSet": add_attachments_to_set,
    "DescribeAttachment": describe_attachment,
    "DescribeTrustedAdvisorChecks": describe_trusted_advisor_checks,
    "DescribeTrustedAdvisorCheckResult": describe_trusted_advisor_check_result,
    "DescribeTrustedAdvisorCheckSummaries": describe_trusted_advisor_check_summaries,
    "RefreshTrustedAdvisorCheck": refresh_trusted_advisor_check,
}
