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
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from supportplan.accounts.models import RegisteredSystem, User
from supportplan.cases import selectors as case_selectors
from supportplan.cases import services as case_services
from supportplan.cases import upstream
from supportplan.cases.attachments import case_attach
from supportplan.cases.models import Attachment, Case, CaseState, CommunicationKind
from supportplan.catalog.domain import Catalog, Plan
from supportplan.core import clock
from supportplan.core.errors import DomainError

from . import sigv4
from .models import AccessKey, AttachmentSet, AttachmentSetFile

TARGET_PREFIX = "AWSSupport_20130415."
SERVICE = "support"
CHANNEL = "ticket"  # the API is the provider's ticket channel
API_CODES = ("low", "normal", "high", "urgent", "critical")  # least severe first, as AWS
SET_LIFETIME = timedelta(hours=1)
SET_MAX_FILES = 3
FILE_MAX_BYTES = 5 * 1024 * 1024
GENERAL = "general-info"


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
    try:
        key = sigv4.verify(request, service=SERVICE, now=now, once=operation.__name__ in WRITES)
    except sigv4.Refused as refused:
        return _error(refused.code, refused.message, refused.status)
    try:
        params = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        return _error("SerializationException", "The request body is not JSON.")
    if not isinstance(params, dict):
        return _error("SerializationException", "The request body must be a JSON object.")
    with translation.override(key.user.language or "zh-hans"):
        try:
            return _answer(operation(Call(key, params, now)))
        except AwsError as exc:
            return _error(exc.code, exc.message, exc.status)
        except DomainError as exc:
            return _error(_domain_code(exc), exc.message, 400)


def _domain_code(exc: DomainError) -> str:
    if exc.status == 404:
        return "CaseIdNotFound"
    return "InvalidParameterValueException"


class Call:
    """One signed call: the key's person, the JSON input, the instant."""

    def __init__(self, key: AccessKey, params: dict[str, Any], now: datetime) -> None:
        self.key, self.user, self.params, self.now = key, key.user, params, now

    def str(self, name: str, default: str = "") -> str:
        value = self.params.get(name, default)
        if value is None:
            return default
        if not isinstance(value, str):
            raise AwsError("ValidationException", f"{name} must be a string.")
        return value

    def language(self) -> str:
        lang = self.str("language") or self.user.language or "zh-hans"
        return "zh" if lang.lower().startswith("zh") else "en"

    def tenant(self) -> Any:
        if self.user.tenant_id is None:
            raise AwsError(
                "InvalidParameterValueException",
                _("This operation files cases for a customer organisation: use a customer's key."),
            )
        return self.user.tenant

    def entitlement(self) -> tuple[str, Catalog, Plan]:
        tenant = self.tenant()
        plans = upstream.plans_in_force(tenant, self.now)
        if self.key.provider:
            plans = [p for p in plans if p.provider == self.key.provider]
        if not plans:
            raise AwsError(
                "SubscriptionRequiredException",
                _("Your organisation has no support plan in force."),
            )
        if len(plans) > 1:
            raise AwsError(
                "InvalidParameterValueException",
                _(
                    "Your organisation has plans of several providers; create an access key "
                    "for one provider to use this API."
                ),
            )
        catalog = upstream.catalog_for_version(plans[0].catalog_version_id)
        return plans[0].provider, catalog, catalog.plan(plans[0].plan_code)


# --------------------------------------------------------------------------- mapping


def severity_codes(catalog: Catalog) -> dict[str, str]:
    """AWS severity code → the catalog's severity code, as the catalog says (api_code)."""
    return {s.api_code: s.code for s in catalog.severities if s.api_code}


def api_code_of(catalog: Catalog, severity: str) -> str:
    for s in catalog.severities:
        if s.code == severity:
            return s.api_code or ""
    return ""


_STATUS = {
    CaseState.OPEN: "opened",
    CaseState.IN_PROGRESS: "work-in-progress",
    CaseState.WAITING_ON_CUSTOMER: "pending-customer-action",
    CaseState.RESOLVED: "resolved",
    CaseState.CLOSED: "resolved",
}


def case_id(case: Case) -> str:
    return f"case-{case.tenant_id}-{case.pk}"


def _case_pk(value: str) -> int | None:
    parts = value.split("-")
    if len(parts) == 3 and parts[0] == "case" and parts[2].isdigit():
        return int(parts[2])
    return None


