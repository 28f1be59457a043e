"""In a real Chromium (Debian's, as supportplan/web/tests/test_browser.py): a tenant
administrator connects the organisation's WeLink group in zh-Hans, reads the callback URL off
the page, and a message encrypted as WeLink does, posted to that URL, opens a case whose
answers reach the group robot (a receiver on 127.0.0.1).

Run: .venv/bin/pytest supportplan/integrations -m browser
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest

from supportplan.cases.models import Case
from supportplan.integrations import im_crypto
from supportplan.integrations.models import ImGroup
from supportplan.notifications.tests.receivers import RobotReceiver
from supportplan.web.tests import conftest as web_fixtures
from supportplan.web.tests import test_browser as browser_fixtures
from supportplan.web.tests.conftest import make_customer
from supportplan.web.tests.test_browser import go, shot

# The portal's browser fixtures (Debian's Chromium, signed-in pages, shipped catalogs, staff).
browser = browser_fixtures.browser
open_page = browser_fixtures.open_page
catalogs = web_fixtures.catalogs
staff = web_fixtures.staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def robot(settings):
    settings.NOTIFICATIONS_ROBOT_EXTRA_HOSTS = ["127.0.0.1"]
    receiver = RobotReceiver("welink")
    yield receiver
    receiver.stop()


def test_admin_connects_a_welink_group_in_chinese_and_a_signed_message_opens_a_case(
    catalogs,
    staff,
    open_page,
    robot,
):
    customer = make_customer("partner", "vip")
    page = open_page(customer.admin, "zh-hans")
    go(page, "/organisation/")
    with page.expect_navigation():
        page.click("#im-groups-link")
    assert page.locator("h1").inner_text() == "IM企业群"
    page.select_option("#id_platform", "welink")
    page.fill("#id_name", "运维 WeLink 群")
    page.fill("#id_chat_id", "wl-ops-group")
    page.fill("#id_app_secret", "welink-app-secret-9f3a")
    page.fill("#id_robot_webhook", robot.url())
    with page.expect_navigation():
        page.click("#im-group-form button[type=submit]")
    assert "已接入" in page.locator("#connected-h").inner_text()
    url = page.locator("#callback-url").inner_text().strip()
    group = ImGroup.objects.get()
    assert url == f"{page.base}/integrations/im/{group.pk}/"
    steps = page.locator("#connected ol.steps li").all_inner_texts()
    assert steps[1] == f"在回调设置中，将回调地址设为 {url}。"
    assert "welink-app-secret-9f3a" not in page.content()
    assert page.js_errors == []
    shot(page, "im-groups-zh-hans")

    def say(text: str) -> list[str]:
        event = {
            "eventType": "message", "timestamp": str(int(time.time())),
            "msgId": uuid.uuid4().hex, "groupId": "wl-ops-group",
            "sender": {"userId": "wangwu", "userName": "王五"},
            "content": {"text": f"@support {text}"},
        }  # fmt: skip
        sealed = im_crypto.welink_encrypt("welink-app-secret-9f3a", json.dumps(event))
        answer = httpx.post(url, json={"encrypt": sealed})
        assert answer.status_code == 200, answer.text
        plain = json.loads(
            im_crypto.welink_decrypt("welink-app-secret-9f3a", answer.json()["encrypt"])
        )
        return plain["answers"]

    asked = say("控制台登录后一直报 502")
    assert asked[0].startswith("问题的严重性是？请回复序号：\n1. 核心生产系统不可用")
    opened = say("5")[0]
    case = Case.objects.get()
    assert (case.tenant_id, case.channel, case.im_platform, case.severity) == (
        customer.tenant.pk, "im_group", "welink", "general_guidance",
    )  # fmt: skip
    assert opened.startswith(f"工单 #{case.pk} 已提交：控制台登录后一直报 502。")
    assert [r.body["content"]["text"] for r in robot.received][-1].startswith(f"工单 #{case.pk}")
    assert case.requester_id == customer.admin.pk
