"""Lab systemd containers (no --privileged: cgroup fs read-only, tmpfs /run and /tmp)."""
from __future__ import annotations

import json
import shutil
import subprocess
import time

from . import images

PREFIX = "eks-lab-"


def _docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def gateway() -> str:
    """The host's address as containers see it (docker bridge gateway)."""
    cfg = json.loads(_docker("network", "inspect", "bridge").stdout)[0]["IPAM"]["Config"]
    return cfg[0].get("Gateway", "172.17.0.1")


def docker_ok() -> bool:
    return shutil.which("docker") is not None and _docker("info", check=False).returncode == 0


def up(name: str, timeout: float = 90, image: str | None = None, ports: list[str] = (),
       volumes: list[str] = ()) -> dict:
    """Start (or find) systemd container `name` from `image` (default: the lab image), with
    `docker run -p` port and `-v` volume specs."""
    cname = PREFIX + name
    running = _docker("inspect", "-f", "{{.State.Running}}", cname, check=False)
    if running.returncode == 0 and running.stdout.strip() != "true":
        # left behind stopped (a daemon that died under it, a crash): systemd in it will never boot
        _docker("rm", "-f", cname, check=False)
        running = _docker("inspect", "-f", "{{.State.Running}}", cname, check=False)
    if running.returncode != 0:
        extra = [a for p in ports for a in ("-p", p)] + [a for v in volumes for a in ("-v", v)]
        _docker("run", "-d", "--name", cname, "--hostname", name, "--label", "eks-lab=1", *extra,
                "--stop-signal", "SIGRTMIN+3", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp:exec",
                "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", image or images.container_image())
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = _docker("exec", cname, "systemctl", "is-system-running", check=False).stdout.strip()
        if state in ("running", "degraded"):
            return {"name": cname, "state": state, "proxy": f"http://{gateway()}:3142"}
        time.sleep(1)
    raise TimeoutError(f"{cname} did not finish booting (systemd says {state!r})")


def down(name: str) -> dict:
    gone = _docker("rm", "-f", PREFIX + name, check=False).returncode == 0
    return {"name": PREFIX + name, "removed": gone}


def ls() -> list[str]:
    out = _docker("ps", "-a", "--filter", "label=eks-lab=1", "--format", "{{.Names}}").stdout
    return out.split()
