#!/usr/bin/env python
"""Hardening benchmark on a fresh lab VM (qemu; TCG here).

Prints: full converge time of playbooks/harden.yml, the no-op rerun time (target <= 25% of the
converge), the AIDE scheduled-check time (target < 10 s), the ClamAV scheduled-scan time, and
the Lynis hardening index before and after, with the suggestions left. Asserts nothing.

    .venv/bin/python benchmarks/harden.py [--no-lynis] [--profile]

Lynis itself is slow on a TCG guest (about 10 minutes per audit here); --no-lynis leaves it out.
--profile also prints the slowest tasks of the no-op rerun (ansible.posix.profile_tasks).
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harden_run import REPO, harden, recap

sys.path.insert(0, str(REPO / "lab" / "src"))
from eks_lab import mirror, proxy, vm  # noqa: E402

NAME = "bench-harden"


def ssh(info: dict, cmd: str) -> tuple[float, str]:
    t0 = time.monotonic()
    out = subprocess.run(["ssh", "-q", "-i", info["identity_file"], "-p", str(info["port"]), "-o", "BatchMode=yes",
                          "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "root@127.0.0.1", cmd],
                         capture_output=True, text=True, check=False)
    return time.monotonic() - t0, out.stdout + out.stderr


def lynis_index(info: dict) -> tuple[str, list[str]]:
    """The hardening index, and the suggestions left (test id: text) from Lynis' report file."""
    _elapsed, out = ssh(info, "lynis audit system --quick --no-colors >/dev/null 2>&1;"
                              " grep -E '^(hardening_index|suggestion\\[\\])=' /var/log/lynis-report.dat")
    m = re.search(r"^hardening_index=(\d+)", out, re.M)
    suggestions = [line.split("=", 1)[1] for line in out.splitlines() if line.startswith("suggestion[]=")]
    return (m.group(1) if m else "n/a"), suggestions


def play(inventory: str, profile: bool = False) -> tuple[float, str]:
    extra = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks", "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "40"}
    proc, wall = harden(Path(inventory), **(extra if profile else {}))
    if profile:
        lines = proc.stdout.splitlines()
        start = max(i for i, line in enumerate(lines) if line.startswith("PLAY RECAP"))
        print("\n".join(line for line in lines[start:] if " --- " in line or "-----" in line))
    counters = recap(proc.stdout, NAME).get(NAME, {})
    return wall, f"ok={counters.get('ok')} changed={counters.get('changed')}"


def main() -> None:
    reason = vm.unavailable_reason()
    if reason:
        sys.exit(f"cannot run: {reason}")
    proxy.up()
    vm.down(NAME)
    t0 = time.monotonic()
    info = vm.up(NAME)
    boot = time.monotonic() - t0
    try:
        lynis = "--no-lynis" not in sys.argv[1:]
        before = after = ""
        if lynis:
            ssh(info, f"http_proxy={vm.GUEST_PROXY} apt-get -qq update && "
                      f"http_proxy={vm.GUEST_PROXY} apt-get -qq install -y lynis")
            before, _suggestions = lynis_index(info)
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as inv:
            inv.write(f"""bastion:
  hosts:
    {NAME}:
      ansible_host: 127.0.0.1
      ansible_port: {info['port']}
      ansible_user: root
      ansible_ssh_private_key_file: {info['identity_file']}
      ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
      ansible_python_interpreter: /usr/bin/python3
  vars:
    eks_platform_package_proxy: {vm.GUEST_PROXY}
    clamav_official_databases: []
    clamav_custom_database_urls: [{mirror.url(mirror.default_bind())}]
    baseline_firewall_ssh_sources: [10.0.2.2/32]
    fluentd_install_package: false
""")
        converge, recap1 = play(inv.name)
        rerun, recap2 = play(inv.name, profile="--profile" in sys.argv[1:])
        aide, _aide_out = ssh(info, "systemctl start eks-aide-check.service")
        scan, _scan_out = ssh(info, "systemctl start eks-clamav-scan.service")
        suggestions: list[str] = []
        if lynis:
            after, suggestions = lynis_index(info)
    finally:
        vm.down(NAME)
    print(f"accel                     {info['accel']}")
    print(f"boot to SSH               {boot:7.1f} s")
    print(f"converge (fresh VM)       {converge:7.1f} s   {recap1}")
    print(f"no-op rerun               {rerun:7.1f} s   {recap2}   ({rerun / converge:.0%} of converge; target <= 25%)")
    print(f"AIDE scheduled check      {aide:7.1f} s   (target < 10 s)")
    print(f"ClamAV scheduled scan     {scan:7.1f} s")
    print(f"Lynis hardening index     {f'{before} -> {after}' if before else 'not measured (--no-lynis)'}")
    if suggestions:
        print(f"Lynis suggestions left    {len(suggestions)}")
        for line in suggestions:
            print(f"  {line}")


if __name__ == "__main__":
    main()
