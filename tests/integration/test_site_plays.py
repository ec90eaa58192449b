"""site.yml's plays between provisioning and hardening, on an inventory whose aws_ec2 source finds
no access hosts: the run must fail naming the empty groups, never harden zero hosts and pass."""
from __future__ import annotations


def test_empty_access_groups_fail_naming_them(playbook, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                         "  children:\n    bastion:\n      hosts:\n        localhost:\n")
    run = playbook("wait_for_hosts.yml", inventory=str(inventory))
    assert run.rc != 0
    assert "Inventory group(s) jump_host, egress_proxy have no host" in run.out  # bastion has one: it is not named


def test_harden_with_no_host_fails(playbook, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    run = playbook("harden.yml", inventory=str(inventory))
    assert run.rc != 0 and "No host matched bastion:jump_host:egress_proxy: nothing was hardened" in run.out


def test_every_aws_environment_loads_the_shared_group_vars_and_nothing_else_is_an_inventory():
    """inventories/aws holds environments only; the shared group_vars live outside every -i path
    (a932c49 kept them in inventories/aws/common, which `-i inventories/aws` parsed as sources)."""
    import json
    import os
    import subprocess
    import sys

    from labrun import REPO

    envs = sorted(p.name for p in (REPO / "inventories/aws").iterdir())
    assert envs == ["dev", "prod", "staging"]
    for env in envs:
        assert (REPO / "inventories/aws" / env / "aws_ec2.yml").is_file()
        # the aws_ec2 source needs AWS; the static part and group_vars are what is checked here
        out = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-inventory"),
                              "-i", str(REPO / "inventories/aws" / env / "localhost.yml"), "--host", "localhost"],
                             cwd=REPO, capture_output=True, text=True, check=True).stdout
        assert json.loads(out)["eks_platform_aws_environment"] == {}, env


def test_clamav_refuses_a_host_without_the_memory_for_its_databases(tmp_path):
    """The clamav role's memory check, before any change, on this machine's real /proc/meminfo:
    refused when the host has less than clamav_min_memory_mb, naming that variable only."""
    import os
    import subprocess
    import sys

    from labrun import REPO

    play = tmp_path / "memory.yml"
    play.write_text("- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
                    "    - ansible.builtin.include_role:\n        name: devsecops.eks_platform.clamav\n"
                    "        tasks_from: memory.yml\n")
    meminfo = open("/proc/meminfo").read()
    total_mb = int(meminfo.split("MemTotal:")[1].split()[0]) // 1024

    def run(min_mb: int) -> subprocess.CompletedProcess:
        return subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                               str(play), "-e", f"clamav_min_memory_mb={min_mb}",
                               "-e", f"ansible_python_interpreter={sys.executable}"],
                              cwd=REPO, capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    refused = run(total_mb + 1)
    assert refused.returncode != 0
    message = f"clamav_min_memory_mb: localhost has {total_mb} MiB of memory and clamd needs {total_mb + 1} MiB"
    assert message in refused.stdout
    assert "clamav_official_databases" in refused.stdout  # named as a remedy, the message's subject is the limit
    assert run(total_mb).returncode == 0


def test_baseline_refuses_a_firewall_that_would_lock_this_run_out(tmp_path):
    """The baseline role's check before any change, with a real SSH_CLIENT in the session's
    environment: sources that do not admit it are refused naming baseline_firewall_ssh_sources."""
    import os
    import subprocess
    import sys

    from labrun import REPO

    play = tmp_path / "validate.yml"
    play.write_text("- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
                    "    - ansible.builtin.include_role:\n        name: devsecops.eks_platform.baseline\n"
                    "        tasks_from: validate.yml\n")

    def run(sources: str, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                               str(play), "-e", '{"baseline_firewall_ssh_sources": %s}' % sources,
                               "-e", f"ansible_python_interpreter={sys.executable}", *extra],
                              cwd=REPO, capture_output=True, text=True, check=False,
                              env=dict(os.environ, ANSIBLE_NOCOLOR="1", SSH_CLIENT="192.0.2.7 50022 22"))
    refused = run('["10.0.2.2/32", "10.10.0.0/16"]')
    assert refused.returncode != 0
    assert ("baseline_firewall_ssh_sources: 10.0.2.2/32, 10.10.0.0/16 does not admit 192.0.2.7, the address this run "
            "connects from") in " ".join(refused.stdout.split())
    assert run('["10.0.2.2/32", "192.0.2.0/24"]').returncode == 0
    # An EKS node's firewall admits the kubelet and NodePorts from named sources only: none given, or
    # something that is not a CIDR, is refused naming that variable (and only it)
    for sources in ("[]", '["10.30.0.0/16", "vpc"]'):
        node = run('["192.0.2.0/24"]', "-e", '{"eks_platform_host_profile": "node", "baseline_firewall_node_sources": %s}'
                   % sources)
        out = " ".join(node.stdout.split())
        assert node.returncode != 0 and "baseline_firewall_node_sources: an EKS node" in out, out[-2000:]
        assert "baseline_firewall_ssh_sources" not in out[out.find("fatal:"):]
    assert run('["192.0.2.0/24"]', "-e", '{"eks_platform_host_profile": "node", '
               '"baseline_firewall_node_sources": ["10.30.0.0/16"]}').returncode == 0