def _time(value: datetime) -> str:
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def _find_case(call: Call, value: str) -> Case:
    pk = _case_pk(value) if value else None
    case = case_selectors.cases_visible_to(call.user).filter(pk=pk).first() if pk else None
    if case is None or case_id(case) != value:
        raise AwsError("CaseIdNotFound", _("Case %(case)s was not found.") % {"case": value})
    return case


def _thread(call: Call, case: Case) -> list[dict[str, Any]]:
    """The case's communications as AWS lists them, newest first: the public replies, then the
    description the case was opened with (internal notes and system changes are not part)."""
    replies = (
        case_selectors.thread_of(case, call.user)
        .filter(kind=CommunicationKind.PUBLIC_REPLY)
        .order_by("-created_at", "-pk")
    )
    files: dict[int | None, list[dict[str, str]]] = {}
    for a in Attachment.objects.filter(case=case, internal=False).order_by("pk"):
        files.setdefault(a.communication_id, []).append(
            {"attachmentId": f"attachment-{a.pk}", "fileName": a.name}
        )
    out = [
        _communication(case, row.body, row.author, row.created_at, files.get(row.pk, []))
        for row in replies
    ]
    out.append(
        _communication(case, case.description, case.requester, case.created_at, files.get(None, []))
    )
    return out


def _communication(
    case: Case, body: str, author: Any, at: datetime, attachments: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "caseId": case_id(case),
        "body": body,
        "submittedBy": (author.email or author.get_username()) if author else "supportplan",
        "timeCreated": _time(at),
        "attachmentSet": attachments,
    }


def _case_details(call: Call, case: Case, with_comms: bool) -> dict[str, Any]:
    catalog = upstream.catalog_for_version(case.catalog_version_id)
    details: dict[str, Any] = {
        "caseId": case_id(case),
        "displayId": str(case.pk),
        "subject": case.subject,
        "status": _STATUS.get(CaseState(case.state), "opened"),
        "serviceCode": f"system-{case.system_id}" if case.system_id else GENERAL,
        "categoryCode": "general",
        "severityCode": api_code_of(catalog, case.severity),
        "submittedBy": case.requester.email or case.requester.get_username(),
        "timeCreated": _time(case.created_at),
        "ccEmailAddresses": [],
        "language": call.language(),
    }
    if with_comms:
        details["recentCommunications"] = {"communications": _thread(call, case)[:5]}
    return details


# --------------------------------------------------------------------------- operations


def describe_severity_levels(call: Call) -> dict[str, Any]:
    _provider, catalog, plan = call.entitlement()
    lang = call.language()
    levels = [
        {"code": s.api_code, "name": s.name.get(lang)}
        for s in sorted(catalog.severities, key=lambda s: -s.order)
        if s.api_code and plan.includes_severity(s.code)
    ]
    return {"severityLevels": levels}


def describe_services(call: Call) -> dict[str, Any]:
    tenant = call.tenant()
    wanted = call.params.get("serviceCodeList") or []
    general = {
        "code": GENERAL,
        "name": _("General question (no specific system)"),
        "categories": [{"code": "general", "name": _("General")}],
    }
    services = [general]
    for system in RegisteredSystem.objects.for_tenant(tenant).order_by("name"):
        services.append(
            {
                "code": f"system-{system.pk}",
                "name": f"{system.name} ({system.get_classification_display()})",
                "categories": [{"code": "general", "name": _("General")}],
            }
        )
    if wanted:
        services = [s for s in services if s["code"] in wanted]
    return {"services": services}


def describe_supported_languages(call: Call) -> dict[str, Any]:
    return {
        "supportedLanguages": [
            {"code": "zh", "language": "Chinese", "display": "中文"},
            {"code": "en", "language": "English", "display": "English"},
        ]
    }


def _system(call: Call, service_code: str) -> RegisteredSystem | None:
    if not service_code or service_code == GENERAL:
        return None
    pk = service_code.removeprefix("system-")
    system = (
        RegisteredSystem.objects.for_tenant(call.tenant()).filter(pk=int(pk)).first()
        if pk.isdigit()
        else None
    )
    if system is None:
        raise AwsError(
            "InvalidParameterValueException",
            _("Unknown service %(code)s: DescribeServices lists the ones you can use.")
            % {"code": service_code},
        )
    return system


