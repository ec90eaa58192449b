#!/usr/bin/env python
"""Fleet-scale benchmark: the scheduled no-op run of playbooks/harden.yml over 1, 4, 8 and 16
lab hosts (systemd containers; SELinux and auditd are off there - containers have no kernel of
their own). Prints the total time and the per-host cost for each fleet size, and the ratio of
16 hosts to 1 (target: at most 4x). Asserts nothing.

One container is converged once and committed as an image, so every fleet starts from hosts
already hardened (the fluentd log group is made host-independent for that); the timed run is
the first one that reports changed=0 (a second run is made and timed if the first changed
anything). The hosts are reached over SSH as root with the lab key (as AWX reaches a fleet:
ControlPersist, pipelining); FLEET_CONNECTION=docker uses `docker exec` instead. Other settings
come from ansible.cfg (forks, pipelining, fact cache); override with ANSIBLE_* variables.

    .venv/bin/python benchmarks/fleet.py [SIZES...]      (default: 1 4 8 16)
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from _harden_run import REPO, harden, recap

sys.path.insert(0, str(REPO / "lab" / "src"))
from eks_lab import containers, images, proxy, vm  # noqa: E402

# ssh (default): what AWX uses against a real fleet - one multiplexed SSH connection per host,
# pipelining. docker: `docker exec` per module run, which costs far more host CPU (runc).
CONNECTION = os.environ.get("FLEET_CONNECTION", "ssh")
IMAGE = f"eks-lab/fleet-hardened:{CONNECTION}"


def address(name: str) -> str:
    return subprocess.run(["docker", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", containers.PREFIX + name],
                          capture_output=True, text=True, check=True).stdout.strip()


def authorize(name: str) -> None:
    """The lab key for root: the hosts are reached over SSH, as AWX reaches a real fleet."""
    pub = vm.ssh_key().with_suffix(".pub").read_text()
    subprocess.run(["docker", "exec", "-i", containers.PREFIX + name, "sh", "-c",
                    "install -d -m 0700 /root/.ssh && cat > /root/.ssh/authorized_keys && "
                    "chmod 0600 /root/.ssh/authorized_keys"], input=pub, text=True, check=True)


def host_vars(name: str) -> dict:
    if CONNECTION == "docker":
        return {"ansible_connection": "community.docker.docker", "ansible_host": containers.PREFIX + name}
    return {"ansible_host": address(name), "ansible_user": "root",
            "ansible_ssh_private_key_file": str(vm.ssh_key()),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"}


def inventory(names: list[str], path: Path) -> None:
    gw = containers.gateway()
    hosts = {n: host_vars(n) for n in names}
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


def hosts_cpu() -> float | None:
    """CPU seconds used so far by all containers (their sshd, sudo and module runs)."""
    v1 = Path("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage")
    if v1.exists():
        return int(v1.read_text()) / 1e9
    total, found = 0.0, False
    for stat in [*Path("/sys/fs/cgroup/system.slice").glob("docker-*.scope/cpu.stat"),
                 *Path("/sys/fs/cgroup/docker").glob("*/cpu.stat")]:
        found = True
        total += int(stat.read_text().split("usage_usec ")[1].split()[0]) / 1e6
    return total if found else None


class Run:
    """One harden.yml run: wall time, changes, and CPU split between controller and hosts."""

    def __init__(self, inv: Path):
        ru0, hosts0 = resource.getrusage(resource.RUSAGE_CHILDREN), hosts_cpu()
        proc, self.wall = harden(inv)
        ru1, hosts1 = resource.getrusage(resource.RUSAGE_CHILDREN), hosts_cpu()
        # ansible-playbook and its forks (ssh multiplexing masters are detached: not counted).
        self.controller_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        self.hosts_cpu = None if hosts0 is None or hosts1 is None else hosts1 - hosts0
        self.changed = sum(h["changed"] for h in recap(proc.stdout, "fleet-").values())


def golden(tmp: Path) -> None:
    """A converged container committed as the fleet image (skipped if it exists)."""
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False).returncode == 0:
        return
    containers.up("fleet-golden")
    authorize("fleet-golden")
    inv = tmp / "golden.yml"
    inventory(["fleet-golden"], inv)
    print(f"golden host converged in {Run(inv).wall:.0f} s", flush=True)
    subprocess.run(["docker", "commit", containers.PREFIX + "fleet-golden", IMAGE], check=True, capture_output=True)
    containers.down("fleet-golden")


def start(names: list[str]) -> None:
    for n in names:
        containers.down(n)
        containers.up(n, image=IMAGE)
        authorize(n)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1, 4, 8, 16]
    proxy.up()
    images.container_image()
    print(f"connection: {CONNECTION}, forks: {os.environ.get('ANSIBLE_FORKS', 'ansible.cfg')}", flush=True)
    results = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        golden(tmp)
        for size in sizes:
            names = [f"fleet-{i:02d}" for i in range(size)]
            start(names)
            inv = tmp / f"fleet-{size}.yml"
            inventory(names, inv)
            run = Run(inv)
            note = ""
            if run.changed:
                note = f"; first run {run.wall:.0f} s with changed={run.changed}"
                run = Run(inv)
            results[size] = run
            hosts = "n/a" if run.hosts_cpu is None else f"{run.hosts_cpu / size:4.1f}"
            print(f"{size:>3} hosts: no-op run {run.wall:6.1f} s total, {run.wall / size:5.1f} s per host; "
                  f"CPU per host: controller {run.controller_cpu / size:4.1f} s, hosts {hosts} s "
                  f"(changed={run.changed}{note})", flush=True)
            for n in names:
                containers.down(n)
    if 1 in results and max(sizes) > 1:
        big, one, many = max(sizes), results[1], results[max(sizes)]
        print(f"{big} hosts / 1 host: {many.wall / one.wall:.2f}x (target <= 4x)")
        # Here the hosts run on the controller's own cores, so no fleet can finish faster than
        # all the CPU it needs divided by the cores. Against real hosts only the controller's
        # share stays on the controller.
        cores = os.cpu_count() or 1
        if many.hosts_cpu is not None:
            floor = (many.controller_cpu + many.hosts_cpu) / cores
            print(f"CPU floor for {big} hosts on this {cores}-core machine (hosts share its cores): {floor:.0f} s "
                  f"= {floor / one.wall:.1f}x one host")
        ctl = max(one.wall, many.controller_cpu / cores)
        print(f"controller-bound estimate for {big} real hosts (own CPUs): {ctl:.0f} s = {ctl / one.wall:.1f}x one host")


if __name__ == "__main__":
    main()
