"""Huawei Cloud's OSM v2 ticket API (工单), the operations a customer's tooling uses.

The official `huaweicloudsdkosm` client keeps only the host of its endpoint, so these routes
live at the root, `/v2/servicerequest/…`, as Huawei's do. Requests are signed with
SDK-HMAC-SHA256 by a supportplan access-key pair (hmac_sdk.py); each operation calls the same
case services as the web and the REST API; refusals answer `{"error_code", "error_msg"}`,
which the SDK raises as `ClientRequestException`, in the key owner's language (or the
request's `X-Language`). What maps to what: docs/compat.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from supportplan.cases import selectors as case_selectors
from supportplan.cases import services as case_services
from supportplan.cases.models import Case, CaseState
from supportplan.core import clock
from supportplan.core.errors import DomainError

from . import common, hmac_sdk, sigv4
from .aws import read_body
from .models import AccessKey

CHANNEL = "ticket"
# Huawei's case states: 0 待受理, 1 处理中, 17 待反馈, 2 待确认结果, 3 已完成.
STATUS = {
    CaseState.OPEN: 0,
    CaseState.IN_PROGRESS: 1,
    CaseState.WAITING_ON_CUSTOMER: 17,
    CaseState.RESOLVED: 2,
    CaseState.CLOSED: 3,
}
_ERRORS = {
    "case_not_found": ("OSM.CaseNotFound", 404),
    "attachment_not_found": ("OSM.AccessoryNotFound", 404),
    "set_not_found": ("OSM.AccessoryNotFound", 404),
    "set_expired": ("OSM.AccessoryExpired", 400),
    "file_too_large": ("OSM.AccessoryTooLarge", 400),
    "too_many_files": ("OSM.AccessoryLimitExceeded", 400),
    "no_plan": ("OSM.NoSupportPlan", 403),
}


class OsmError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _error(code: str, message: str, status: int) -> HttpResponse:
    return JsonResponse(
        {"error_code": code, "error_msg": message}, status=status,
        json_dumps_params={"ensure_ascii": False},
    )  # fmt: skip


class Call:
    def __init__(self, request: HttpRequest, key: AccessKey, now: datetime, body: bytes) -> None:
        self.request, self.key, self.user, self.now = request, key, key.user, now
        self.body: dict[str, Any] = {}
        if body and request.content_type == "application/json":
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                raise OsmError("OSM.InvalidParameter", _("The request body is not JSON.")) from None
            if not isinstance(parsed, dict):
                raise OsmError("OSM.InvalidParameter", _("The request body must be a JSON object."))
            self.body = parsed

    def language(self) -> str:
        header = self.request.headers.get("X-Language", "")
        lang = header or self.user.language or "zh-hans"
        return "zh-hans" if lang.lower().startswith("zh") else "en"

    def query_int(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.request.GET.get(name, "")
        if raw == "":
            return default
        if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
            raise OsmError(
                "OSM.InvalidParameter",
                _("%(name)s must be a whole number from %(low)s to %(high)s.")
                % {"name": name, "low": low, "high": high},
            )
        return int(raw)


def operation(*, write: bool = False, upload: bool = False) -> Callable[..., Any]:
    def wrap(fn: Callable[..., Any]) -> Callable[..., HttpResponseBase]:
        @csrf_exempt
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
            now = clock.now()
            body = b"" if upload else read_body(request)
            if body is None:
                return _error("OSM.RequestTooLarge", "The request body is larger than 25 MB.", 413)
            try:
                key = hmac_sdk.verify(request, body, now=now, once=write, unsigned_body=upload)
            except sigv4.Refused as refused:
                return _error(refused.code, refused.message, refused.status)
            with translation.override(key.user.language or "zh-hans"):
                try:
                    call = Call(request, key, now, body)
                    with translation.override(call.language()):
                        answer = fn(call, **kwargs)
                except OsmError as exc:
                    return _error(exc.code, exc.message, exc.status)
                except common.EdgeError as exc:
                    code, status = _ERRORS.get(exc.kind, ("OSM.InvalidParameter", 400))
                    return _error(code, exc.message, status)
                except DomainError as exc:
                    return _error(f"OSM.{exc.code}", exc.message, min(exc.status, 409))
            if isinstance(answer, HttpResponseBase):
                return answer
            return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})

        view.__name__ = fn.__name__
        return view

    return wrap


def by_method(**views: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """One path, a view per HTTP method (GET lists, POST creates, as Huawei's routes do)."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        chosen = views.get((request.method or "").lower())
        if chosen is None:
            return _error("OSM.MethodNotAllowed", f"{request.method} is not served here.", 405)
        return chosen(request, **kwargs)

    return view


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _severity_name(call: Call, case: Case) -> str:
    from supportplan.cases import upstream

    catalog = upstream.catalog_for_version(case.catalog_version_id)
    return catalog.severity(case.severity).name.get(call.language())


# --------------------------------------------------------------------------- configuration


@operation()
def list_severities(call: Call) -> dict[str, Any]:
    entitled = common.entitlement(call.key, call.now)
    lang = call.language()
    return {
        "show": True,
        "severity_list": [
            {
                "language": "zh-cn" if lang == "zh-hans" else "en-us",
                "severity_id": st.severity.code,
                "severity_name": st.severity.name.get(lang),
            }
            for st in entitled.plan.severity_targets
        ],
    }


@operation()
def list_problem_types(call: Call) -> dict[str, Any]:
    common.entitlement(call.key, call.now)
    types = [
        {
            "business_type_id": "general",
            "business_type_name": _("Technical question"),
            "case_type": "technical",
            "can_use_support_plan": True,
        }
    ]
    return {"total_count": len(types), "incident_business_type_list": types}


@operation()
def list_product_categories(call: Call) -> dict[str, Any]:
    wanted = call.request.GET.get("product_category_name", "").strip().lower()
    rows = [
        {
            "incident_product_category_id": code,
            "incident_product_category_name": name,
            "incident_product_category_desc": "",
            "incident_product_category_acronym": code,
            "can_use_support_plan": True,
        }
        for code, name in common.services_of(call.user)
        if not wanted or wanted in name.lower()
    ]
    return {"total_count": len(rows), "incident_product_category_list": rows}


@operation()
def list_case_quotas(call: Call) -> dict[str, Any]:
    # No plan limits the number of cases: -1 is "unlimited" (docs/compat.md).
    common.entitlement(call.key, call.now)
    return {"total": -1, "un_used": -1}


# --------------------------------------------------------------------------- cases


def _info(call: Call, case: Case) -> dict[str, Any]:
    return {
        "incident_id": common.case_id(case),
        "status": STATUS[CaseState(case.state)],
        "business_type_name": _("Technical question"),
        "incident_type_name": _severity_name(call, case),
        "product_category_name": case.system.name if case.system is not None else "",
        "customer_id": str(case.tenant_id),
        "simple_description": case.subject,
        "create_time": _time(case.created_at),
        "label_list": [],
    }


@operation(write=True)
def create_case(call: Call) -> dict[str, Any]:
    entitled = common.entitlement(call.key, call.now)
    text = str(call.body.get("simple_description") or "").strip()
    severity = (
        str(call.body.get("severity_id") or "")
        or max((st.severity for st in entitled.plan.severity_targets), key=lambda s: s.order).code
    )
    ids = call.body.get("accessory_ids") or []
    files = common.staged_files(call.user, [str(i) for i in ids if i], call.now)
    with transaction.atomic():
        case = case_services.case_open(
            actor=call.user,
            tenant=common.tenant_of(call.user),
            provider=entitled.provider,
            channel=CHANNEL,
            severity=severity,
            subject=text.splitlines()[0][:100] if text else "",
            description=text,
            system=common.system_for(call.user, str(call.body.get("product_category_id") or "")),
            now=call.now,
        )
        common.attach_all(call.user, case, files, call.now)
    return {"incident_id": common.case_id(case)}


@operation()
def list_cases(call: Call) -> dict[str, Any]:
    rows = case_selectors.cases_visible_to(call.user).select_related("system")
    get = call.request.GET
    if get.get("incident_id"):
        rows = rows.filter(pk__in=common.case_pks([get["incident_id"]]))
    if get.get("status"):
        wanted = call.query_int("status", 0, 0, 99)
        rows = rows.filter(state__in=[s for s, n in STATUS.items() if n == wanted])
    if get.get("search_key"):
        rows = rows.filter(subject__icontains=get["search_key"])
    for name, op in (("query_start_time", "gte"), ("query_end_time", "lte")):
        if get.get(name):
            at = parse_datetime(get[name].replace("Z", "+00:00"))
            if at is None or at.tzinfo is None:
                raise OsmError(
                    "OSM.InvalidParameter",
                    _("%(name)s must be a date and time with its offset, e.g. "
                      "2026-12-01T09:00:00+08:00.") % {"name": name},
                )  # fmt: skip
            rows = rows.filter(**{f"created_at__{op}": at})
    offset = call.query_int("offset", 0, 0, 1_000_000)
    limit = call.query_int("limit", 10, 1, 100)
    rows = rows.order_by("-created_at", "-pk")
    return {
        "total_count": rows.count(),
        "incident_info_list": [_info(call, c) for c in rows[offset : offset + limit]],
    }


def _message(entry: common.Entry, index: int) -> dict[str, Any]:
    author = entry.author
    return {
        "type": 1 if entry.by_staff else 0,
        "replier_type": 1 if entry.by_staff else 0,
        "message_id": str(index),
        "replier": (author.email or author.get_username()) if author else "",
        "replier_name": (author.get_full_name() or author.get_username()) if author else "",
        "content": entry.body,
        "create_time": _time(entry.at),
        "is_first_message": 1 if entry.first else 0,
        "accessory_list": [{"accessory_id": i, "file_actual_name": n} for i, n in entry.files],
    }


@operation()
def show_case_detail(call: Call, case_id: str) -> dict[str, Any]:
    case = common.find_case(call.user, case_id)
    entries = common.thread(call.user, case)
    rating = getattr(case, "rating", None) if hasattr(case, "rating") else None
    detail = _info(call, case) | {
        "simple_description": case.description,
        "source_name": CHANNEL,
        "severity_name": _severity_name(call, case),
        "message_list": [_message(e, len(entries) - i) for i, e in enumerate(entries)],
        "incident_satisfaction": (
            [{"satisfaction_value": rating.score, "value": rating.score}] if rating else []
        ),
    }
    return {"incident_detail_info": detail}


@operation(write=True)
def create_message(call: Call, case_id: str) -> dict[str, Any]:
    case = common.find_case(call.user, case_id)
    given = call.body.get("message")
    message: dict[str, Any] = given if isinstance(given, dict) else {}
    ids = message.get("accessory_ids") or []
    files = common.staged_files(call.user, [str(i) for i in ids if i], call.now)
    with transaction.atomic():
        reply = case_services.case_reply(
            actor=call.user, case=case, body=str(message.get("content") or ""), now=call.now
        )
        common.attach_all(call.user, case, files, call.now, communication=reply)
    return {}


@operation()
def list_messages(call: Call, case_id: str) -> dict[str, Any]:
    case = common.find_case(call.user, case_id)
    entries = common.thread(call.user, case)
    offset = call.query_int("offset", 0, 0, 1_000_000)
    limit = call.query_int("limit", 10, 1, 100)
    numbered = [_message(e, len(entries) - i) for i, e in enumerate(entries)]
    return {"count": len(numbered), "message_list": numbered[offset : offset + limit]}


ACTIONS = ("confirm", "cancel", "reopen")


@operation(write=True)
def update_case(call: Call, case_id: str) -> dict[str, Any]:
    """action_id: confirm (the problem is solved: resolve, or close a resolved case),
    cancel (withdrawn: resolved with that summary), reopen (a resolved case)."""
    case = common.find_case(call.user, case_id)
    action = call.request.GET.get("action_id", "")
    note = str(call.body.get("operate_desc") or "").strip()
    if action == "confirm":
        if case.state == CaseState.RESOLVED:
            case_services.case_close(actor=call.user, case=case, now=call.now)
        else:
            case_services.case_resolve(actor=call.user, case=case, now=call.now, summary=note)
    elif action == "cancel":
        case_services.case_resolve(
            actor=call.user, case=case, now=call.now,
            summary=note or _("Withdrawn by the customer."),
        )  # fmt: skip
    elif action == "reopen":
        case_services.case_reopen(actor=call.user, case=case, now=call.now, reason=note)
    else:
        raise OsmError(
            "OSM.InvalidParameter",
            _("action_id must be one of: %(actions)s.") % {"actions": ", ".join(ACTIONS)},
        )
    return {}


@operation(write=True)
def create_score(call: Call, case_id: str) -> dict[str, Any]:
    case = common.find_case(call.user, case_id)
    items = call.body.get("incident_satisfaction_list") or []
    scores = [i.get("satisfaction_value", i.get("value")) for i in items if isinstance(i, dict)]
    score = next((s for s in scores if isinstance(s, int)), None)
    if score is None:
        raise OsmError(
            "OSM.InvalidParameter",
            _("Give a score as incident_satisfaction_list[0].satisfaction_value (1 to 5)."),
        )
    case_services.case_rate(
        actor=call.user, case=case, score=score, now=call.now,
        comment=str(call.body.get("judgement") or ""),
    )  # fmt: skip
    return {}


# --------------------------------------------------------------------------- accessories


@operation(write=True, upload=True)
def upload_accessory(call: Call) -> dict[str, Any]:
    upload = call.request.FILES.get("file")
    if upload is None:
        raise OsmError("OSM.InvalidParameter", _("Send the file as the multipart field “file”."))
    if (upload.size or 0) > common.FILE_MAX_BYTES:
        raise OsmError(
            "OSM.AccessoryTooLarge", _("%(name)s is larger than 5 MB.") % {"name": upload.name}
        )
    staged = common.stage_files(call.user, [(upload.name or "file", upload.read())], call.now)
    return {"accessory_id": staged.set_id}


@operation()
def download_accessory(call: Call, accessory_id: str) -> HttpResponseBase:
    attachment = common.attachment_for(call.user, accessory_id)
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
        content_type=attachment.content_type,
    )  # fmt: skip


cases_view = by_method(get=list_cases, post=create_case)