def create_case(call: Call) -> dict[str, Any]:
    provider, catalog, plan = call.entitlement()
    codes = severity_codes(catalog)
    requested = call.str("severityCode")
    if requested:
        if requested not in codes:
            raise AwsError(
                "InvalidParameterValueException",
                _("Unknown severity code %(code)s. Use one of: %(known)s.")
                % {"code": requested, "known": ", ".join(c for c in API_CODES if c in codes)},
            )
        severity = codes[requested]
    else:  # AWS files a case without a severity as "low": the least severe of the plan
        allowed = [st.severity for st in plan.severity_targets]
        severity = max(allowed, key=lambda s: s.order).code
    files = _take_set(call, call.str("attachmentSetId"))
    with transaction.atomic():
        case = case_services.case_open(
            actor=call.user,
            tenant=call.tenant(),
            provider=provider,
            channel=CHANNEL,
            severity=severity,
            subject=call.str("subject"),
            description=call.str("communicationBody"),
            system=_system(call, call.str("serviceCode")),
            now=call.now,
        )
        for name, data in files:
            case_attach(
                actor=call.user, case=case, now=call.now,
                upload=SimpleUploadedFile(name, data),
            )  # fmt: skip
    return {"caseId": case_id(case)}


def describe_cases(call: Call) -> dict[str, Any]:
    rows = case_selectors.cases_visible_to(call.user).select_related("requester")
    ids = call.params.get("caseIdList") or []
    if ids:
        pks = [_case_pk(i) for i in ids if isinstance(i, str)]
        rows = rows.filter(pk__in=[p for p in pks if p])
    display = call.str("displayId")
    if display:
        rows = rows.filter(pk=int(display)) if display.isdigit() else rows.none()
    if not call.params.get("includeResolvedCases"):
        rows = rows.exclude(state__in=[CaseState.RESOLVED, CaseState.CLOSED])
    for name, op in (("afterTime", "gte"), ("beforeTime", "lte")):
        if call.str(name):
            at = _parse_time(call.str(name), name)
            rows = rows.filter(**{f"created_at__{op}": at})
    limit = _max_results(call, 10, 100)
    offset = _offset(call)
    rows = rows.order_by("-created_at", "-pk")
    page = list(rows[offset : offset + limit + 1])
    with_comms = call.params.get("includeCommunications", True) is not False
    body: dict[str, Any] = {"cases": [_case_details(call, c, with_comms) for c in page[:limit]]}
    if ids and not body["cases"]:
        raise AwsError("CaseIdNotFound", _("Case %(case)s was not found.") % {"case": ids[0]})
    if len(page) > limit:
        body["nextToken"] = str(offset + limit)
    return body


def describe_communications(call: Call) -> dict[str, Any]:
    case = _find_case(call, call.str("caseId"))
    rows = _thread(call, case)
    if call.str("afterTime"):
        after = _time(_parse_time(call.str("afterTime"), "afterTime"))
        rows = [r for r in rows if r["timeCreated"] >= after]
    if call.str("beforeTime"):
        before = _time(_parse_time(call.str("beforeTime"), "beforeTime"))
        rows = [r for r in rows if r["timeCreated"] <= before]
    limit = _max_results(call, 10, 100)
    offset = _offset(call)
    body: dict[str, Any] = {"communications": rows[offset : offset + limit]}
    if len(rows) > offset + limit:
        body["nextToken"] = str(offset + limit)
    return body


def add_communication_to_case(call: Call) -> dict[str, Any]:
    case = _find_case(call, call.str("caseId"))
    files = _take_set(call, call.str("attachmentSetId"))
    with transaction.atomic():
        reply = case_services.case_reply(
            actor=call.user, case=case, body=call.str("communicationBody"), now=call.now
        )
        for name, data in files:
            case_attach(
                actor=call.user, case=case, now=call.now, communication=reply,
                upload=SimpleUploadedFile(name, data),
            )  # fmt: skip
    return {"result": True}


def resolve_case(call: Call) -> dict[str, Any]:
    case = _find_case(call, call.str("caseId"))
    initial = _STATUS.get(CaseState(case.state), "opened")
    if case.state in (CaseState.RESOLVED, CaseState.CLOSED):
        return {"initialCaseStatus": initial, "finalCaseStatus": initial}
    case = case_services.case_resolve(actor=call.user, case=case, now=call.now)
    return {"initialCaseStatus": initial, "finalCaseStatus": _STATUS[CaseState(case.state)]}


