"""Runs every Molecule scenario (`molecule test -s <name>`): check mode on a fresh host,
converge, idempotence, drift, repair, testinfra verify - on lab containers or VMs."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.parent.name for p in (REPO / "molecule").glob("*/molecule.yml"))


def _kinds(name: str) -> set[str]:
    spec = yaml.safe_load((REPO / "molecule" / name / "molecule.yml").read_text())
    return {p.get("kind", "ctr") for p in spec.get("platforms", [])}


def _docker_ok() -> str | None:
    if not shutil.which("docker"):
        return "docker is not installed"
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        return "no Docker daemon answers (scripts/lab-services.sh starts one)"
    return None


def _vm_ok() -> str | None:
    from eks_lab import vm
    return vm.unavailable_reason()


# Scenarios too slow for the suite's budget on software-emulated (TCG) VMs: the all-roles
# scenario converges four times (check, converge, idempotence, repair) at roughly ten minutes
# each on TCG. The suite applies all roles together on VMs anyway, end to end
# (tests/e2e/test_site_lab.py: site.yml on a bastion VM and a jump host VM).
# The selinux and auditd scenarios boot a VM of their own and converge it four times: on TCG
# that is minutes the e2e suite already spends on the same roles (site.yml enforces SELinux and
# loads the audit rules on two VMs, host_audit checks them, tests/e2e checks auditd's records
# and disk-full actions and repairs a runtime `setenforce 0`). What only they cover (an SELinux
# boolean, file context and port rule) runs where KVM works or with EKS_LAB_FULL_VM=1.
_E2E = "tests/e2e converges it on two lab VMs; this scenario runs where KVM works or with EKS_LAB_FULL_VM=1"
SLOW_ON_TCG = {
    "hardening": "all roles on one TCG VM, converged four times, exceed the suite's 70-minute budget; " + _E2E,
    "selinux": "a third TCG VM converged four times does not pay for itself within the suite's budget; " + _E2E,
    "auditd": "a third TCG VM converged four times does not pay for itself within the suite's budget; " + _E2E,
}


def _too_slow(name: str) -> str | None:
    if name not in SLOW_ON_TCG:
        return None
    from eks_lab import vm
    return vm.too_slow_on_tcg(SLOW_ON_TCG[name])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario):
    kinds = _kinds(scenario)
    reason = (_docker_ok() if "ctr" in kinds else None) or (_vm_ok() if "vm" in kinds else None) \
        or _too_slow(scenario)
    if reason:
        pytest.skip(f"molecule/{scenario} needs {'/'.join(sorted(kinds))}: {reason}")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
               ANSIBLE_NOCOLOR="1", PY_COLORS="0", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(["molecule", "test", "-s", scenario], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=3600, check=False)
    out = proc.stdout + proc.stderr
    (REPO / "tests" / "output").mkdir(parents=True, exist_ok=True)
    (REPO / "tests" / "output" / f"molecule-{scenario}.log").write_text(out)
    assert proc.returncode == 0, out[-6000:]
