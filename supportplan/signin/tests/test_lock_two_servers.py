"""The lock is shared by app servers: wrong passwords on one server, then the right password
on another is refused. Two real `runserver` processes on PostgreSQL (skipped on SQLite,
where a second process cannot see the in-memory test database)."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL=postgres://...)"
)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(port: int) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "supportplan.config.settings.test",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(port: int) -> None:
    for _ in range(600):  # readiness loop, not a timing assertion
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/schema/", timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


def _token(port: int, password: str) -> int:
    body = urllib.parse.urlencode({"username": "alice", "password": password}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/token/", data=body)
    try:
        return urllib.request.urlopen(request, timeout=30).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.django_db(transaction=True)
def test_wrong_passwords_on_one_server_lock_the_other(member):
    ports = [_port(), _port()]
    servers = [_server(p) for p in ports]
    try:
        for port in ports:
            _wait_ready(port)
        assert _token(ports[1], "right-horse-battery") == 200  # the right password works
        assert [_token(ports[0], "nope") for _ in range(5)] == [400] * 5
        assert _token(ports[1], "right-horse-battery") == 429
        assert _token(ports[0], "right-horse-battery") == 429
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
