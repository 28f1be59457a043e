"""Advisories through the API: staff publish, TAM first, customers acknowledge; planned
events refused in both languages; customers never see another tenant's rows."""

import pytest

from supportplan.accounts.models import Role
from supportplan.advisories.models import Advisory, AdvisoryTarget
from supportplan.core.testing import api_client, make_user

from .factories import customer, staff

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "kind": "security_vulnerability",
    "severity": "high",
    "title": {"zh-hans": "Nginx 请求走私漏洞", "en": "Nginx request smuggling"},
    "body": {"zh-hans": "影响 1.25 之前的版本。", "en": "Affects versions before 1.25."},
    "actions": {"zh-hans": "升级 Nginx。", "en": "Upgrade nginx."},
    "clouds": ["huawei"],
    "software": [{"name": "nginx", "versions": "<1.25"}],
    "contact_within": "01:00:00",
}


@pytest.fixture
def world(catalogs):
    tam = staff(Role.TAM)
    vip = customer("partner", "vip", tam=tam, clouds=[("huawei", ["cn-north-4"])], language="en")
    ded = customer("partner", "dedicated", clouds=[("huawei", ["cn-north-4"])])
    vip_user = make_user(Role.CUSTOMER_ADMIN, tenant=vip, language="en")
    ded_user = make_user(Role.CUSTOMER_ADMIN, tenant=ded)
    for user, version in ((vip_user, "1.24.0"), (ded_user, "1.20.1")):
        response = api_client(user).post(
            "/api/software-inventory/", {"name": "Nginx", "version": version}, format="json"
        )
        assert response.status_code == 201, response.json()
    return {
        "tam": tam,
        "manager": staff(Role.SUPPORT_MANAGER),
        "vip": vip,
        "ded": ded,
        "vip_user": vip_user,
        "ded_user": ded_user,
    }


@pytest.mark.parametrize(
    "language,start",
    [
        (
            "en",
            "Planned events such as an annual security drill are not covered by the enterprise care plan",
        ),
        ("zh-hans", "护网行动等计划性事件不在企业优护计划范围内"),
    ],
)
def test_planned_events_are_refused_with_a_pointer_to_mdr(world, language, start):
    response = api_client(world["manager"], language=language).post(
        "/api/advisories/", {**PAYLOAD, "kind": "planned_event"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "advisory.planned_event_out_of_scope" and body["field"] == "kind"
    assert body["message"].startswith(start)
    assert "https://support.huaweicloud.com/mdr/index.html" in body["message"]
    assert Advisory.objects.count() == 0


def test_publish_tam_first_then_customer_reads_and_acknowledges(world):
    w = world
    manager = api_client(w["manager"], language="en")
    created = manager.post("/api/advisories/", PAYLOAD, format="json")
    assert created.status_code == 201, created.json()
    advisory_id = created.json()["id"]
    assert created.json()["title_text"] == "Nginx request smuggling"

    published = manager.post(f"/api/advisories/{advisory_id}/publish/").json()
    assert sorted((t["tenant"], t["care"], t["status"]) for t in published) == sorted(
        [(w["vip"].pk, True, "awaiting_tam"), (w["ded"].pk, False, "notified")]
    )
    # the VIP customer does not see it yet; the other tenant's customer does
    vip = api_client(w["vip_user"], language="en")
    assert vip.get("/api/advisories/").json()["results"] == []
    assert vip.get(f"/api/advisories/{advisory_id}/").status_code == 404
    ded = (
        api_client(w["ded_user"], language="zh-hans").get(f"/api/advisories/{advisory_id}/").json()
    )
    assert ded["title_text"] == "Nginx 请求走私漏洞"
    assert ded["my_organisation"]["status"] == "notified"

    tam = api_client(w["tam"])
    [task] = tam.get("/api/advisory-tasks/").json()["results"]
    assert task["tenant"] == w["vip"].pk and task["advisory_title"]
    done = tam.post(
        f"/api/advisory-tasks/{task['id']}/contact/",
        {"note": "Phoned the CIO", "handling_plan": "Upgrade in tonight's window"},
        format="json",
    )
    assert done.status_code == 200 and done.json()["notified_reason"] == "tam_contacted"

    body = vip.get(f"/api/advisories/{advisory_id}/").json()
    assert body["my_organisation"]["handling_plan"] == "Upgrade in tonight's window"
    assert "contact_note" not in body["my_organisation"]  # internal
    assert (
        vip.post(f"/api/advisories/{advisory_id}/acknowledge/").json()["status"] == "acknowledged"
    )

    reach = manager.get(f"/api/advisories/{advisory_id}/targets/").json()
    assert (reach["reached"], reach["not_reached"]) == (1, 1)
    assert (
        api_client(w["vip_user"]).get(f"/api/advisories/{advisory_id}/targets/").status_code == 403
    )


def test_customers_cannot_publish_or_work_tasks_or_touch_other_inventories(world):
    w = world
    vip = api_client(w["vip_user"], language="en")
    response = vip.post("/api/advisories/", PAYLOAD, format="json")
    assert response.status_code == 403 and response.json()["code"] == "advisory.publish_forbidden"
    assert vip.get("/api/advisory-tasks/").status_code == 403
    assert vip.get(f"/api/software-inventory/?tenant={w['ded'].pk}").status_code == 404
    foreign = vip.post(
        f"/api/software-inventory/?tenant={w['ded'].pk}", {"name": "x"}, format="json"
    )
    assert foreign.status_code == 404
    [mine] = vip.get("/api/software-inventory/").json()["results"]
    assert mine["name"] == "Nginx" and mine["version"] == "1.24.0"
    other_id = api_client(w["ded_user"]).get("/api/software-inventory/").json()["results"][0]["id"]
    assert vip.delete(f"/api/software-inventory/{other_id}/").status_code == 404
    assert AdvisoryTarget.objects.count() == 0
