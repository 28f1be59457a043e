"""Huawei Cloud's OSM v2 API driven by huaweicloudsdkosm exactly as published, over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.formdata import FormFile
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkosm.v2 import (
    CreateCasesRequest,
    CreateMessageDoV2,
    CreateMessagesRequest,
    CreateMessageV2Req,
    CreateOrderIncidentV2Req,
    CreateScoresRequest,
    CreateScoreV2Req,
    DownloadAccessoriesRequest,
    IncidentSatisfactionV2Do,
    ListCaseQuotasRequest,
    ListCasesRequest,
    ListMessagesRequest,
    ListProductCategoriesRequest,
    ListSeveritiesRequest,
    OsmClient,
    ShowCaseDetailRequest,
    UpdateCasesRequest,
    UploadAccessoryRequest,
    UploadAccessoryRequestBody,
    WorkOrderOperateV2Req,
)

from supportplan.accounts.models import Role
from supportplan.cases.models import Case
from supportplan.cases.tests.factories import customer, entitle, load_catalogs
from supportplan.compat.keys import access_key_create
from supportplan.core import clock
from supportplan.core.testing import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    start = clock.now() - timedelta(days=30)
    load_catalogs(start)
    tenant, user, systems = customer(None, None)
    entitle(tenant, "partner", "basic", start=start)
    other_tenant, other, _ = customer(None, None)
    entitle(other_tenant, "partner", "vip", start=start)
    make_user(Role.ENGINEER, handler_tier="engineer")
    return {"user": user, "systems": systems, "other": other}


def osm(live_server, user, *, secret=None):
    made = access_key_create(actor=user, user=user, now=clock.now())
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    credentials = GlobalCredentials(
        made.key.access_key_id, secret or made.secret_access_key, domain_id=str(user.tenant_id)
    )
    return (
        OsmClient.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoints([live_server.url])
        .build()
    )


def test_severities_follow_the_plan_in_both_languages(live_server, world):
    client = osm(live_server, world["user"])
    zh = client.list_severities(ListSeveritiesRequest(x_language="zh-cn")).severity_list
    assert [(s.severity_id, s.severity_name) for s in zh] == [
        ("production_down", "生产系统不可用"),
        ("production_abnormal", "生产系统异常"),
        ("system_abnormal", "系统异常"),
        ("general_guidance", "一般性指导"),
    ]
    en = client.list_severities(ListSeveritiesRequest(x_language="en-us")).severity_list
    assert en[0].severity_name == "Production system down"
    categories = client.list_product_categories(ListProductCategoriesRequest())
    codes = [c.incident_product_category_id for c in categories.incident_product_category_list]
    assert codes[0] == "general-info" and len(codes) == 1 + len(world["systems"])
    quota = client.list_case_quotas(ListCaseQuotasRequest())
    assert (quota.total, quota.un_used) == (-1, -1)


def test_create_reply_attach_score_close(live_server, world, tmp_path):
    client = osm(live_server, world["user"])
    log = tmp_path / "disk.log"
    log.write_bytes(b"EXT4-fs error: disk full\n")
    with open(log, "rb") as handle:
        uploaded = client.upload_accessory(
            UploadAccessoryRequest(body=UploadAccessoryRequestBody(file=FormFile(handle)))
        )
    system = world["systems"]["production"]
    created = client.create_cases(
        CreateCasesRequest(
            body=CreateOrderIncidentV2Req(
                product_category_id=f"system-{system.pk}",
                business_type_id="general",
                severity_id="system_abnormal",
                simple_description="OBS mount fails\nSince 09:00 ecs-01 cannot mount the bucket.",
                accessory_ids=[uploaded.accessory_id],
            )
        )
    )
    case = Case.objects.get()
    assert created.incident_id == f"case-{case.tenant_id}-{case.pk}"
    assert (case.subject, case.severity, case.channel) == (
        "OBS mount fails",
        "system_abnormal",
        "ticket",
    )
    listed = client.list_cases(ListCasesRequest(limit=10, offset=0))
    assert [(i.incident_id, i.status) for i in listed.incident_info_list] == [
        (created.incident_id, 0)
    ]
    client.create_messages(
        CreateMessagesRequest(
            case_id=created.incident_id,
            body=CreateMessageV2Req(message=CreateMessageDoV2(content="Any update?")),
        )
    )
    messages = client.list_messages(ListMessagesRequest(case_id=created.incident_id)).message_list
    assert [m.content for m in messages] == [
        "Any update?",
        "OBS mount fails\nSince 09:00 ecs-01 cannot mount the bucket.",
    ]
    detail = client.show_case_detail(
        ShowCaseDetailRequest(case_id=created.incident_id, x_language="zh-cn")
    ).incident_detail_info
    assert detail.severity_name == "系统异常"
    accessory = detail.message_list[-1].accessory_list[0]
    assert accessory.file_actual_name == "disk.log"
    download = client.download_accessories(
        DownloadAccessoriesRequest(accessory_id=accessory.accessory_id)
    )
    chunks = []
    download.consume_download_stream(lambda stream: chunks.extend(stream.iter_content(1024)))
    assert b"".join(chunks) == b"EXT4-fs error: disk full\n"

    client.update_cases(
        UpdateCasesRequest(
            case_id=created.incident_id,
            action_id="confirm",
            body=WorkOrderOperateV2Req(operate_desc="Solved by remounting."),
        )  # fmt: skip
    )
    assert Case.objects.get().state == "resolved"
    client.create_scores(
        CreateScoresRequest(
            case_id=created.incident_id,
            body=CreateScoreV2Req(
                incident_satisfaction_list=[IncidentSatisfactionV2Do(satisfaction_value=5)]
            ),
        )
    )
    assert Case.objects.get().rating.score == 5


def test_refusals_are_client_errors_in_the_owners_language(live_server, world):
    system = world["systems"]["core_production"]
    user = world["user"]
    for language, needle in (("en", "does not include the severity"), ("zh-hans", "不包含")):
        user.language = language
        user.save(update_fields=["language"])
        client = osm(live_server, user)
        with pytest.raises(ClientRequestException) as info:
            client.create_cases(
                CreateCasesRequest(
                    body=CreateOrderIncidentV2Req(
                        product_category_id=f"system-{system.pk}",
                        severity_id="core_production_down",
                        simple_description="Everything is down.",
                    )
                )
            )
        assert info.value.error_code == "OSM.case.severity_not_in_plan"
        assert needle in info.value.error_msg
    assert Case.objects.count() == 0


def test_wrong_secret_and_another_tenants_case(live_server, world):
    with pytest.raises(ClientRequestException) as info:
        osm(live_server, world["user"], secret="wrong").list_severities(ListSeveritiesRequest())
    assert (info.value.status_code, info.value.error_code) == (401, "APIGW.0301")

    theirs = osm(live_server, world["other"]).create_cases(
        CreateCasesRequest(body=CreateOrderIncidentV2Req(simple_description="Their own case."))
    )
    mine = osm(live_server, world["user"])
    with pytest.raises(ClientRequestException) as info:
        mine.show_case_detail(ShowCaseDetailRequest(case_id=theirs.incident_id))
    assert (info.value.status_code, info.value.error_code) == (404, "OSM.CaseNotFound")
    with pytest.raises(ClientRequestException):
        mine.create_messages(
            CreateMessagesRequest(
                case_id=theirs.incident_id,
                body=CreateMessageV2Req(message=CreateMessageDoV2(content="hello")),
            )
        )
    assert mine.list_cases(ListCasesRequest()).total_count == 0
    assert Case.objects.get().communications.filter(kind="public_reply").count() == 0


def signed_call(live_server, key, secret, method, path, body=b""):
    """A request signed with huaweicloudsdkcore's own signer, for routes the test names."""
    from urllib.parse import urlsplit

    import httpx
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    host = urlsplit(live_server.url).netloc
    request = SdkRequest(
        method=method, schema="http", host=host, resource_path=path, query_params=[],
        header_params={"Content-Type": "application/json"}, body=body,
    )  # fmt: skip
    Signer(BasicCredentials(key, secret)).sign(request)
    return httpx.request(
        method, f"{live_server.url}{path}", headers=dict(request.header_params), content=body
    )