def add_attachments_to_set(call: Call) -> dict[str, Any]:
    set_id = call.str("attachmentSetId")
    items = call.params.get("attachments")
    if not isinstance(items, list) or not items:
        raise AwsError("ValidationException", _("Give at least one attachment."))
    with transaction.atomic():
        if set_id:
            found = _open_set(call, set_id, lock=True)
        else:
            found = AttachmentSet.objects.create(
                set_id=secrets.token_hex(16), user=call.user, created_at=call.now,
                expires_at=call.now + SET_LIFETIME,
            )  # fmt: skip
        if found.files.count() + len(items) > SET_MAX_FILES:
            raise AwsError(
                "AttachmentLimitExceeded",
                _("An attachment set holds at most %(n)s files.") % {"n": SET_MAX_FILES},
            )
        for item in items:
            name = str(item.get("fileName") or "file")[:200] if isinstance(item, dict) else ""
            try:
                data = base64.b64decode(item.get("data") or "", validate=True)
            except (ValueError, TypeError, AttributeError):
                raise AwsError(
                    "ValidationException", _("Attachment data must be base64.")
                ) from None
            if len(data) > FILE_MAX_BYTES:
                raise AwsError(
                    "AttachmentSetSizeLimitExceeded",
                    _("%(name)s is larger than 5 MB.") % {"name": name},
                )
            AttachmentSetFile.objects.create(attachment_set=found, name=name, data=data)
    return {"attachmentSetId": found.set_id, "expiryTime": _time(found.expires_at)}


def describe_attachment(call: Call) -> dict[str, Any]:
    value = call.str("attachmentId")
    pk = value.removeprefix("attachment-")
    attachment = None
    if pk.isdigit():
        attachment = (
            Attachment.objects.filter(pk=int(pk), internal=False)
            .filter(case__in=case_selectors.cases_visible_to(call.user))
            .first()
        )
    if attachment is None:
        raise AwsError(
            "AttachmentIdNotFound", _("Attachment %(id)s was not found.") % {"id": value}
        )
    with attachment.file.open("rb") as handle:
        data = handle.read()
    return {"attachment": {"fileName": attachment.name, "data": base64.b64encode(data).decode()}}


def _open_set(call: Call, set_id: str, *, lock: bool = False) -> AttachmentSet:
    rows = AttachmentSet.objects.filter(set_id=set_id, user=call.user)
    found = (rows.select_for_update() if lock else rows).first()
    if found is None:
        raise AwsError(
            "AttachmentSetIdNotFound", _("Attachment set %(id)s was not found.") % {"id": set_id}
        )
    if found.expires_at <= call.now:
        raise AwsError(
            "AttachmentSetExpired",
            _("Attachment set %(id)s expired; upload the files again.") % {"id": set_id},
        )
    return found


def _take_set(call: Call, set_id: str) -> list[tuple[str, bytes]]:
    if not set_id:
        return []
    found = _open_set(call, set_id)
    return [(f.name, bytes(f.data)) for f in found.files.order_by("pk")]


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
    token = call.str("nextToken")
    if not token:
        return 0
    if not token.isdigit():
        raise AwsError("ValidationException", "nextToken is not one this API gave.")
    return int(token)


# A replayed write would do it twice: its signature is accepted once. Reads may repeat (a
# script polling DescribeCases twice in one second signs the same request twice).
WRITES = {"create_case", "add_communication_to_case", "resolve_case", "add_attachments_to_set"}

OPERATIONS: dict[str, Callable[[Call], dict[str, Any]]] = {
    "DescribeSeverityLevels": describe_severity_levels,
    "DescribeServices": describe_services,
    "DescribeSupportedLanguages": describe_supported_languages,
    "CreateCase": create_case,
    "DescribeCases": describe_cases,
    "DescribeCommunications": describe_communications,
    "AddCommunicationToCase": add_communication_to_case,
    "ResolveCase": resolve_case,
    "AddAttachmentsToSet": add_attachments_to_set,
    "DescribeAttachment": describe_attachment,
}


__all__ = ["OPERATIONS", "endpoint", "User"]
