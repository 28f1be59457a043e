"""Real receivers on 127.0.0.1 for delivery tests: an SMTP server (aiosmtpd) and HTTP robot
endpoints (http.server in a thread). Either can refuse a number of messages first, then
recover, so tests can show that every message arrives exactly once."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _SmtpHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[email.message.EmailMessage] = []
        self.refuse_next = 0
        self.refuse_reply = "451 4.3.0 Mail server busy, try again later"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return self.refuse_reply
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"


class SmtpReceiver:
    """An SMTP server on 127.0.0.1 that keeps what it accepts."""

    def __init__(self) -> None:
        self.handler = _SmtpHandler()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> SmtpReceiver:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def refuse(
        self, count: int, reply: str = "451 4.3.0 Mail server busy, try again later"
    ) -> None:
        with self.handler.lock:
            self.handler.refuse_next = count
            self.handler.refuse_reply = reply

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def mailer_settings(self) -> dict[str, Any]:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5},
            }
        }


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: Any


@dataclass
class RobotReceiver:
    """An HTTP endpoint standing in for a robot webhook. It answers like the platform:
    the success body, or HTTP 503 while `fail_next` is above zero."""

    platform: str
    fail_next: int = 0
    fail_status: int = 503
    fail_body: str = "service unavailable"
    received: list[Received] = field(default_factory=list)
    refused: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with receiver.lock:
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        receiver.refused += 1
                        self._answer(receiver.fail_status, receiver.fail_body)
                        return
                    parts = urlsplit(self.path)
                    receiver.received.append(
                        Received(
                            path=parts.path,
                            query=parse_qs(parts.query),
                            raw_query=parts.query,
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=json.loads(raw.decode("utf-8")),
                        )
                    )
                self._answer(200, json.dumps(SUCCESS[receiver.platform]))

            def _answer(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self) -> str:
        return {
            "wecom": f"{self.base}/cgi-bin/webhook/send?key=test-key",
            "welink": f"{self.base}/api/werobot/v1/webhook/send?token=test-token&channel=standard",
            "dingtalk": f"{self.base}/robot/send?access_token=test-token",
            "feishu": f"{self.base}/open-apis/bot/v2/hook/test-hook",
        }[self.platform]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


SUCCESS = {
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"code": 0, "msg": "success", "data": {}},
    "welink": {"code": "0", "data": "success", "message": "ok"},
}