def test_every_osm_route_refuses_another_tenants_objects(live_server, world):
    """Every route under /v2/servicerequest/ that names a case or a file, called with A's key
    for B's: 404, and nothing changes. A new route must be added to ATTACKS."""
    from django.urls import get_resolver

    from supportplan.api.tests.test_tenancy_matrix import _walk
    from supportplan.cases.attachments import case_attach
    from supportplan.cases.models import Attachment

    b_client = osm(live_server, world["other"])
    made = b_client.create_cases(
        CreateCasesRequest(body=CreateOrderIncidentV2Req(simple_description="B's secret outage"))
    )
    case = Case.objects.get()
    from django.core.files.uploadedfile import SimpleUploadedFile

    attachment = case_attach(
        actor=world["other"], case=case, now=clock.now(),
        upload=SimpleUploadedFile("b.txt", b"B only"),
    )  # fmt: skip
    attacks = {
        "cases/<str:case_id>": ("GET", f"cases/{made.incident_id}", b""),
        "cases/<str:case_id>/message": (
            "POST", f"cases/{made.incident_id}/message", b'{"message": {"content": "hi"}}',
        ),
        "cases/<str:case_id>/messages": ("GET", f"cases/{made.incident_id}/messages", b""),
        "cases/<str:case_id>/action": ("POST", f"cases/{made.incident_id}/action", b"{}"),
        "cases/<str:case_id>/score": (
            "POST", f"cases/{made.incident_id}/score",
            b'{"incident_satisfaction_list": [{"satisfaction_value": 1}]}',
        ),
        "accessorys/<str:accessory_id>": ("GET", f"accessorys/attachment-{attachment.pk}", b""),
    }  # fmt: skip
    routes = {
        pattern.removeprefix("v2/servicerequest/")
        for pattern, _name, _cb in _walk(get_resolver().url_patterns)
        if pattern.startswith("v2/servicerequest/") and "<" in pattern
    }
    assert routes == set(attacks), "classify every OSM route that names an object"
    user = world["user"]
    mine = access_key_create(actor=user, user=user, now=clock.now())
    before = (Case.objects.get().state, case.communications.count(), Attachment.objects.count())
    for method, path, body in attacks.values():
        answer = signed_call(
            live_server, mine.key.access_key_id, mine.secret_access_key, method,
            f"/v2/servicerequest/{path}", body,
        )  # fmt: skip
        assert answer.status_code == 404, (path, answer.status_code, answer.text)
        assert "secret outage" not in answer.text and "B only" not in answer.text
    case.refresh_from_db()
    assert (case.state, case.communications.count(), Attachment.objects.count()) == before
    assert not hasattr(case, "rating") or not Case.objects.filter(rating__isnull=False).exists()
