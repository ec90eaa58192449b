"""Lifecycle of the local AWS emulator (a moto server on 127.0.0.1)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from . import STATE_DIR

DEFAULT_PORT = int(os.environ.get("EKS_LAB_MOTO_PORT", "5055"))
PIDFILE = STATE_DIR / "moto.pid"
LOGFILE = STATE_DIR / "moto.log"


def endpoint(port: int = DEFAULT_PORT) -> str:
    return f"http://127.0.0.1:{port}"


def env(port: int = DEFAULT_PORT) -> dict[str, str]:
    """Environment that points boto3 and every amazon.aws module at the emulator."""
    return {
        "AWS_ENDPOINT_URL": endpoint(port),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_REGION", "us-east-1"),
    }


def _alive(port: int) -> bool:
    try:
        with urllib.request.urlopen(endpoint(port) + "/moto-api/data.json", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def status(port: int = DEFAULT_PORT) -> dict:
    pid = int(PIDFILE.read_text()) if PIDFILE.exists() else None
    return {"endpoint": endpoint(port), "running": _alive(port), "pid": pid}


def up(port: int = DEFAULT_PORT, timeout: float = 60) -> dict:
    """Start the emulator unless one already answers on the port (idempotent)."""
    if _alive(port):
        return status(port) | {"started": False}
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    child_env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    with open(LOGFILE, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "eks_lab.moto_patched", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=child_env, start_new_session=True,
        )
    PIDFILE.write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto server exited with {proc.returncode}; see {LOGFILE}")
        if _alive(port):
            return status(port) | {"started": True}
        time.sleep(0.3)
    raise TimeoutError(f"moto server did not answer on {endpoint(port)} within {timeout}s")


def down(port: int = DEFAULT_PORT) -> dict:
    stopped = False
    if PIDFILE.exists():
        pid = int(PIDFILE.read_text())
        try:
            os.killpg(pid, signal.SIGTERM)
            stopped = True
        except ProcessLookupError:
            pass
        PIDFILE.unlink()
        for _ in range(50):
            if not _alive(port):
                break
            time.sleep(0.1)
    return {"stopped": stopped, "running": _alive(port)}


def reset(port: int = DEFAULT_PORT) -> None:
    """Wipe all emulated state (moto's reset API)."""
    req = urllib.request.Request(endpoint(port) + "/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def call_count(port: int = DEFAULT_PORT) -> int:
    """Number of AWS API requests the emulator answered (counted by our wrapper)."""
    with urllib.request.urlopen(endpoint(port) + "/eks-lab/calls", timeout=5) as r:
        return json.load(r)["calls"]
