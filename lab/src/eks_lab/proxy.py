"""The lab's egress proxy: a systemd container (eks-lab-proxy) that the collection's own
squid role makes an allow-listed Squid - the same role and playbook as the proxy tier in
AWS (playbooks/egress_proxy.yml, inventory inventories/lab, group egress_proxy).

Its port 3128 is published on 127.0.0.1 and the docker bridge gateway (port 3142 by default):
lab VMs reach it through qemu's guestfwd (10.0.2.100:3142), lab containers at the gateway.
Squid's disk cache lives in the lab state directory, so package files survive the container.
The container reaches the Debian archive directly - it plays the proxy host behind the NAT
gateways."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from . import STATE_DIR, containers, mirror

DEFAULT_PORT = int(os.environ.get("EKS_LAB_PROXY_PORT", "3142"))
NAME = "proxy"
REPO = Path(__file__).resolve().parents[3]


def _alive(port: int) -> bool:
    """The proxy answers and serves the allow-listed lab mirror (a 200 through Squid)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"}))
    try:
        with opener.open(mirror.url(mirror.default_bind()), timeout=5) as r:
            return r.status == 200
    except (OSError, subprocess.CalledProcessError, IndexError, KeyError):
        return False


def status(port: int = DEFAULT_PORT) -> dict:
    running = containers.PREFIX + NAME in containers.ls()
    return {"url": f"http://127.0.0.1:{port}", "container": containers.PREFIX + NAME,
            "running": running and _alive(port)}


def configure() -> subprocess.CompletedProcess:
    """Run the collection's egress_proxy play (the squid role) on the container (idempotent)."""
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "inventories/lab", "playbooks/egress_proxy.yml"]
    with open(STATE_DIR / "proxy-configure.log", "ab") as log:
        return subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, check=True)


def up(port: int = DEFAULT_PORT) -> dict:
    gw = containers.gateway()
    mirror_state = mirror.up(mirror.default_bind())
    if _alive(port):
        return status(port) | {"started": False, "mirror": mirror_state}
    cache = STATE_DIR / "squid-cache"
    cache.mkdir(parents=True, exist_ok=True)
    containers.up(NAME, ports=[f"127.0.0.1:{port}:3128", f"{gw}:{port}:3128"], volumes=[f"{cache}:/var/spool/squid"])
    configure()
    return status(port) | {"started": True, "mirror": mirror_state}


def down(port: int = DEFAULT_PORT) -> dict:
    removed = containers.down(NAME)["removed"]
    return {"removed": removed, "mirror": mirror.down(mirror.default_bind()), "running": False}
