"""The local stack as a subprocess, once per test module (what `make run` starts)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "e2e-admin-token-abcdef"
DEMO_SECRET = "demo-webhook-secret-not-for-production"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


@contextmanager
def local_stack(*args: str) -> Iterator[tuple[str, subprocess.Popen[str], list[str]]]:
    """Start `python -m infra.local_stack` (what `make run` starts) with `args`; yields its base URL,
    the process and every line it prints (read in the background)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STOREFLOW_"))}
    env.update(
        {"STOREFLOW_ADMIN_TOKEN": TOKEN, "PYTHONPATH": f"{ROOT}:{ROOT / 'layers'}", "PYTHONUNBUFFERED": "1"}
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local_stack", "--port", str(port), "--sweep-seconds", "2", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 90
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Ctrl-C stops everything" in line:
            break
    else:
        proc.kill()
        pytest.fail("local stack did not start:\n" + "".join(lines))
    if proc.poll() is not None:
        pytest.fail("local stack exited:\n" + "".join(lines))
    # keep reading what the console prints after the banner (the tests look at those lines)
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        yield f"http://127.0.0.1:{port}", proc, lines
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[str, subprocess.Popen[str], list[str]]]:
    with local_stack() as started:
        yield started
