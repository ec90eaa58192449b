"""Background lab services: start once, find again by pidfile, stop by process group."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Callable

from . import STATE_DIR


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status < 500
    except OSError:
        return False


def start(name: str, args: list[str], alive: Callable[[], bool], env: dict | None = None, timeout: float = 60) -> bool:
    """Run `python -m <args>` in the background unless alive() already; True if started."""
    if alive():
        return False
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(STATE_DIR / f"{name}.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", *args], stdout=log, stderr=subprocess.STDOUT,
                                env=dict(os.environ, **(env or {})), start_new_session=True)
    (STATE_DIR / f"{name}.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see {STATE_DIR / (name + '.log')}")
        if alive():
            return True
        time.sleep(0.3)
    raise TimeoutError(f"{name} did not come up within {timeout}s")


def stop(name: str, alive: Callable[[], bool]) -> bool:
    pidfile = STATE_DIR / f"{name}.pid"
    stopped = False
    if pidfile.exists():
        try:
            os.killpg(int(pidfile.read_text()), signal.SIGTERM)
            stopped = True
        except ProcessLookupError:
            pass
        pidfile.unlink()
        for _attempt in range(50):
            if not alive():
                break
            time.sleep(0.1)
    return stopped


def pid(name: str) -> int | None:
    pidfile = STATE_DIR / f"{name}.pid"
    return int(pidfile.read_text()) if pidfile.exists() else None
