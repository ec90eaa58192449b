"""site.yml's plays between provisioning and hardening, on an inventory whose aws_ec2 source finds
no access hosts: the run must fail naming the empty groups, never harden zero hosts and pass."""
from __future__ import annotations


def test_empty_access_groups_fail_naming_them(playbook, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                         "  children:\n    bastion:\n      hosts:\n        localhost:\n")
    run = playbook("wait_for_hosts.yml", inventory=str(inventory))
    assert run.rc != 0
    assert "Inventory group(s) jump_host have no host" in run.out  # bastion has one: only jump_host is named


def test_harden_with_no_host_fails(playbook, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    run = playbook("harden.yml", inventory=str(inventory))
    assert run.rc != 0 and "No host matched bastion:jump_host: nothing was hardened" in run.out
