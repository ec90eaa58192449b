"""Integration fixtures: a dedicated moto server and an ansible-playbook runner."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest

from labrun import PORT, REPO, WORKER
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@dataclass
class Run:
    rc: int
    out: str

    @property
    def recap(self) -> dict:
        return {m.group(1): dict(ok=int(m.group(2)), changed=int(m.group(3)), unreachable=int(m.group(4)),
                                 failed=int(m.group(5))) for m in RECAP.finditer(self.out)}


@pytest.fixture(scope="session")
def lab_aws():
    """A moto server of its own for the test session, on the lab inventory's port."""
    from eks_lab import aws, pki

    pki.ensure()
    aws.down(PORT)
    aws.up(PORT)
    yield aws
    aws.down(PORT)


@pytest.fixture(scope="session")
def playbook(lab_aws):
    env = dict(os.environ, EKS_LAB_MOTO_PORT=str(PORT), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
               # a fact cache per worker: two runs at once never write one file
               ANSIBLE_CACHE_PLUGIN_CONNECTION=str(REPO / ".cache" / f"facts{'-' + WORKER if WORKER else ''}"))
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        env.pop(var, None)

    def run(name: str, *args: str, inventory: str = "inventories/lab", cwd=REPO, extra_env=None) -> Run:
        """ansible-playbook of playbooks/<name>, or of a playbook given by FQCN (from `cwd`)."""
        target = name if name.startswith("devsecops.") else f"playbooks/{name}"
        cmd = ["ansible-playbook", "-i", str(REPO / inventory), target, *args]
        proc = subprocess.run(cmd, cwd=cwd, env=dict(env, **(extra_env or {})), capture_output=True, text=True,
                              timeout=1200, check=False)
        out = proc.stdout + proc.stderr
        (REPO / "tests" / "output").mkdir(parents=True, exist_ok=True)
        # numbered: runs whose arguments share the first 80 characters no longer overwrite each other's log
        run.count += 1
        (REPO / "tests" / "output" / f"{WORKER + '-' if WORKER else ''}{run.count:03d}-{name}-"
                                     f"{'-'.join(a.replace('/', '_') for a in args)[:80]}.log").write_text(out)
        return Run(proc.returncode, out)

    run.count = 0
    return run