def test_the_node_profile_routes_and_admits_the_kubelet_and_nodeports(tmp_path):
    """What the baseline role writes for an EKS node, from its own defaults and template: forwarding,
    loose reverse-path filtering, bridged traffic through netfilter, overlay and br_netfilter loaded,
    the kubelet and NodePorts (TCP and UDP) admitted from the VPC only; nft parses the ruleset."""
    import json
    import os
    import shutil
    import subprocess
    import sys

    import pytest

    from labrun import REPO

    play = tmp_path / "render.yml"
    play.write_text(f"""- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: devsecops.eks_platform.baseline
        tasks_from: validate.yml
        public: true
    - ansible.builtin.copy:
        dest: "{tmp_path}/{{{{ baseline_host_profile }}}}.json"
        content: "{{{{ {{'sysctl': baseline_sysctl | combine(baseline_sysctl_extra), 'modules': baseline_modules_load}} | to_json }}}}"
        mode: "0600"
    - ansible.builtin.copy:
        dest: "{tmp_path}/{{{{ baseline_host_profile }}}}.nft"
        content: "{{{{ lookup('ansible.builtin.template', '{REPO}/roles/baseline/templates/nftables.conf.j2') }}}}"
        mode: "0600"
""")

    def render(*extra: str) -> None:
        run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                              str(play), "-e", f"ansible_python_interpreter={sys.executable}", "-e",
                              '{"baseline_firewall_ssh_sources": ["10.10.0.0/16"]}', *extra],
                             cwd=REPO, capture_output=True, text=True, check=False,
                             env=dict(os.environ, ANSIBLE_NOCOLOR="1", SSH_CLIENT="10.10.0.5 50022 22"))
        assert run.returncode == 0, run.stdout[-3000:]

    render("-e", '{"eks_platform_host_profile": "node", "baseline_firewall_node_sources": ["10.30.0.0/16"]}')
    render()
    node, access = (json.loads((tmp_path / f"{p}.json").read_text()) for p in ("node", "access"))
    assert node["sysctl"]["net.ipv4.ip_forward"] == "1" and access["sysctl"]["net.ipv4.ip_forward"] == "0"
    assert node["sysctl"]["net.ipv4.conf.all.rp_filter"] == "2" and access["sysctl"]["net.ipv4.conf.all.rp_filter"] == "1"
    assert node["sysctl"]["net.bridge.bridge-nf-call-iptables"] == "1" and "net.bridge.bridge-nf-call-iptables" not in access["sysctl"]
    assert node["modules"] == ["overlay", "br_netfilter"] and access["modules"] == []
    rules = (tmp_path / "node.nft").read_text()
    assert "tcp dport 10250 ip saddr { 10.30.0.0/16 } accept" in rules
    assert "meta l4proto { 6, 17 } th dport 30000-32767 ip saddr { 10.30.0.0/16 } accept" in rules
    assert "policy accept;" in rules.split("chain forward", 1)[1].split("}", 1)[0]  # pods are routed
    assert "10250" not in (tmp_path / "access.nft").read_text()
    if not shutil.which("nft"):
        pytest.skip("nft is not installed on this controller: the rulesets' syntax is checked on the lab VMs only")
    for profile in ("node", "access"):
        check = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "nft", "-c", "-f",
                                str(tmp_path / f"{profile}.nft")], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
