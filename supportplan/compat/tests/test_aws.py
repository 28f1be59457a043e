"""The AWS Support API driven by boto3 and the AWS CLI exactly as published, over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from supportplan.accounts.models import Role
from supportplan.cases.models import Case
from supportplan.cases.tests.factories import customer, entitle, load_catalogs
from supportplan.compat.keys import access_key_create, access_key_revoke
from supportplan.core import clock
from supportplan.core.audit import AuditEntry
from supportplan.core.testing import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    now = clock.now()
    start = now - timedelta(days=30)
    load_catalogs(start)
    tenant, user, systems = customer(None, None)
    entitle(tenant, "partner", "basic", start=start)
    other_tenant, other, _ = customer(None, None)
    entitle(other_tenant, "partner", "vip", start=start)
    make_user(Role.ENGINEER, handler_tier="engineer")
    return {"user": user, "systems": systems, "other": other, "now": now}


def client_for(live_server, user, *, language="en", secret=None, key=None):
    if key is None:
        made = access_key_create(actor=user, user=user, now=clock.now())
        key, secret = made.key.access_key_id, made.secret_access_key
    user.language = "zh-hans" if language == "zh" else "en"
    user.save(update_fields=["language"])
    return boto3.client(
        "support",
        endpoint_url=f"{live_server.url}/compat/aws-support",
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def test_severity_levels_are_the_plans_own_in_both_languages(live_server, world):
    # The partner's Basic plan (基础级) offers every severity but "core production down".
    en = client_for(live_server, world["user"])
    assert en.describe_severity_levels(language="en")["severityLevels"] == [
        {"code": "low", "name": "General guidance"},
        {"code": "normal", "name": "System abnormal"},
        {"code": "high", "name": "Production system abnormal"},
        {"code": "urgent", "name": "Production system down"},
    ]
    assert en.describe_severity_levels(language="zh")["severityLevels"] == [
        {"code": "low", "name": "一般性指导"},
        {"code": "normal", "name": "系统异常"},
        {"code": "high", "name": "生产系统异常"},
        {"code": "urgent", "name": "生产系统不可用"},
    ]
    vip = client_for(live_server, world["other"]).describe_severity_levels()["severityLevels"]
    assert [s["code"] for s in vip] == ["low", "normal", "high", "urgent", "critical"]


def test_create_list_reply_attach_resolve(live_server, world):
    support = client_for(live_server, world["user"])
    system = world["systems"]["production"]
    attachment_set = support.add_attachments_to_set(
        attachments=[{"fileName": "error.log", "data": b"Traceback: disk full\n"}]
    )
    created = support.create_case(
        subject="ECS cannot mount data disk",
        communicationBody="Since 09:00 the data disk will not mount on ecs-01.",
        serviceCode=f"system-{system.pk}",
        severityCode="normal",
        attachmentSetId=attachment_set["attachmentSetId"],
        language="en",
    )
    case = Case.objects.get()
    assert created["caseId"] == f"case-{case.tenant_id}-{case.pk}"
    assert (case.channel, case.severity, case.system_id) == ("ticket", "system_abnormal", system.pk)
    assert case.attachments.get().name == "error.log"

    listed = support.describe_cases(caseIdList=[created["caseId"]])["cases"]
    assert [(c["caseId"], c["displayId"], c["status"], c["severityCode"]) for c in listed] == [
        (created["caseId"], str(case.pk), "opened", "normal")
    ]
    assert listed[0]["recentCommunications"]["communications"][0]["body"].startswith("Since 09:00")

    support.add_communication_to_case(caseId=created["caseId"], communicationBody="Any news?")
    bodies = [
        c["body"]
        for c in support.describe_communications(caseId=created["caseId"])["communications"]
    ]
    assert bodies[0] == "Any news?"

    first = support.describe_cases(caseIdList=[created["caseId"]])["cases"][0]
    files = [a for c in first["recentCommunications"]["communications"] for a in c["attachmentSet"]]
    got = support.describe_attachment(attachmentId=files[0]["attachmentId"])["attachment"]
    assert (got["fileName"], got["data"]) == ("error.log", b"Traceback: disk full\n")

    resolved = support.resolve_case(caseId=created["caseId"])
    assert (resolved["initialCaseStatus"], resolved["finalCaseStatus"]) == ("opened", "resolved")
    assert Case.objects.get().state == "resolved"
    assert support.describe_cases()["cases"] == []  # resolved cases only on request
    assert len(support.describe_cases(includeResolvedCases=True)["cases"]) == 1


def test_a_severity_the_plan_refuses_is_refused_in_the_owners_language(live_server, world):
    system = world["systems"]["core_production"]
    for language, needle in (("en", "does not include the severity"), ("zh", "不包含")):
        support = client_for(live_server, world["user"], language=language)
        with pytest.raises(ClientError) as info:
            support.create_case(
                subject="Down", communicationBody="All down.", severityCode="critical",
                serviceCode=f"system-{system.pk}",
            )  # fmt: skip
        assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert needle in info.value.response["Error"]["Message"]
    assert Case.objects.count() == 0


def test_another_tenants_case_is_not_found(live_server, world):
    theirs = client_for(live_server, world["other"])
    staged = theirs.add_attachments_to_set(attachments=[{"fileName": "b.txt", "data": b"B only"}])
    made = theirs.create_case(
        subject="Theirs", communicationBody="Their problem here.",
        attachmentSetId=staged["attachmentSetId"],
    )  # fmt: skip
    attachment_id = f"attachment-{Case.objects.get().attachments.get().pk}"
    mine = client_for(live_server, world["user"])
    with pytest.raises(ClientError) as info:
        mine.describe_attachment(attachmentId=attachment_id)
    assert info.value.response["Error"]["Code"] == "AttachmentIdNotFound"
    with pytest.raises(ClientError) as info:  # B's staged set is not A's to use
        mine.create_case(
            subject="x", communicationBody="y", attachmentSetId=staged["attachmentSetId"]
        )
    assert info.value.response["Error"]["Code"] == "AttachmentSetIdNotFound"
    for call in (
        lambda: mine.describe_cases(caseIdList=[made["caseId"]]),
        lambda: mine.describe_communications(caseId=made["caseId"]),
        lambda: mine.add_communication_to_case(caseId=made["caseId"], communicationBody="hi"),
        lambda: mine.resolve_case(caseId=made["caseId"]),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert info.value.response["Error"]["Code"] == "CaseIdNotFound"
    assert Case.objects.get().communications.filter(kind="public_reply").count() == 0


def test_wrong_expired_revoked_and_unknown_keys_are_refused(live_server, world):
    user = world["user"]
    made = access_key_create(actor=user, user=user, now=clock.now())
    wrong = client_for(live_server, user, key=made.key.access_key_id, secret="not-the-secret")
    with pytest.raises(ClientError) as info:
        wrong.describe_severity_levels()
    assert info.value.response["Error"]["Code"] == "InvalidSignatureException"

    unknown = client_for(live_server, user, key="SPAKNOSUCHKEY0000000", secret="x")
    with pytest.raises(ClientError) as info:
        unknown.describe_severity_levels()
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"

    expired = access_key_create(
        actor=user, user=user, now=clock.now() - timedelta(days=2), lifetime=timedelta(days=1)
    )
    with pytest.raises(ClientError) as info:
        client_for(
            live_server, user, key=expired.key.access_key_id, secret=expired.secret_access_key
        ).describe_severity_levels()
    assert info.value.response["Error"]["Code"] == "ExpiredTokenException"

    good = client_for(live_server, user, key=made.key.access_key_id, secret=made.secret_access_key)
    assert good.describe_severity_levels()["severityLevels"]
    access_key_revoke(actor=user, key=made.key, now=clock.now())
    with pytest.raises(ClientError) as info:
        good.describe_severity_levels()
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"
    actions = list(
        AuditEntry.objects.filter(action__startswith="access_key.").values_list("action", flat=True)
    )
    assert actions.count("access_key.created") == 2 and actions.count("access_key.revoked") == 1


def test_replayed_and_skewed_requests_are_refused(live_server, world):
    import httpx
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    user = world["user"]
    made = access_key_create(actor=user, user=user, now=clock.now())
    url = f"{live_server.url}/compat/aws-support/"
    body = json.dumps({"subject": "Once", "communicationBody": "Opened once, not twice."}).encode()

    def signed(at):
        request = AWSRequest(
            method="POST", url=url, data=body,
            headers={
                "X-Amz-Target": "AWSSupport_20130415.CreateCase",
                "Content-Type": "application/x-amz-json-1.1",
            },
        )  # fmt: skip
        signer = SigV4Auth(
            Credentials(made.key.access_key_id, made.secret_access_key), "support", "us-east-1"
        )
        request.context["timestamp"] = at.strftime("%Y%m%dT%H%M%SZ")
        request.headers["X-Amz-Date"] = request.context["timestamp"]
        canonical = signer.canonical_request(request)
        signature = signer.signature(signer.string_to_sign(request, canonical), request)
        scope = f"{made.key.access_key_id}/{at:%Y%m%d}/us-east-1/support/aws4_request"
        headers = dict(request.headers.items())
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={scope}, "
            f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(request))}, "
            f"Signature={signature}"
        )
        return headers

    headers = signed(clock.now())
    first = httpx.post(url, content=body, headers=headers)
    assert first.status_code == 200, first.text
    again = httpx.post(url, content=body, headers=headers)
    assert (again.status_code, again.json()["__type"]) == (400, "InvalidSignatureException")
    assert "already received" in again.json()["message"]
    assert Case.objects.count() == 1
    late = httpx.post(url, content=body, headers=signed(clock.now() - timedelta(minutes=6)))
    assert late.json()["__type"] == "InvalidSignatureException"
    assert late.json()["message"].startswith("Signature expired:")
    unsigned = httpx.post(url, content=body, headers={"X-Amz-Target": headers["X-Amz-Target"]})
    assert (unsigned.status_code, unsigned.json()["__type"]) == (
        403,
        "MissingAuthenticationTokenException",
    )


def test_the_aws_cli_unchanged(live_server, world, tmp_path):
    user = world["user"]
    made = access_key_create(actor=user, user=user, now=clock.now())
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID=made.key.access_key_id,
        AWS_SECRET_ACCESS_KEY=made.secret_access_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
    )
    aws = [sys.executable, "-m", "awscli", "support", "--endpoint-url",
           f"{live_server.url}/compat/aws-support", "--output", "json"]  # fmt: skip
    out = subprocess.run(
        [*aws, "describe-severity-levels", "--language", "zh"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert [s["name"] for s in json.loads(out.stdout)["severityLevels"]] == [
        "一般性指导",
        "系统异常",
        "生产系统异常",
        "生产系统不可用",
    ]
    out = subprocess.run(
        [*aws, "create-case", "--subject", "CLI case", "--communication-body",
         "Opened from the AWS CLI.", "--severity-code", "low"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert Case.objects.get().subject == "CLI case"


def test_create_case_options_come_from_the_business_calendars(world):
    """VIP's IM group runs 5x8: on Monday 2026-09-28 the National Day block (10-01 to
    10-07) and the Sunday after it are closed; Saturday 2026-10-10 is an adjusted working day."""
    from datetime import datetime

    from supportplan.compat.aws import Call, describe_create_case_options

    now = datetime.fromisoformat("2026-09-28T10:00:00+08:00")
    _, vip, _ = customer("partner", "vip")  # bought 2026-01-01, a year
    made = access_key_create(actor=vip, user=vip, now=now)
    options = describe_create_case_options(Call(made.key, {}, now))["communicationTypes"]
    by_type = {o["type"]: o for o in options}
    assert sorted(by_type) == ["call", "chat", "web"]
    assert by_type["web"]["supportedHours"] == [{"startTime": "00:00:00", "endTime": "23:59:59"}]
    assert by_type["web"]["datesWithoutSupport"] == []
    chat = by_type["chat"]
    assert chat["supportedHours"] == [{"startTime": "09:00:00", "endTime": "18:00:00"}]
    assert chat["datesWithoutSupport"][:3] == [
        {"startDateTime": "2026-10-01T00:00:00+08:00", "endDateTime": "2026-10-08T00:00:00+08:00"},
        {"startDateTime": "2026-10-11T00:00:00+08:00", "endDateTime": "2026-10-12T00:00:00+08:00"},
        {"startDateTime": "2026-10-17T00:00:00+08:00", "endDateTime": "2026-10-19T00:00:00+08:00"},
    ]


@pytest.mark.parametrize("script", ["aws_support.py", "huawei_osm.py"])
def test_the_documented_scripts_run_unchanged(live_server, world, script):
    from pathlib import Path

    user = world["user"]
    made = access_key_create(actor=user, user=user, now=clock.now())
    root = Path(__file__).resolve().parents[3]
    env = dict(
        os.environ,
        SUPPORTPLAN_URL=live_server.url,
        AWS_ACCESS_KEY_ID=made.key.access_key_id,
        AWS_SECRET_ACCESS_KEY=made.secret_access_key,
        HUAWEICLOUD_SDK_AK=made.key.access_key_id,
        HUAWEICLOUD_SDK_SK=made.secret_access_key,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    out = subprocess.run(
        [sys.executable, str(root / "docs" / "examples" / script)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    case = Case.objects.get()
    assert out.stdout.splitlines()[0].startswith("severities: ")
    assert "一般性指导" in out.stdout.splitlines()[0]
    assert out.stdout.splitlines()[1].startswith(f"opened: case-{case.tenant_id}-{case.pk} ")


def test_trusted_advisor_answers_from_the_monthly_report(live_server, world, settings, tmp_path):
    """A report generated from the demo connector's data: its advice is what the checks flag."""
    from datetime import UTC, datetime

    from supportplan.reports import services as reports
    from supportplan.reports.data import Month
    from supportplan.reports.models import Report

    settings.MEDIA_ROOT = tmp_path / "media"
    tenant, vip, _ = customer("partner", "vip")  # a year from 2026-01-01
    generated_at = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    reports.data_source_add(
        tenant=tenant, kind="demo", settings={"seed": tenant.slug, "instances": 4},
        now=generated_at,
    )  # fmt: skip
    reports.report_generate(tenant=tenant, month=Month(2026, 10), now=generated_at)
    items = Report.objects.get(tenant=tenant).headline["advice_items"]
    assert items, "the demo data must give some advice"

    support = client_for(live_server, vip)
    checks = support.describe_trusted_advisor_checks(language="en")["checks"]
    assert len(checks) == 13  # the report's advice rules, with the plan advisor's (issue 19)
    security = {c["id"]: c for c in checks if c["category"] == "security"}
    assert security["iam_without_mfa"]["name"] == "IAM users without MFA"
    zh = support.describe_trusted_advisor_checks(language="zh")["checks"]
    assert {c["id"]: c["name"] for c in zh}["iam_without_mfa"] == "未启用 MFA 的 IAM 用户"

    code = items[0]["code"]
    mine = [i for i in items if i["code"] == code]
    result = support.describe_trusted_advisor_check_result(checkId=code, language="en")["result"]
    assert result["status"] == ("error" if any(i["level"] == "high" for i in mine) else "warning")
    assert result["resourcesSummary"]["resourcesFlagged"] == len(mine)
    assert [r["resourceId"] for r in result["flaggedResources"]] == [
        i["subject"] or code for i in mine
    ]
    summaries = support.describe_trusted_advisor_check_summaries(checkIds=list(security))
    assert {s["checkId"] for s in summaries["summaries"]} == set(security)
    with pytest.raises(ClientError) as info:
        support.describe_trusted_advisor_check_result(checkId="no-such-check")
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"
    # Another organisation has no report: nothing flagged, "not available".
    other = client_for(live_server, world["user"])
    empty = other.describe_trusted_advisor_check_result(checkId=code)["result"]
    assert (empty["status"], empty["flaggedResources"]) == ("not_available", [])
