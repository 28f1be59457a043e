"""Robot request shapes and signatures against each vendor's documented format, and the
retry schedule. Signature vectors were computed independently with
`openssl dgst -sha256 -hmac KEY -binary | base64`."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from supportplan.notifications import domain
from supportplan.notifications.domain import Content

NOW = datetime.fromtimestamp(1_700_000_000, tz=UTC)  # 2023-11-14 22:13:20 UTC
CALL = uuid.UUID("00000000-0000-4000-8000-000000000001")
CONTENT = Content(
    subject="[Case #7] Opened: 数据库连接失败",
    intro="A support case was opened.",
    facts=(("Severity", "Production system down"), ("Queue", "Technical expert")),
    link="https://support.example/cases/7/",
)


def test_dingtalk_sign_matches_the_documented_algorithm():
    # string_to_sign = timestamp + "\n" + secret; HmacSHA256 keyed with the secret; base64
    assert domain.dingtalk_sign("SECabc123", 1_700_000_000_000) == (
        "N5P09a4+p1AMJIJWnIvQd2Yxw9+fu/oEBnPrjCcsLXk="
    )


def test_feishu_sign_is_keyed_with_timestamp_and_secret_over_an_empty_message():
    assert domain.feishu_sign("feishu-secret", 1_700_000_000) == (
        "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU="
    )


def test_dingtalk_request_carries_timestamp_and_urlencoded_sign_as_query_params():
    req = domain.robot_request(
        "dingtalk",
        "https://oapi.dingtalk.com/robot/send?access_token=TOKEN",
        CONTENT,
        secret="SECabc123",
        now=NOW,
        call_id=CALL,
    )
    assert req.url == (
        "https://oapi.dingtalk.com/robot/send?access_token=TOKEN&timestamp=1700000000000"
        "&sign=N5P09a4%2Bp1AMJIJWnIvQd2Yxw9%2Bfu%2FoEBnPrjCcsLXk%3D"
    )
    query = parse_qs(urlsplit(req.url).query)
    assert query["sign"] == ["N5P09a4+p1AMJIJWnIvQd2Yxw9+fu/oEBnPrjCcsLXk="]
    assert req.body == {
        "msgtype": "markdown",
        "markdown": {
            "title": "[Case #7] Opened: 数据库连接失败",
            "text": "**[Case #7] Opened: 数据库连接失败**\nA support case was opened.\n"
            "> Severity: Production system down\n> Queue: Technical expert\n"
            "[https://support.example/cases/7/](https://support.example/cases/7/)",
        },
    }


def test_dingtalk_without_secret_sends_the_plain_webhook():
    req = domain.robot_request(
        "dingtalk",
        "https://oapi.dingtalk.com/robot/send?access_token=T",
        CONTENT,
        secret="",
        now=NOW,
        call_id=CALL,
    )
    assert req.url == "https://oapi.dingtalk.com/robot/send?access_token=T"


def test_feishu_request_puts_timestamp_seconds_and_sign_in_the_body():
    req = domain.robot_request(
        "feishu",
        "https://open.feishu.cn/open-apis/bot/v2/hook/abc",
        CONTENT,
        secret="feishu-secret",
        now=NOW,
        call_id=CALL,
    )
    assert req.url == "https://open.feishu.cn/open-apis/bot/v2/hook/abc"
    assert req.body == {
        "timestamp": "1700000000",
        "sign": "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU=",
        "msg_type": "text",
        "content": {"text": CONTENT.as_text()},
    }


def test_wecom_request_is_markdown_with_the_key_in_the_url_only():
    req = domain.robot_request(
        "wecom",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6",
        CONTENT,
        secret="",
        now=NOW,
        call_id=CALL,
    )
    assert req.url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6"
    assert req.body == {"msgtype": "markdown", "markdown": {"content": CONTENT.as_markdown()}}


def test_wecom_markdown_is_cut_to_4096_bytes_without_breaking_a_character():
    long = Content(subject="标题", intro="数" * 3000)
    req = domain.robot_request(
        "wecom", "https://qyapi.weixin.qq.com/x?key=k", long, secret="", now=NOW, call_id=CALL
    )
    text = req.body["markdown"]["content"]
    assert len(text.encode("utf-8")) <= 4096
    assert text.endswith("…")


def test_welink_request_has_the_documented_fields_and_fits_500_characters():
    long = Content(subject="S", intro="x" * 800)
    req = domain.robot_request(
        "welink",
        "https://open.welink.huaweicloud.com/api/werobot/v1/webhook/send?token=t&channel=standard",
        long,
        secret="",
        now=NOW,
        call_id=CALL,
    )
    assert set(req.body) == {
        "messageType",
        "content",
        "timeStamp",
        "uuid",
        "isAt",
        "isAtAll",
        "atAccounts",
    }
    assert req.body["messageType"] == "text"
    assert req.body["timeStamp"] == 1_700_000_000_000
    assert req.body["uuid"] == "00000000000040008000000000000001"
    assert req.body["isAt"] is False and req.body["isAtAll"] is False
    assert req.body["atAccounts"] == []
    assert len(req.body["content"]["text"]) == 500
    assert json.loads(req.body_bytes()) == req.body


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        domain.robot_request(
            "wecom", "https://x", CONTENT, secret="", now=datetime(2026, 1, 1), call_id=CALL
        )


@pytest.mark.parametrize(
    "platform,status,text,ok,permanent",
    [
        ("wecom", 200, '{"errcode":0,"errmsg":"ok"}', True, False),
        ("wecom", 200, '{"errcode":45009,"errmsg":"api freq out of limit"}', False, False),
        ("wecom", 200, '{"errcode":93000,"errmsg":"invalid webhook url"}', False, True),
        ("dingtalk", 200, '{"errcode":0,"errmsg":"ok"}', True, False),
        ("dingtalk", 200, '{"errcode":310000,"errmsg":"sign not match"}', False, True),
        ("dingtalk", 200, '{"errcode":130101,"errmsg":"send too fast"}', False, False),
        ("feishu", 200, '{"code":0,"msg":"success","data":{}}', True, False),
        ("feishu", 200, '{"code":19021,"msg":"sign match fail"}', False, True),
        ("feishu", 200, '{"code":11232,"msg":"frequency limited"}', False, False),
        ("welink", 200, '{"code":"0","data":"success","message":"ok"}', True, False),
        ("welink", 200, '{"code":"58601","message":"token invalid"}', False, True),
        ("welink", 503, "busy", False, False),
        ("wecom", 429, "", False, False),
        ("feishu", 404, "not found", False, True),
        ("dingtalk", 200, "<html>proxy error</html>", False, False),
    ],
)
def test_robot_answers(platform, status, text, ok, permanent):
    answer = domain.read_robot_answer(platform, status, text)
    assert (answer.ok, answer.permanent) == (ok, permanent)


@pytest.mark.parametrize(
    "attempts,wait",
    [
        (0, 0),
        (1, 30),
        (2, 60),
        (3, 120),
        (4, 240),
        (5, 480),
        (6, 960),
        (7, 1800),
        (8, 1800),
        (40, 1800),
    ],
)
def test_backoff_doubles_from_30_seconds_up_to_30_minutes(attempts, wait):
    assert domain.backoff(attempts) == timedelta(seconds=wait)


def test_after_attempt_retries_until_the_next_try_would_be_past_the_give_up_time():
    give_up = NOW + timedelta(minutes=2)
    assert (
        domain.after_attempt(
            ok=True, permanent=False, attempts=1, now=NOW, give_up_at=give_up
        ).status
        == "sent"
    )
    retry = domain.after_attempt(ok=False, permanent=False, attempts=1, now=NOW, give_up_at=give_up)
    assert (retry.status, retry.next_attempt_at) == ("pending", NOW + timedelta(seconds=30))
    edge = domain.after_attempt(ok=False, permanent=False, attempts=3, now=NOW, give_up_at=give_up)
    assert (edge.status, edge.next_attempt_at) == ("pending", give_up)  # exactly at the limit
    last = domain.after_attempt(ok=False, permanent=False, attempts=4, now=NOW, give_up_at=give_up)
    assert last.status == "failed"  # 4 minutes more would pass the give-up time
    assert (
        domain.after_attempt(
            ok=False, permanent=True, attempts=1, now=NOW, give_up_at=give_up
        ).status
        == "failed"
    )


@pytest.mark.parametrize(
    "platform,url,extra,problem",
    [
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", (), None),
        ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", (), "scheme"),
        ("wecom", "https://evil.example/cgi-bin/webhook/send?key=k", (), "host"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t", (), None),
        ("feishu", "https://open.larksuite.com/open-apis/bot/v2/hook/x", (), None),
        (
            "welink",
            "https://open.welink.huaweicloud.com/api/werobot/v1/webhook/send?token=t&channel=standard",
            (),
            None,
        ),
        ("welink", "http://127.0.0.1:8080/hook", ("127.0.0.1",), None),
        ("welink", "http://127.0.0.1:8080/hook", (), "scheme"),
        ("slack", "https://hooks.slack.com/x", (), "platform"),
    ],
)
def test_webhook_addresses_are_limited_to_the_platform_hosts(platform, url, extra, problem):
    assert domain.webhook_problem(platform, url, extra) == problem
