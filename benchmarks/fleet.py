#!/usr/bin/env python
"""Fleet-scale benchmark: the scheduled no-op run of playbooks/harden.yml over 1, 4, 8 and 16
lab hosts (systemd containers; SELinux and auditd are off there - containers have no kernel of
their own). Prints the total time and the per-host cost for each fleet size, and the ratio of
16 hosts to 1 (target: at most 4x). Asserts nothing.

One container is converged once and committed as an image, so every fleet starts from hosts
already hardened (the fluentd log group is made host-independent for that); the timed run is
the first one that reports changed=0 (a second run is made and timed if the first changed
anything). Settings under test come from ansible.cfg (forks,
pipelining, fact cache); override with ANSIBLE_* variables to compare.

    .venv/bin/python benchmarks/fleet.py [SIZES...]      (default: 1 4 8 16)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "lab" / "src"))
from eks_lab import containers, images, proxy  # noqa: E402

IMAGE = "eks-lab/fleet-hardened:bench"


def inventory(names: list[str], path: Path) -> None:
    gw = containers.gateway()
    hosts = {n: {"ansible_connection": "community.docker.docker", "ansible_host": containers.PREFIX + n}
             for n in names}
    path.write_text(yaml.safe_dump({"bastion": {"hosts": hosts, "vars": {
        "ansible_python_interpreter": "/usr/bin/python3",
        "eks_platform_package_proxy": f"http://{gw}:3142",
        "clamav_official_databases": [],
        "clamav_custom_database_urls": [f"http://{gw}:3142/clamav/eks-lab-eicar.hdb"],
        "fluentd_install_package": False,
        "eks_platform_selinux_enabled": False,
        "eks_platform_auditd_enabled": False,
        # No CAP_NET_ADMIN in a container, and its /proc/sys is the host kernel's.
        "baseline_firewall_enabled": False,
        "host_audit_sysctl": {},
        # Host-independent, so the committed golden host is compliant as every fleet member.
        "fluentd_log_group": "/eks-platform/bench/hosts"}}}))


def harden(inv: Path) -> tuple[float, str]:
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
               ANSIBLE_NOCOLOR="1", EKS_PLATFORM_REPORT_DIR=str(inv.parent / "reports"))
    t0 = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", str(inv), "playbooks/harden.yml"], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - t0
    if proc.returncode:
        sys.exit(proc.stdout[-4000:] + proc.stderr[-2000:])
    changed = sum(int(line.split("changed=")[1].split()[0]) for line in proc.stdout.splitlines()
                  if " changed=" in line and line.startswith("fleet-"))
    return elapsed, f"changed={changed}"


def golden(tmp: Path) -> None:
    """A converged container committed as the fleet image (skipped if it exists)."""
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False).returncode == 0:
        return
    containers.up("fleet-golden")
    inv = tmp / "golden.yml"
    inventory(["fleet-golden"], inv)
    elapsed = harden(inv)[0]
    print(f"golden host converged in {elapsed:.0f} s", flush=True)
    subprocess.run(["docker", "commit", containers.PREFIX + "fleet-golden", IMAGE], check=True, capture_output=True)
    containers.down("fleet-golden")


def start(names: list[str]) -> None:
    for n in names:
        containers.down(n)
        containers.up(n, image=IMAGE)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1, 4, 8, 16]
    proxy.up()
    images.container_image()
    results = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        golden(tmp)
        for size in sizes:
            names = [f"fleet-{i:02d}" for i in range(size)]
            start(names)
            inv = tmp / f"fleet-{size}.yml"
            inventory(names, inv)
            noop, noop_changes = harden(inv)
            note = ""
            if noop_changes != "changed=0":
                note = f"; first run {noop:.0f} s with {noop_changes}"
                noop, noop_changes = harden(inv)
            results[size] = noop
            print(f"{size:>3} hosts: no-op run {noop:6.1f} s total, {noop / size:5.1f} s per host "
                  f"({noop_changes}{note})", flush=True)
            for n in names:
                containers.down(n)
    if 1 in results and max(sizes) > 1:
        big = max(sizes)
        print(f"{big} hosts / 1 host: {results[big] / results[1]:.2f}x (target <= 4x)")


if __name__ == "__main__":
    main()
