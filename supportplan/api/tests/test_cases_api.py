"""The cases API: opening, thread, transitions, attachments, entitlements, the agent queue;
tenant isolation on every endpoint; refusals in both languages; query-count guards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportplan.accounts.models import Role
from supportplan.cases.models import Attachment, Case
from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.core import clock
from supportplan.core.models import AuditEntry
from supportplan.core.testing import api_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def setup(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    load_catalogs()


@pytest.fixture
def start():
    # The API reads the real clock: plans start the day before, whatever today is.
    return clock.now() - timedelta(days=1)


@pytest.fixture
def staff(db):
    return {
        "engineer": make_user(Role.ENGINEER),
        "expert": make_user(Role.EXPERT),
        "senior": make_user(Role.SENIOR_EXPERT),
        "manager": make_user(Role.SUPPORT_MANAGER, handler_tier="senior_expert"),
    }


def open_body(**extra):
    body = {
        "provider": "partner",
        "channel": "ticket",
        "severity": "general_guidance",
        "subject": "How do I resize a disk?",
        "description": "We need more space on the web server.",
    }
    body.update(extra)
    return body


def test_customer_opens_a_case_and_reads_it_with_sla(start, staff):
    tenant, user, systems = customer("partner", "vip", start=start)
    client = api_client(user)
    res = client.post(
        "/api/cases/",
        open_body(severity="core_production_down", system=systems["core_production"].pk),
        format="json",
    )
    assert res.status_code == 201, res.json()
    body = res.json()
    case = Case.objects.get(pk=body["id"])
    assert body["severity"] == "core_production_down"
    assert body["severity_name"] == "Core production system down"
    assert body["queue"] == "senior_expert"
    assert body["first_response_due"] == case.first_response_due.isoformat().replace("+00:00", "Z")
    assert body["sla_state"] == "running"
    detail = client.get(f"/api/cases/{case.pk}/").json()
    assert detail["sla"]["target_minutes"] == 10
    assert detail["sla"]["calendar"] == "7x24"
    assert detail["sla"]["due_at"] == body["first_response_due"]
    assert detail["thread"] == []


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "Your Basic plan does not include the severity “Core production system down”. "
            "Plans that include it: Dedicated, VIP (iSoftStone).",
        ),
        (
            "zh-hans",
            "您的基础级计划不包含严重性“核心生产系统不可用”。包含该级别的计划：专属级、VIP级（软通动力）。",
        ),
    ],
)
def test_refusal_in_the_callers_language(start, language, message):
    tenant, user, systems = customer("partner", "basic", start=start)
    res = api_client(user, language=language).post(
        "/api/cases/",
        open_body(severity="core_production_down", system=systems["core_production"].pk),
        format="json",
    )
    assert res.status_code == 403
    assert res.json()["code"] == "case.severity_not_in_plan"
    assert res.json()["message"] == message
    assert not Case.objects.exists()


def test_partner_without_plan_is_told_which_plans_include_cases(start):
    tenant, user, systems = customer(None, None, start=start)
    res = api_client(user).post("/api/cases/", open_body(), format="json")
    assert res.status_code == 403
    assert res.json()["code"] == "case.no_plan"
    assert res.json()["params"]["plans"] == "Basic, Dedicated, VIP (iSoftStone)"


def test_customer_cannot_use_the_hotline_but_staff_record_calls(start, staff):
    tenant, user, systems = customer("partner", "basic", start=start)
    res = api_client(user).post("/api/cases/", open_body(channel="hotline"), format="json")
    assert res.status_code == 400 and res.json()["code"] == "case.channel_staff_logged"
    res = api_client(staff["engineer"]).post(
        "/api/cases/",
        open_body(channel="hotline", tenant=tenant.pk, requester=user.pk),
        format="json",
    )
    assert res.status_code == 201, res.json()
    case = Case.objects.get(pk=res.json()["id"])
    assert case.logged_by_id == staff["engineer"].pk and res.json()["requester"] == user.pk


def test_entitlements_list_severities_and_channels_with_targets(start):
    tenant, user, systems = customer("partner", "dedicated", start=start)
    res = api_client(user).get("/api/cases/entitlements/?provider=partner")
    assert res.status_code == 200
    (plan,) = res.json()["plans"]
    assert plan["plan"] == "dedicated" and plan["handler_tier"] == "expert"
    targets = {s["code"]: s["first_response_minutes"] for s in plan["severities"]}
    assert targets == {
        "core_production_down": 10,
        "production_down": 30,
        "production_abnormal": 180,
        "system_abnormal": 480,
        "general_guidance": 960,
    }
    channels = {c["code"]: c["calendar"] for c in plan["channels"]}
    assert channels == {
        "hotline": "7x24",
        "ticket": "7x24",
        "phone_line": "7x24",
        "im_group": "5x8",
    }


def test_thread_transitions_and_internal_notes(start, staff):
    tenant, user, systems = customer("partner", "basic", start=start)
    case_id = api_client(user).post("/api/cases/", open_body(), format="json").json()["id"]
    eng = api_client(staff["engineer"])
    assert (
        eng.post(f"/api/cases/{case_id}/reply/", {"body": "Hello"}, format="json").status_code
        == 200
    )
    assert (
        eng.post(f"/api/cases/{case_id}/notes/", {"body": "secret"}, format="json").status_code
        == 201
    )
    res = api_client(user).post(f"/api/cases/{case_id}/notes/", {"body": "x"}, format="json")
    assert res.status_code == 403 and res.json()["code"] == "case.staff_only"
    thread = api_client(user).get(f"/api/cases/{case_id}/").json()["thread"]
    assert [t["kind"] for t in thread] == ["public_reply"]
    staff_thread = eng.get(f"/api/cases/{case_id}/").json()["thread"]
    assert [t["kind"] for t in staff_thread] == ["public_reply", "internal_note"]
    res = eng.post(f"/api/cases/{case_id}/wait/", {"message": ""}, format="json")
    assert res.json()["state"] == "waiting_on_customer" and res.json()["sla_state"] == "met"
    res = api_client(user).post(f"/api/cases/{case_id}/reply/", {"body": "done"}, format="json")
    assert res.json()["state"] == "in_progress"
    res = eng.post(f"/api/cases/{case_id}/resolve/", {"summary": "ok"}, format="json")
    assert res.json()["state"] == "resolved"
    res = api_client(user).post(f"/api/cases/{case_id}/reopen/", {"reason": "again"}, format="json")
    assert res.json()["state"] == "in_progress"
    eng.post(f"/api/cases/{case_id}/resolve/", {}, format="json")
    res = api_client(user).post(f"/api/cases/{case_id}/close/", format="json")
    assert res.json()["state"] == "closed"
    res = api_client(user).post(
        f"/api/cases/{case_id}/rate/", {"score": 4, "comment": "ok"}, format="json"
    )
    assert res.json()["rating"]["score"] == 4
    res = api_client(user).post(f"/api/cases/{case_id}/rate/", {"score": 5}, format="json")
    assert res.status_code == 409 and res.json()["code"] == "case.already_rated"


def test_severity_change_over_the_api(start):
    tenant, user, systems = customer("partner", "basic", start=start)
    client = api_client(user, language="zh-hans")
    case_id = client.post(
        "/api/cases/", open_body(system=systems["production"].pk), format="json"
    ).json()["id"]
    res = client.post(
        f"/api/cases/{case_id}/severity/",
        {"severity": "production_down", "reason": ""},
        format="json",
    )
    assert res.status_code == 400 and res.json()["message"] == "请说明变更严重性的原因。"
    res = client.post(
        f"/api/cases/{case_id}/severity/",
        {"severity": "production_down", "reason": "shop down"},
        format="json",
    )
    assert res.status_code == 200 and res.json()["sla"]["target_minutes"] == 30


def test_attachments_are_stored_on_disk_and_limited(start, staff, settings):
    tenant, user, systems = customer("partner", "basic", start=start)
    client = api_client(user)
    case_id = client.post("/api/cases/", open_body(), format="json").json()["id"]
    upload = SimpleUploadedFile("error.log", b"Traceback: disk full\n", content_type="text/plain")
    res = client.post(f"/api/cases/{case_id}/attachments/", {"file": upload}, format="multipart")
    assert res.status_code == 201, res.json()
    att = Attachment.objects.get(pk=res.json()["id"])
    assert att.size == 21 and att.name == "error.log"
    assert (settings.MEDIA_ROOT / att.file.name).read_bytes() == b"Traceback: disk full\n"
    assert att.file.name.startswith(f"cases/{tenant.pk}/{case_id}/")
    res = client.get(f"/api/cases/{case_id}/attachments/{att.pk}/download/")
    assert res.status_code == 200
    assert b"".join(res.streaming_content) == b"Traceback: disk full\n"
    bad = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/octet-stream")
    res = client.post(f"/api/cases/{case_id}/attachments/", {"file": bad}, format="multipart")
    assert res.status_code == 400 and res.json()["code"] == "case.attachment_type"
    settings.SUPPORTPLAN_ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("big.txt", b"x" * 11, content_type="text/plain")
    res = client.post(f"/api/cases/{case_id}/attachments/", {"file": big}, format="multipart")
    assert res.status_code == 400 and res.json()["code"] == "case.attachment_too_large"
    assert Attachment.objects.count() == 1
    # An internal attachment (staff) is invisible to the customer.
    settings.SUPPORTPLAN_ATTACHMENT_MAX_BYTES = 1000
    secret = SimpleUploadedFile("notes.txt", b"internal", content_type="text/plain")
    res = api_client(staff["engineer"]).post(
        f"/api/cases/{case_id}/attachments/", {"file": secret, "internal": True}, format="multipart"
    )
    hidden = res.json()["id"]
    assert [a["id"] for a in client.get(f"/api/cases/{case_id}/attachments/").json()] == [att.pk]
    res = client.get(f"/api/cases/{case_id}/attachments/{hidden}/download/")
    assert res.status_code == 404


CASE_ENDPOINTS = [
    ("get", "/api/cases/{id}/", None),
    ("post", "/api/cases/{id}/reply/", {"body": "x"}),
    ("post", "/api/cases/{id}/notes/", {"body": "x"}),
    ("post", "/api/cases/{id}/severity/", {"severity": "system_abnormal", "reason": "x"}),
    ("post", "/api/cases/{id}/wait/", {}),
    ("post", "/api/cases/{id}/resume/", {}),
    ("post", "/api/cases/{id}/resolve/", {}),
    ("post", "/api/cases/{id}/reopen/", {"reason": "x"}),
    ("post", "/api/cases/{id}/close/", {}),
    ("post", "/api/cases/{id}/rate/", {"score": 5}),
    ("post", "/api/cases/{id}/assign/", {"assignee": 1}),
    ("post", "/api/cases/{id}/take/", {}),
    ("post", "/api/cases/{id}/escalate/", {"reason": "x"}),
    ("post", "/api/cases/{id}/out-of-scope/", {"code": "code_development"}),
    ("post", "/api/cases/{id}/best-effort/", {"help": True}),
    ("get", "/api/cases/{id}/attachments/", None),
    ("get", "/api/cases/{id}/attachments/{att}/download/", None),
]


@pytest.mark.parametrize(("method", "url", "body"), CASE_ENDPOINTS)
def test_another_tenant_cannot_read_or_write_a_case(start, staff, method, url, body):
    tenant, user, systems = customer("partner", "vip", start=start)
    client = api_client(user)
    case_id = client.post("/api/cases/", open_body(), format="json").json()["id"]
    upload = SimpleUploadedFile("a.txt", b"a", content_type="text/plain")
    att = client.post(f"/api/cases/{case_id}/attachments/", {"file": upload}, format="multipart")
    other_tenant, intruder, _s = customer("partner", "vip", start=start)
    before = AuditEntry.objects.count()
    target = url.format(id=case_id, att=att.json()["id"])
    res = getattr(api_client(intruder), method)(target, body, format="json")
    assert res.status_code == 404, res.content
    assert res.json()["code"] == "not_found"
    assert AuditEntry.objects.count() == before
    # Lower-tier staff cannot reach a VIP (senior-expert) case either.
    res = getattr(api_client(staff["engineer"]), method)(target, body, format="json")
    assert res.status_code == 404


def test_another_tenant_cannot_upload_to_a_case(start):
    tenant, user, systems = customer("partner", "vip", start=start)
    case_id = api_client(user).post("/api/cases/", open_body(), format="json").json()["id"]
    other_tenant, intruder, _s = customer("partner", "vip", start=start)
    upload = SimpleUploadedFile("a.txt", b"a", content_type="text/plain")
    res = api_client(intruder).post(
        f"/api/cases/{case_id}/attachments/", {"file": upload}, format="multipart"
    )
    assert res.status_code == 404 and not Attachment.objects.exists()


def test_lists_show_only_my_tenant_and_staff_cannot_open_for_unknown_tenants(start, staff):
    tenant, user, systems = customer("partner", "basic", start=start)
    other_tenant, other, _s = customer("partner", "basic", start=start)
    mine = api_client(user).post("/api/cases/", open_body(), format="json").json()["id"]
    api_client(other).post("/api/cases/", open_body(), format="json")
    res = api_client(user).get("/api/cases/")
    assert [c["id"] for c in res.json()["results"]] == [mine]
    res = api_client(user).get(f"/api/cases/?tenant={other_tenant.pk}")
    assert res.json()["results"] == []
    res = api_client(user).get(f"/api/cases/entitlements/?tenant={other_tenant.pk}")
    assert res.json()["tenant"] == tenant.pk  # customers always get their own tenant
    res = api_client(user).post("/api/cases/", open_body(tenant=other_tenant.pk), format="json")
    assert Case.objects.get(pk=res.json()["id"]).tenant_id == tenant.pk


def test_list_filters_search_and_query_count_is_flat(start, staff):
    tenant, user, systems = customer("partner", "basic", start=start)
    client = api_client(user)
    for n in range(3):
        client.post("/api/cases/", open_body(subject=f"disk {n}"), format="json")
    with CaptureQueriesContext(connection) as three:
        assert len(client.get("/api/cases/").json()["results"]) == 3
    for n in range(7):
        client.post("/api/cases/", open_body(subject=f"cpu {n}"), format="json")
    with CaptureQueriesContext(connection) as ten:
        assert len(client.get("/api/cases/").json()["results"]) == 10
    assert len(ten) == len(three) <= 6
    assert len(client.get("/api/cases/?q=cpu").json()["results"]) == 7
    assert client.get("/api/cases/?state=closed").json()["results"] == []
    res = client.get("/api/cases/?tenant=abc")
    assert res.status_code == 400 and res.json()["code"] == "case.invalid_filter"


def test_agent_queue_orders_by_due_and_guards_queries(start, staff):
    tenant, user, systems = customer("partner", "basic", start=start)
    client = api_client(user)
    slow = client.post("/api/cases/", open_body(), format="json").json()["id"]
    fast = client.post(
        "/api/cases/",
        open_body(severity="production_down", system=systems["production"].pk),
        format="json",
    ).json()["id"]
    eng = api_client(staff["engineer"])
    with CaptureQueriesContext(connection) as q2:
        assert [c["id"] for c in eng.get("/api/cases/queue/").json()] == [fast, slow]
    for _ in range(5):
        client.post("/api/cases/", open_body(), format="json")
    with CaptureQueriesContext(connection) as q7:
        assert len(eng.get("/api/cases/queue/").json()) == 7
    assert len(q7) == len(q2) <= 5
    res = client.get("/api/cases/queue/")
    assert res.status_code == 403 and res.json()["code"] == "case.staff_only"


def test_detect_software_prefills_and_checks_scope(start):
    tenant, user, systems = customer("tencent", "s4", start=start)
    res = api_client(user).post(
        "/api/cases/detect-software/",
        {"provider": "tencent", "text": "OpenVPN 2.3 on CentOS 7 fails to start"},
        format="json",
    )
    (found,) = res.json()["detections"]
    assert found["software"] == "openvpn" and found["version"] == "2.3"
    assert found["platform"] == "linux" and found["in_scope"] is False


def test_cases_are_in_the_openapi_schema():
    admin = make_user(Role.PLATFORM_ADMIN)
    res = api_client(admin).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert res.status_code == 200
    paths = res.json()["paths"]
    for path in (
        "/api/cases/",
        "/api/cases/{id}/",
        "/api/cases/{id}/reply/",
        "/api/cases/{id}/attachments/",
        "/api/cases/entitlements/",
        "/api/cases/queue/",
    ):
        assert path in paths


def test_bench_ceiling_is_off_unless_enabled(start, monkeypatch):
    tenant, user, systems = customer("partner", "basic", start=start)
    assert api_client(user).post("/api/bench/ceiling/").status_code == 404


def test_escalating_past_my_tier_answers_where_the_case_went_not_404(start, staff):
    """Issue 15.1: the escalation succeeded; re-reading the case through the engineer's
    visibility (the engineer tier) answered "Case was not found"."""
    tenant, user, systems = customer("partner", "basic", start=start)
    case_id = api_client(user).post("/api/cases/", open_body(), format="json").json()["id"]
    engineer = api_client(staff["engineer"])
    assert engineer.post(f"/api/cases/{case_id}/take/", {}, format="json").status_code == 200
    res = engineer.post(f"/api/cases/{case_id}/escalate/", {"reason": "DBA"}, format="json")
    assert res.status_code == 200, res.json()
    expert = staff["expert"]
    assert res.json() == {
        "id": case_id,
        "visible": False,
        "queue": "expert",
        "queue_name": "Technical expert",
        "escalation_level": 1,
        "assignee": {"id": expert.pk, "name": expert.username, "role": "expert"},
        "message": f"Case #{case_id} moved to the Technical expert queue and was assigned to "
        f"{expert.username}; it has left your queue.",
    }
    # A manager who still sees it gets the case itself.
    res = api_client(staff["manager"]).post(
        f"/api/cases/{case_id}/escalate/", {"reason": "Senior"}, format="json"
    )
    assert res.status_code == 200
    assert (res.json()["queue"], res.json()["escalation_level"]) == ("senior_expert", 2)
    assert "thread" in res.json()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Ensure this field has no more than 20000 characters."),
        ("zh-hans", "请确保这个字段不能超过 20000 个字符。"),
    ],
)
def test_a_description_over_the_limit_is_a_400_naming_the_field_and_limit(start, language, message):
    """Issue 15.13: a 300,000-character description is refused in the envelope, in the
    caller's language, and nothing is opened."""
    _tenant, user, _systems = customer("partner", "vip", start=start)
    client = api_client(user, language=language)
    res = client.post("/api/cases/", open_body(description="x" * 300_000), format="json")
    assert res.status_code == 400
    body = res.json()
    assert (body["code"], body["fields"]) == ("invalid", {"description": [message]})
    assert Case.objects.count() == 0


def test_a_reply_over_the_limit_is_a_400_and_nothing_is_posted(start, staff):
    _tenant, user, _systems = customer("partner", "vip", start=start)
    client = api_client(user)
    case_id = client.post("/api/cases/", open_body(), format="json").json()["id"]
    res = client.post(f"/api/cases/{case_id}/reply/", {"body": "y" * 50_001}, format="json")
    assert res.status_code == 400
    assert res.json()["fields"] == {
        "body": ["Ensure this field has no more than 50000 characters."]
    }
    assert Case.objects.get(pk=case_id).communications.count() == 0


def test_a_body_over_the_upload_limit_is_a_413_envelope(start, settings):
    _tenant, user, _systems = customer("partner", "vip", start=start)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    res = api_client(user).post("/api/cases/", open_body(description="x" * 150_000), format="json")
    assert res.status_code == 413
    assert res.json()["code"] == "request_too_large"
    assert "100000" in res.json()["message"]
