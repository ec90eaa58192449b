"""AWX / Automation Platform deliverables, tested as far as this machine allows: the execution
environment's system dependencies through bindep, and playbooks/awx_configure.yml (no controller
runs here). awx.awx comes from the ansible 12.3.0 wheel (scripts/install.sh). The execution
environment itself is checked with the built collection in tests/release."""
from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _awx_collection() -> bool:
    out = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "list", "awx.awx", "--format", "json"],
                         cwd=REPO, capture_output=True, text=True, check=False).stdout
    try:
        return any("awx.awx" in v for v in json.loads(out or "{}").values())
    except json.JSONDecodeError:
        return False


NO_AWX = "awx.awx is not installed: scripts/install.sh takes it from the ansible 12.3.0 wheel"


def test_bindep_resolves_for_debian_and_rpm_platforms():
    bindep = shutil.which("bindep", path=str(BIN))
    assert bindep, "bindep comes with ansible-builder"
    # On this Debian machine: the dpkg names; -l newline lists what is missing (maybe nothing).
    proc = subprocess.run([bindep, "-f", "meta/ee-bindep.txt", "-l", "newline"], cwd=REPO, capture_output=True, text=True,
                          check=False)
    assert proc.returncode in (0, 1), proc.stderr
    assert not ({"openssh-clients", "git-core"} & set(proc.stdout.split())), "rpm names selected on Debian"


def test_awx_configure_defines_templates_schedule_and_notification():
    play = yaml.safe_load((REPO / "playbooks" / "awx_configure.yml").read_text())[0]
    tasks = {t["name"]: t for t in play["tasks"]}
    modules = {next(k for k in t if k.startswith("awx.awx.")) for t in play["tasks"] if any(
        k.startswith("awx.awx.") for k in t)}
    assert modules == {"awx.awx.organization", "awx.awx.credential", "awx.awx.project", "awx.awx.inventory",
                       "awx.awx.inventory_source", "awx.awx.group", "awx.awx.notification_template",
                       "awx.awx.job_template", "awx.awx.schedule"}
    templates = play["vars"]["__awx_templates"]
    assert [t["playbook"] for t in templates] == ["site.yml", "playbooks/harden.yml", "playbooks/audit.yml",
                                                  "playbooks/harden.yml"]
    assert templates[-1]["job_type"] == "check"
    for t in templates:
        assert (REPO / t["playbook"]).exists()
    # Secrets never reach the log.
    assert all(t.get("no_log") for n, t in tasks.items() if "credential" in n.lower() or "notification" in n.lower())
    source = tasks["Inventory source - the stack's instances, grouped like inventories/aws"]["awx.awx.inventory_source"]
    aws = yaml.safe_load((REPO / "inventories" / "aws" / "dev" / "aws_ec2.yml").read_text())
    assert source["source_vars"]["keyed_groups"] == aws["keyed_groups"]
    assert source["source_vars"]["hostnames"] == aws["hostnames"]
    assert play["vars"]["awx_configure_harden_runs_per_day"] == 4


@pytest.mark.skipif(not _awx_collection(), reason=NO_AWX)
def test_awx_configure_syntax():
    proc = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "playbooks/awx_configure.yml"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(not _awx_collection(), reason=NO_AWX)
def test_harden_schedule_fires_four_times_a_day(tmp_path):
    from dateutil import rrule
    play = yaml.safe_load((REPO / "playbooks" / "awx_configure.yml").read_text())[0]
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(play["vars"]))
    proc = subprocess.run([str(BIN / "ansible"), "localhost", "-m", "ansible.builtin.debug", "-a",
                           "msg={{ awx_configure_harden_rrule }}", "-e", f"@{tmp_path / 'vars.yml'}", "-o"],
                          cwd=REPO, capture_output=True, text=True, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = json.loads(proc.stdout.split("=>", 1)[1])["msg"]
    dtstart, rule = text.split(" ", 1)
    start = datetime.datetime.strptime(dtstart.rsplit(":", 1)[1], "%Y%m%dT%H%M%S")
    rr = rrule.rrulestr(rule.replace("RRULE:", ""), dtstart=start)
    day = start + datetime.timedelta(days=1)
    # A day is [day, day + 24 h): starts included, the next day's first run not.
    assert len(rr.between(day, day + datetime.timedelta(days=1) - datetime.timedelta(seconds=1), inc=True)) == 4, text


def test_awx_inventory_carries_the_aws_inventories_group_vars(tmp_path):
    """AWX jobs reach the jump host and the egress proxies through a bastion, and patch through the
    egress proxies, as `-i inventories/aws/<env>` does: the AWX inventory and its groups get the same
    variables (inventories/shared/aws), not a copy that drifts. Not the key file: AWX's is in ssh-agent."""
    play = yaml.safe_load((REPO / "playbooks" / "awx_configure.yml").read_text())[0]
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(play["vars"]))

    def rendered(name):
        proc = subprocess.run([str(BIN / "ansible"), "localhost", "-m", "ansible.builtin.debug", "-a", f"var={name}",
                               "-e", f"@{tmp_path / 'vars.yml'}", "--playbook-dir", str(REPO / "playbooks")],
                              cwd=REPO, capture_output=True, text=True, check=False,
                              env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACK_RESULT_FORMAT="json"))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(proc.stdout[proc.stdout.index("{"):])[name]

    shared = REPO / "inventories" / "shared" / "aws"
    groups = rendered("__awx_group_vars")
    assert groups == {g: yaml.safe_load((shared / f"{g}.yml").read_text()) for g in ("bastion", "jump_host", "egress_proxy")}
    assert "ProxyCommand" in groups["jump_host"]["ansible_ssh_common_args"]
    inventory = rendered("__awx_inventory_vars")
    assert inventory["eks_platform_stack"] == "eksplat-dev" and "ansible_ssh_private_key_file" not in inventory
    assert inventory["eks_platform_package_proxy"] == yaml.safe_load((shared / "all.yml").read_text())["eks_platform_package_proxy"]
