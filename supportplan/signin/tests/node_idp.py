"""Start one of the test identity providers (node, installed by `make setup` from its lock
file) on a free loopback port, wait until it answers, and stop it afterwards."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_idp(
    idp_dir: Path, *, package: str, what: str, args: list[str], probe: str,
    ready: Callable[[bytes, str], bool],
) -> Iterator[str]:  # fmt: skip
    """`node idp.js <port> *args` in `idp_dir`; yields its base URL once `GET base+probe`
    answers a body that `ready(body, base)` accepts. Skips without node; fails, saying what
    to run, when the node modules are missing."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(f"node is not installed: the test {what} needs it")
    if not (idp_dir / "node_modules" / package).is_dir():
        pytest.fail(
            f"the test {what}'s node modules are missing in {idp_dir}: run `make setup` "
            f"(it runs `npm ci --prefix {idp_dir}`)"
        )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [node, "idp.js", str(port), *args],
        cwd=idp_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                pytest.fail(f"the test {what} exited: {process.stdout.read()}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"{base}{probe}", timeout=2) as answer:
                    assert ready(answer.read(), base)
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the test {what} did not answer within 20 seconds")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
