"""Issue 13: secrets never reach a log. Every record of a real robot delivery (HTTP receiver
on 127.0.0.1) goes through the handlers installed by settings.LOGGING; none carries the key."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest
from django.conf import settings as django_settings

from supportplan.accounts.models import Role
from supportplan.core.log_redaction import redact
from supportplan.core.testing import T0, api_client, make_user
from supportplan.notifications import services

from .factories import tenant_on


@pytest.fixture
def written_log():
    """The configured LOGGING, at DEBUG, writing into a buffer instead of stderr."""
    logging.config.dictConfig(django_settings.LOGGING)
    root = logging.getLogger()
    buffer = io.StringIO()
    handlers = [h for h in root.handlers if isinstance(h, logging.StreamHandler)]
    old_streams = [h.setStream(buffer) for h in handlers]
    old_level = root.level
    root.setLevel(logging.DEBUG)
    for h in handlers:
        h.setLevel(logging.DEBUG)
        h.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    yield buffer
    root.setLevel(old_level)
    for h, stream in zip(handlers, old_streams, strict=True):
        h.setStream(stream)


def test_a_robot_delivery_writes_no_webhook_key_to_the_log(catalogs, robot_receiver, written_log):
    vip = tenant_on("partner", "vip")
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=vip)
    for platform, secret in (("wecom", "test-key"),):
        group = robot_receiver(platform)
        robot = services.robot_add(
            actor=admin,
            tenant=vip,
            platform=platform,
            name=platform,
            webhook_url=group.url(),
            now=T0,
        )
        logging.getLogger("httpx").warning("HTTP Request: POST %s", group.url())  # worst case
        response = api_client(admin).post(f"/api/notification-robots/{robot.pk}/test/")
        assert response.status_code == 200 and len(group.received) == 1
        assert secret not in written_log.getvalue()
    assert "key=[redacted]" in written_log.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-1 200",
            "POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=[redacted] 200",
        ),
        (
            "https://oapi.dingtalk.com/robot/send?access_token=t1&timestamp=1&sign=s%2F",
            "https://oapi.dingtalk.com/robot/send?access_token=[redacted]&timestamp=1&sign=[redacted]",
        ),
        ('{"password": "hunter2", "user": "a"}', '{"password": "[redacted]", "user": "a"}'),
        (
            "{'secret_key': 'SK', 'access_key': 'AK'}",
            "{'secret_key': '[redacted]', 'access_key': '[redacted]'}",
        ),
        ("Authorization: Token abcd", "Authorization: Token [redacted]"),
        ("keyboard=1 monkey=2", "keyboard=1 monkey=2"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected
