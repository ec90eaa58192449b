"""What the benchmarks share: one run of playbooks/harden.yml and its PLAY RECAP."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def harden(inventory: Path, **extra_env: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run harden.yml on the inventory with this venv's ansible; exit with its output if it fails."""
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
               ANSIBLE_NOCOLOR="1", EKS_PLATFORM_REPORT_DIR=str(inventory.parent / "reports"), **extra_env)
    t0 = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", str(inventory), "playbooks/harden.yml"], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)
    wall = time.monotonic() - t0
    if proc.returncode:
        sys.exit(f"harden.yml failed (rc {proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    return proc, wall


def recap(stdout: str, host_prefix: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP counters (ok, changed, ...) of each host whose name starts with host_prefix."""
    hosts = {}
    for line in stdout.splitlines():
        if line.startswith(host_prefix) and " ok=" in line:
            host, counters = line.split(":", 1)
            hosts[host.strip()] = {k: int(v) for k, v in (c.split("=") for c in counters.split())}
    return hosts
