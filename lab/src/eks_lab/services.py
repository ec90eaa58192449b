"""Everything the lab runs on this machine, started and stopped together (`eks-lab up|down`):
the Docker daemon (only if it was not running), the egress proxy container (Squid, configured
by the collection's squid role) and the ClamAV mirror behind it, the AWS emulator, and - on the way down - every lab VM and container."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from . import STATE_DIR, aws, containers, mirror, proxy

DOCKERD_PID = "dockerd.pid"


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def dockerd_up(timeout: float = 60) -> dict:
    """Start dockerd unless a daemon answers; record its pid so that `down` stops only ours."""
    if containers.docker_ok():
        return {"dockerd": "running", "started": False}
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(STATE_DIR / "dockerd.log", "ab") as log:
        proc = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (STATE_DIR / DOCKERD_PID).write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if containers.docker_ok():
            return {"dockerd": "running", "started": True}
        if proc.poll() is not None:
            break
        time.sleep(1)
    raise RuntimeError(f"dockerd did not start; see {STATE_DIR / 'dockerd.log'}")


def dockerd_down(timeout: float = 30) -> bool:
    """Stop the dockerd this lab started (pidfile, and the process really is a dockerd)."""
    pidfile = STATE_DIR / DOCKERD_PID
    if not pidfile.exists():
        return False
    pid = int(pidfile.read_text())
    pidfile.unlink()
    if not any(os.path.basename(a) == "dockerd" for a in _cmdline(pid)[:1]):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _cmdline(pid):
        time.sleep(0.2)
    return True


def up() -> dict:
    return {"dockerd": dockerd_up(), "proxy": proxy.up(), "aws": aws.up()}


def down() -> dict:
    from . import vm

    vms = [vm.down(v["name"])["name"] for v in vm.ls()]
    ctrs = []
    if containers.docker_ok():
        ctrs = [containers.down(n.removeprefix(containers.PREFIX))["name"] for n in containers.ls()]
    return {"vms": vms, "containers": ctrs, "mirror": mirror.down(mirror.default_bind()), "aws": aws.down(),
            "dockerd_stopped": dockerd_down()}
